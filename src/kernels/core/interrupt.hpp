// Cooperative cancellation: long kernel loops call check_interrupts(); the host installs a hook.
#pragma once

namespace dmine {

// The hook throws dmine::Interrupted when the host wants the computation to stop.
using InterruptHook = void (*)();

inline InterruptHook &interrupt_hook() {
    static InterruptHook hook = nullptr;
    return hook;
}

inline void set_interrupt_hook(InterruptHook hook) {
    interrupt_hook() = hook;
}

// Give the host a chance to cancel; cheap enough to call every few thousand operations.
inline void check_interrupts() {
    if (InterruptHook hook = interrupt_hook()) hook();
}

} // namespace dmine
