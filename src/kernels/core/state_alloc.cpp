// Default state memory hooks: the C heap.
#include "core/state_alloc.hpp"

#include <cstdlib>

namespace dmine {

namespace {
void *heap_allocate(std::size_t bytes) noexcept {
    return std::malloc(bytes ? bytes : 1);
}
void heap_release(void *p) noexcept {
    std::free(p);
}
} // namespace

StateMemoryHooks state_memory_hooks = {&heap_allocate, &heap_release};

void set_state_memory_hooks(StateMemoryHooks hooks) {
    state_memory_hooks = hooks;
}

} // namespace dmine
