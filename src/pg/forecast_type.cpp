// The dmine.forecast type: JSON text input/output, sealed binary receive/send.
#include "agg_state.hpp"
#include "forecast/forecast_value.hpp"
#include "model_cache.hpp"

extern "C" {
#include "lib/stringinfo.h"
}

#include <string>

using namespace dmine;
using namespace dmine::pg;
using dmine::forecast::ForecastValue;

// Text input: the JSON written by the output function, fully validated (22P02).
DMINE_FUNCTION(forecast_in) {
    const char *text = PG_GETARG_CSTRING(0);
    ForecastValue value = ForecastValue::from_json(text);
    PG_RETURN_POINTER(make_bytea(value.encode()));
}

DMINE_FUNCTION(forecast_out) {
    auto [data, size] = model_bytes(fcinfo, 0);
    std::string json = ForecastValue::decode(data, size).to_json();
    PG_RETURN_CSTRING(pg_call([&] { return pstrdup(json.c_str()); }));
}

// Binary input: the sealed bytes, fully validated (22P03).
DMINE_FUNCTION(forecast_recv) {
    auto *buf = reinterpret_cast<StringInfo>(PG_GETARG_POINTER(0));
    const char *data = buf->data + buf->cursor;
    std::size_t size = static_cast<std::size_t>(buf->len - buf->cursor);
    ForecastValue::decode(data, size);
    std::vector<std::uint8_t> bytes(data, data + size);
    buf->cursor = buf->len;
    PG_RETURN_POINTER(make_bytea(bytes));
}

DMINE_FUNCTION(forecast_send) {
    auto [data, size] = model_bytes(fcinfo, 0);
    const auto *p = static_cast<const std::uint8_t *>(data);
    PG_RETURN_BYTEA_P(make_bytea(std::vector<std::uint8_t>(p, p + size)));
}
