// State types: memory contexts, flat bytes and text form of expanded aggregate states.
#include "expanded_state.hpp"

#include "core/base64.hpp"

namespace dmine::pg {

MemoryContext state_parent_context(FunctionCallInfo fcinfo) {
    MemoryContext context = nullptr;
    if (AggCheckCallContext(fcinfo, &context) && context) return context;
    return CurrentMemoryContext;
}

MemoryContext new_state_context(MemoryContext parent) {
    return pg_call(
        [&] { return AllocSetContextCreate(parent, "dmine state", ALLOCSET_SMALL_SIZES); });
}

std::pair<const std::uint8_t *, std::size_t> flat_bytes(Datum datum) {
    auto *value =
        pg_call([&] { return reinterpret_cast<struct varlena *>(PG_DETOAST_DATUM_PACKED(datum)); });
    return {reinterpret_cast<const std::uint8_t *>(VARDATA_ANY(value)), VARSIZE_ANY_EXHDR(value)};
}

Datum state_text_out(const std::uint8_t *data, std::size_t size) {
    std::string text = base64_encode(data, size);
    return CStringGetDatum(pg_call([&] { return pstrdup(text.c_str()); }));
}

std::vector<std::uint8_t> state_text_in(const char *text) {
    return base64_decode(text, std::strlen(text));
}

Datum make_varlena(const std::uint8_t *data, std::size_t size) {
    return PointerGetDatum(make_bytea(std::vector<std::uint8_t>(data, data + size)));
}

} // namespace dmine::pg
