// State memory hooks: palloc in the current state context, failures as std::bad_alloc.
#include "state_memory.hpp"

#include "core/state_alloc.hpp"

namespace dmine::pg {

MemoryContext current_state_context = nullptr;

namespace {

// Never ereports: the size is checked first and MCXT_ALLOC_NO_OOM returns null on failure.
void *allocate(std::size_t bytes) noexcept {
    if (bytes > MaxAllocHugeSize) return nullptr;
    MemoryContext context = current_state_context ? current_state_context : TopMemoryContext;
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

MemoryContext call_state_context(FunctionCallInfo fcinfo) noexcept {
    MemoryContext context = nullptr;
    if (AggCheckCallContext(fcinfo, &context) && context) return context;
    return TopMemoryContext;
}

} // namespace dmine::pg
