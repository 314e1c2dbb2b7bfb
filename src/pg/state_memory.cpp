// State memory hooks: palloc in the current state context, failures as std::bad_alloc.
#include "state_memory.hpp"

#include "core/state_alloc.hpp"

namespace dmine::pg {

namespace {

// Null until a scope sets it: TopMemoryContext.
MemoryContext current_context = nullptr;

// Never ereports: the size is checked first and MCXT_ALLOC_NO_OOM returns null on failure.
void *allocate(std::size_t bytes) noexcept {
    if (bytes > MaxAllocHugeSize) return nullptr;
    MemoryContext context = current_context ? current_context : TopMemoryContext;
    return MemoryContextAllocExtended(context, bytes, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
}

// pfree finds the chunk's own context, whichever scope is current.
void release(void *p) noexcept {
    pfree(p);
}

} // namespace

void install_state_memory() {
    set_state_memory_hooks({&allocate, &release});
}

StateMemoryScope::StateMemoryScope(MemoryContext context) noexcept : previous_(current_context) {
    current_context = context;
}

StateMemoryScope::~StateMemoryScope() {
    current_context = previous_;
}

MemoryContext call_state_context(FunctionCallInfo fcinfo) noexcept {
    MemoryContext context = nullptr;
    if (AggCheckCallContext(fcinfo, &context) && context) return context;
    return TopMemoryContext;
}

} // namespace dmine::pg
