// Per-query cache of a decoded model, kept in fn_extra so per-row functions decode it once.
//
// A model argument is recognised without comparing whole values: an on-disk TOAST pointer by
// the pointer itself, an inline compressed value by its bytes, any other value by the header
// of its binary envelope (magic, version, size, checksum).
#pragma once

#include "boundary.hpp"
#include "core/model_format.hpp"

#include <cstdint>
#include <memory>
#include <vector>

namespace dmine::pg {

// The bytes that identify the model in argument `argno` (see above).
std::vector<std::uint8_t> model_identity(FunctionCallInfo fcinfo, int argno);

// The detoasted bytes of the model in argument `argno`.
std::pair<const void *, std::size_t> model_bytes(FunctionCallInfo fcinfo, int argno);

void *cache_slot(FunctionCallInfo fcinfo);
void set_cache_slot(FunctionCallInfo fcinfo, void *slot, void (*deleter)(void *));

// The decoded model in argument `argno`: Model::decode(const void*, size_t) runs only when the
// argument differs from the one seen on the previous call at this call site.
template <typename Model> const Model &cached_model(FunctionCallInfo fcinfo, int argno) {
    struct Slot {
        std::vector<std::uint8_t> identity;
        std::unique_ptr<Model> model;
    };
    auto *slot = static_cast<Slot *>(cache_slot(fcinfo));
    auto identity = model_identity(fcinfo, argno);
    if (slot && slot->model && slot->identity == identity) return *slot->model;
    auto [data, size] = model_bytes(fcinfo, argno);
    auto model = std::make_unique<Model>(Model::decode(data, size));
    if (!slot) {
        auto fresh = std::make_unique<Slot>();
        set_cache_slot(fcinfo, fresh.get(), [](void *p) { delete static_cast<Slot *>(p); });
        slot = fresh.release();
    }
    slot->model = std::move(model);
    slot->identity = std::move(identity);
    return *slot->model;
}

} // namespace dmine::pg
