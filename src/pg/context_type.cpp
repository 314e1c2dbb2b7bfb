// The dmine.context_summary type: JSON text input/output, sealed binary receive/send.
#include "agg_state.hpp"
#include "context/context_summary.hpp"
#include "model_cache.hpp"

extern "C" {
#include "lib/stringinfo.h"
}

#include <string>

using namespace dmine;
using namespace dmine::pg;
using dmine::context::Summary;

// Text input: the JSON written by the output function, validated (22P02).
DMINE_FUNCTION(context_summary_in) {
    const char *text = PG_GETARG_CSTRING(0);
    Summary summary = Summary::from_json(text);
    PG_RETURN_POINTER(make_bytea(summary.encode()));
}

DMINE_FUNCTION(context_summary_out) {
    auto [data, size] = model_bytes(fcinfo, 0);
    std::string json = Summary::decode(data, size).to_json();
    PG_RETURN_CSTRING(pg_call([&] { return pstrdup(json.c_str()); }));
}

// Binary input: the sealed bytes, fully validated (22P03).
DMINE_FUNCTION(context_summary_recv) {
    auto *buf = reinterpret_cast<StringInfo>(PG_GETARG_POINTER(0));
    const char *data = buf->data + buf->cursor;
    std::size_t size = static_cast<std::size_t>(buf->len - buf->cursor);
    Summary::decode(data, size);
    std::vector<std::uint8_t> bytes(data, data + size);
    buf->cursor = buf->len;
    PG_RETURN_POINTER(make_bytea(bytes));
}

DMINE_FUNCTION(context_summary_send) {
    auto [data, size] = model_bytes(fcinfo, 0);
    const auto *p = static_cast<const std::uint8_t *>(data);
    PG_RETURN_BYTEA_P(make_bytea(std::vector<std::uint8_t>(p, p + size)));
}
