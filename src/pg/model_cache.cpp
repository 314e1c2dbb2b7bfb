// Per-query model cache: identity of a model argument and the fn_extra slot.
#include "model_cache.hpp"

#include "agg_state.hpp"

#include <cstring>

namespace dmine::pg {

std::vector<std::uint8_t> model_identity(FunctionCallInfo fcinfo, int argno) {
    auto *raw = reinterpret_cast<const std::uint8_t *>(PG_GETARG_POINTER(argno));
    const auto *value = reinterpret_cast<const struct varlena *>(raw);
    std::size_t size;
    if (VARATT_IS_EXTERNAL_ONDISK(value) || VARATT_IS_COMPRESSED(value)) {
        size = VARSIZE_ANY(value); // the TOAST pointer, or the compressed bytes
    } else if (VARATT_IS_EXTERNAL(value)) {
        auto [data, bytes] = model_bytes(fcinfo, argno); // expanded or indirect: detoast
        std::size_t n = bytes < kModelHeaderSize ? bytes : kModelHeaderSize;
        return std::vector<std::uint8_t>(static_cast<const std::uint8_t *>(data),
                                         static_cast<const std::uint8_t *>(data) + n);
    } else {
        std::size_t bytes = VARSIZE_ANY_EXHDR(value);
        raw = reinterpret_cast<const std::uint8_t *>(VARDATA_ANY(value));
        size = bytes < kModelHeaderSize ? bytes : kModelHeaderSize;
    }
    return std::vector<std::uint8_t>(raw, raw + size);
}

std::pair<const void *, std::size_t> model_bytes(FunctionCallInfo fcinfo, int argno) {
    struct varlena *value =
        pg_call([&] { return PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(argno)); });
    return {VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value)};
}

void *cache_slot(FunctionCallInfo fcinfo) {
    return fcinfo->flinfo->fn_extra;
}

void set_cache_slot(FunctionCallInfo fcinfo, void *slot, void (*deleter)(void *)) {
    delete_on_reset(fcinfo->flinfo->fn_mcxt, slot, deleter);
    fcinfo->flinfo->fn_extra = slot;
}

} // namespace dmine::pg
