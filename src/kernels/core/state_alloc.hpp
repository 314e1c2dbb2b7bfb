// Memory of aggregate transition states: containers of state classes allocate through
// StateAllocator, which calls hooks the host installs. Unit tests use malloc/free; the
// PostgreSQL glue allocates from the aggregate's memory context, so that hash aggregation
// counts the states against work_mem and spills (src/pg/state_memory.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>
#include <type_traits>
#include <vector>

namespace dmine {

struct StateMemoryHooks {
    void *(*allocate)(std::size_t bytes) noexcept; // null when out of memory
    void (*release)(void *p) noexcept;
};

// The installed hooks (malloc and free until the host sets others). Install them once, before
// any state exists: memory must go back to the allocator it came from.
extern StateMemoryHooks state_memory_hooks;
void set_state_memory_hooks(StateMemoryHooks hooks);

// The largest alignment StateAllocator guarantees (PostgreSQL's MAXALIGN).
constexpr std::size_t kStateAlignment = 8;

// A stateless allocator: every instance is equal, so containers move and swap their buffers.
template <typename T> struct StateAllocator {
    using value_type = T;
    using is_always_equal = std::true_type;
    // Over-aligned elements (long double) get a padded block that records where it starts.
    static constexpr bool kPadded = alignof(T) > kStateAlignment;

    StateAllocator() noexcept = default;
    template <typename U> StateAllocator(const StateAllocator<U> &) noexcept {}

    T *allocate(std::size_t n) {
        constexpr std::size_t pad = kPadded ? alignof(T) + sizeof(void *) : 0;
        if (n > (std::numeric_limits<std::size_t>::max() - pad) / sizeof(T)) throw std::bad_alloc();
        void *p = state_memory_hooks.allocate(n * sizeof(T) + pad);
        if (!p) throw std::bad_alloc();
        if constexpr (!kPadded) {
            return static_cast<T *>(p);
        } else {
            auto start = reinterpret_cast<std::uintptr_t>(p) + sizeof(void *);
            auto aligned = (start + alignof(T) - 1) & ~(std::uintptr_t(alignof(T)) - 1);
            reinterpret_cast<void **>(aligned)[-1] = p;
            return reinterpret_cast<T *>(aligned);
        }
    }
    void deallocate(T *p, std::size_t) noexcept {
        if (!p) return;
        if constexpr (kPadded)
            state_memory_hooks.release(reinterpret_cast<void **>(p)[-1]);
        else
            state_memory_hooks.release(p);
    }

    template <typename U> bool operator==(const StateAllocator<U> &) const noexcept { return true; }
    template <typename U> bool operator!=(const StateAllocator<U> &) const noexcept {
        return false;
    }
};

// The vector type of state members.
template <typename T> using StateVector = std::vector<T, StateAllocator<T>>;

// A plain std::vector copy of a state vector (for results leaving the state).
template <typename T> std::vector<T> to_std_vector(const StateVector<T> &v) {
    return std::vector<T>(v.begin(), v.end());
}

} // namespace dmine
