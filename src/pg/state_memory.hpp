// Where the containers of C++ aggregate states allocate inside the backend.
//
// StateAllocator (src/kernels/state_alloc.hpp) calls hooks that allocate in "the current state
// context": the aggregate's memory context while an aggregate support function runs, so that
// PostgreSQL counts the states against work_mem (hash aggregation spills), and TopMemoryContext
// elsewhere, which outlives every object (memory is freed by the owner's destructor anyway).
// Rule: an object's containers always grow in its own context or a longer-lived one.
#pragma once

#include "postgres.hpp"

namespace dmine::pg {

// Install the allocation hooks (once, from _PG_init, before any state exists).
void install_state_memory();

// The current state context (null: TopMemoryContext); only StateMemoryScope sets it.
extern MemoryContext current_state_context;

// While alive, state containers allocate in `context`; the previous context returns after.
// Inline: one is made for every call of a transition function, row after row.
class StateMemoryScope {
public:
    explicit StateMemoryScope(MemoryContext context) noexcept : previous_(current_state_context) {
        current_state_context = context;
    }
    ~StateMemoryScope() { current_state_context = previous_; }
    StateMemoryScope(const StateMemoryScope &) = delete;
    StateMemoryScope &operator=(const StateMemoryScope &) = delete;

private:
    MemoryContext previous_;
};

// The state context of a SQL function call: the aggregate context of an aggregate support
// function, TopMemoryContext for any other call.
MemoryContext call_state_context(FunctionCallInfo fcinfo) noexcept;

} // namespace dmine::pg
