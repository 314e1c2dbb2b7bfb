// dm_context_line_score, dm_context_line_explain: one line against all its context summaries at
// once (price and quantity by product, quantity and amount by customer, time by store, extra
// features overall): every surprise, the combined score and the dominant feature. The summaries
// are decoded once per query (fn_extra); integer keys are looked up as integers, text keys as
// text, any other key by its text form.
#include "agg_state.hpp"
#include "context/context_summary.hpp"
#include "model_cache.hpp"

extern "C" {
#include "utils/jsonb.h"
#include "utils/timestamp.h"
}

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace dmine;
using namespace dmine::pg;
using namespace dmine::context;

namespace {

enum Arg {
    kPrice = 0,
    kQtyProduct,
    kQtyCustomer,
    kAmount,
    kTime, // summaries
    kProduct,
    kCustomer,
    kStore, // keys ("any")
    kUnitPrice,
    kQuantity,
    kAmountValue,
    kAt, // the line
    kExtraSummaries,
    kExtras,
    kLeaveOut,
    kArgs
};
constexpr int kSummaries = 5;
constexpr int kKeys = 3;

enum class KeyType { Int, Text, Unknown, Other };

// The bytes that identify a varlena argument (see model_cache.hpp): a TOAST pointer or compressed
// value by its bytes, an expanded one by its address, a plain one by its first `head` bytes.
std::pair<const void *, std::size_t> identity_region(Datum d, std::size_t head,
                                                     const void *&expanded) {
    const auto *v = reinterpret_cast<const struct varlena *>(DatumGetPointer(d));
    expanded = nullptr;
    if (VARATT_IS_EXTERNAL_ONDISK(v) || VARATT_IS_COMPRESSED(v)) return {v, VARSIZE_ANY(v)};
    if (VARATT_IS_EXTERNAL(v)) {
        expanded = v;
        return {&expanded, sizeof(expanded)};
    }
    std::size_t n = VARSIZE_ANY_EXHDR(v);
    return {VARDATA_ANY(v), n < head ? n : head};
}

struct Identity {
    std::vector<std::uint8_t> bytes;
    bool present = false;
    bool same(bool is_null, Datum d, std::size_t head) const {
        if (is_null) return !present;
        if (!present) return false;
        const void *expanded;
        auto [p, n] = identity_region(d, head, expanded);
        return n == bytes.size() && std::memcmp(p, bytes.data(), n) == 0;
    }
    void set(bool is_null, Datum d, std::size_t head) {
        present = !is_null;
        bytes.clear();
        if (is_null) return;
        const void *expanded;
        auto [p, n] = identity_region(d, head, expanded);
        bytes.assign(static_cast<const std::uint8_t *>(p),
                     static_cast<const std::uint8_t *>(p) + n);
    }
};

struct KeyReader {
    KeyType type = KeyType::Other;
    Oid oid = InvalidOid;
    FmgrInfo out{};
};

// The group an integer key found last in one summary (lines of one customer often follow each
// other).
struct LastKey {
    bool present = false;
    std::int64_t key = 0;
    const dmine::context::Group *group = nullptr;
};

struct Slot {
    Identity ids[kSummaries + 1];
    LastKey last[kSummaries];
    std::unique_ptr<Summary> summaries[kSummaries];
    std::vector<std::unique_ptr<Summary>> extras;
    KeyReader keys[kKeys];
    bool keys_ready = false;
};

std::unique_ptr<Summary> decode_arg(FunctionCallInfo fcinfo, int argno, Kind kind,
                                    const char *what) {
    if (PG_ARGISNULL(argno)) return nullptr;
    auto [data, size] = model_bytes(fcinfo, argno);
    auto s = std::make_unique<Summary>(Summary::decode(data, size));
    if (s->kind() != kind)
        fail(ErrorKind::InvalidParameter,
             std::string("the ") + what + " summary must describe " +
                 (kind == Kind::Time ? "times (dm_context_fit_time)" : "values (dm_context_fit)"));
    return s;
}

void decode_extras(FunctionCallInfo fcinfo, Slot &slot) {
    slot.extras.clear();
    if (PG_ARGISNULL(kExtraSummaries)) return;
    ArrayType *array = pg_call([&] { return PG_GETARG_ARRAYTYPE_P(kExtraSummaries); });
    if (ARR_NDIM(array) > 1)
        fail(ErrorKind::DimensionMismatch, "extra summaries must be a one-dimensional array");
    Datum *values;
    bool *nulls;
    int n;
    Oid element = ARR_ELEMTYPE(array);
    pg_call(
        [&] { deconstruct_array(array, element, -1, false, TYPALIGN_INT, &values, &nulls, &n); });
    for (int i = 0; i < n; i++) {
        if (nulls[i]) {
            slot.extras.push_back(nullptr);
            continue;
        }
        auto *v = pg_call([&] { return PG_DETOAST_DATUM_PACKED(values[i]); });
        auto s = std::make_unique<Summary>(Summary::decode(VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v)));
        if (s->kind() != Kind::Value)
            fail(ErrorKind::InvalidParameter,
                 "extra summaries must describe values (dm_context_fit)");
        slot.extras.push_back(std::move(s));
    }
}

void prepare_keys(FunctionCallInfo fcinfo, Slot &slot) {
    for (int k = 0; k < kKeys; k++) {
        Oid type = pg_call([&] { return get_fn_expr_argtype(fcinfo->flinfo, kProduct + k); });
        KeyReader &r = slot.keys[k];
        r.oid = type;
        if (type == INT2OID || type == INT4OID || type == INT8OID) {
            r.type = KeyType::Int;
        } else if (type == TEXTOID || type == VARCHAROID) {
            r.type = KeyType::Text;
        } else if (type == UNKNOWNOID) {
            r.type = KeyType::Unknown;
        } else if (type == InvalidOid) {
            fail(ErrorKind::InvalidParameter, "could not determine the type of a key argument");
        } else {
            r.type = KeyType::Other;
            pg_call([&] {
                Oid out;
                bool varlena;
                getTypeOutputInfo(type, &out, &varlena);
                fmgr_info_cxt(out, &r.out, fcinfo->flinfo->fn_mcxt);
            });
        }
    }
    slot.keys_ready = true;
}

Slot &slot_for(FunctionCallInfo fcinfo) {
    auto *slot = static_cast<Slot *>(cache_slot(fcinfo));
    if (!slot) {
        auto fresh = std::make_unique<Slot>();
        set_cache_slot(fcinfo, fresh.get(), [](void *p) { delete static_cast<Slot *>(p); });
        slot = fresh.release();
    }
    static const char *what[kSummaries] = {"price", "quantity by product", "quantity by customer",
                                           "amount", "time"};
    for (int i = 0; i < kSummaries; i++) {
        bool null = PG_ARGISNULL(i);
        Datum d = null ? Datum(0) : PG_GETARG_DATUM(i);
        if (slot->ids[i].same(null, d, kModelHeaderSize) && (null || slot->summaries[i])) continue;
        slot->summaries[i].reset();
        slot->last[i] = LastKey();
        slot->ids[i].present = false;
        slot->summaries[i] = decode_arg(fcinfo, i, i == kTime ? Kind::Time : Kind::Value, what[i]);
        slot->ids[i].set(null, d, kModelHeaderSize);
    }
    bool null = PG_NARGS() <= kExtraSummaries || PG_ARGISNULL(kExtraSummaries);
    Datum d = null ? Datum(0) : PG_GETARG_DATUM(kExtraSummaries);
    if (!slot->ids[kSummaries].same(null, d, SIZE_MAX)) {
        slot->ids[kSummaries].present = false;
        if (null)
            slot->extras.clear();
        else
            decode_extras(fcinfo, *slot);
        slot->ids[kSummaries].set(null, d, SIZE_MAX);
    }
    if (!slot->keys_ready) prepare_keys(fcinfo, *slot);
    return *slot;
}

// The group of a line's key in a summary: the overall group when the key is NULL, nullptr when
// the key is unknown.
const dmine::context::Group *group_of(FunctionCallInfo fcinfo, const KeyReader &r, int argno,
                                      const Summary &s, LastKey &last) {
    if (PG_ARGISNULL(argno)) return &s.overall();
    switch (r.type) {
    case KeyType::Int: {
        Oid t = r.oid;
        Datum d = PG_GETARG_DATUM(argno);
        std::int64_t v = t == INT2OID   ? DatumGetInt16(d)
                         : t == INT4OID ? DatumGetInt32(d)
                                        : DatumGetInt64(d);
        if (!last.present || last.key != v) last = LastKey{true, v, s.find(v)};
        return last.group;
    }
    case KeyType::Text: {
        text *t = pg_call([&] { return PG_GETARG_TEXT_PP(argno); });
        return s.find(std::string_view(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)));
    }
    case KeyType::Unknown:
        return s.find(std::string_view(DatumGetCString(PG_GETARG_DATUM(argno))));
    case KeyType::Other: {
        char *c = pg_call([&] {
            return OutputFunctionCall(const_cast<FmgrInfo *>(&r.out), PG_GETARG_DATUM(argno));
        });
        return s.find(std::string_view(c));
    }
    }
    return nullptr;
}

std::optional<double> value_arg(FunctionCallInfo fcinfo, int argno) {
    if (PG_ARGISNULL(argno)) return std::nullopt;
    return PG_GETARG_FLOAT8(argno);
}

// Surprise of a value in its group, else in all lines.
std::optional<double> value_surprise(const Summary *s, const dmine::context::Group *g,
                                     std::optional<double> x, Side side, bool leave_out,
                                     bool fall_back = true) {
    if (!s || !x) return std::nullopt;
    auto a = s->assess_value_in(g, *x, side, leave_out);
    if (!a && fall_back && g != &s->overall())
        a = s->assess_value_in(&s->overall(), *x, side, leave_out);
    if (!a) return std::nullopt;
    return a->surprise;
}

struct LineResult {
    std::vector<std::optional<double>> surprises; // price, quantity, amount, time, extras
    std::optional<double> score;
    int feature = 0; // 1-based: the dominant feature (the line's type)
};

LineResult score_line(FunctionCallInfo fcinfo) {
    Slot &slot = slot_for(fcinfo);
    bool leave_out = true;
    if (PG_NARGS() > kLeaveOut) {
        if (PG_ARGISNULL(kLeaveOut)) fail(ErrorKind::NullValue, "leave_out must not be NULL");
        leave_out = PG_GETARG_BOOL(kLeaveOut);
    }
    const Summary *const *s = reinterpret_cast<const Summary *const *>(slot.summaries);
    auto group = [&](int summary, int key) -> const dmine::context::Group * {
        return s[summary] ? group_of(fcinfo, slot.keys[key - kProduct], key, *s[summary],
                                     slot.last[summary])
                          : nullptr;
    };
    LineResult r;
    auto price = value_arg(fcinfo, kUnitPrice), qty = value_arg(fcinfo, kQuantity),
         amount = value_arg(fcinfo, kAmountValue);
    r.surprises.push_back(
        value_surprise(s[kPrice], group(kPrice, kProduct), price, Side::Both, leave_out));
    auto qp =
        value_surprise(s[kQtyProduct], group(kQtyProduct, kProduct), qty, Side::High, leave_out);
    auto qc = value_surprise(s[kQtyCustomer], group(kQtyCustomer, kCustomer), qty, Side::High,
                             leave_out, false);
    if (qp && qc) {
        // Unusual for the product and for the customer: two calibrated surprises are unit
        // exponentials, so their sum s has the tail (1 + s) e^-s (Fisher's method).
        double sum = *qp + *qc;
        r.surprises.push_back(sum - std::log1p(sum));
    } else {
        r.surprises.push_back(qp ? qp : qc);
    }
    r.surprises.push_back(
        value_surprise(s[kAmount], group(kAmount, kCustomer), amount, Side::High, leave_out));
    std::optional<double> at;
    if (s[kTime] && !PG_ARGISNULL(kAt) && !TIMESTAMP_NOT_FINITE(PG_GETARG_TIMESTAMP(kAt))) {
        const dmine::context::Group *g = group(kTime, kStore);
        auto a = s[kTime]->assess_time_in(g, PG_GETARG_TIMESTAMP(kAt), leave_out);
        if (!a && g != &s[kTime]->overall())
            a = s[kTime]->assess_time_in(&s[kTime]->overall(), PG_GETARG_TIMESTAMP(kAt), leave_out);
        if (a) at = a->surprise;
    }
    r.surprises.push_back(at);
    if (!slot.extras.empty()) {
        ArrayType *array = PG_NARGS() > kExtras && !PG_ARGISNULL(kExtras)
                               ? pg_call([&] { return PG_GETARG_ARRAYTYPE_P(kExtras); })
                               : nullptr;
        Datum *values = nullptr;
        bool *nulls = nullptr;
        int n = 0;
        if (array) {
            if (ARR_NDIM(array) > 1)
                fail(ErrorKind::DimensionMismatch, "extras must be a one-dimensional float8[]");
            pg_call([&] {
                deconstruct_array(array, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &values,
                                  &nulls, &n);
            });
            if (n != static_cast<int>(slot.extras.size()))
                fail(ErrorKind::DimensionMismatch, "extras must have one value per extra summary",
                     std::to_string(slot.extras.size()) + " summaries, " + std::to_string(n) +
                         " values.");
        }
        for (std::size_t i = 0; i < slot.extras.size(); i++) {
            std::optional<double> x;
            if (array && !nulls[i]) x = DatumGetFloat8(values[i]);
            const Summary *e = slot.extras[i].get();
            r.surprises.push_back(
                value_surprise(e, e ? &e->overall() : nullptr, x, Side::Both, leave_out));
        }
    }
    // The score: R = max(0, (S - ln k) / ln 10) with S the largest of the k surprises, R / (R + 4).
    double best = -1;
    int k = 0;
    for (std::size_t i = 0; i < r.surprises.size(); i++) {
        if (!r.surprises[i]) continue;
        k++;
        if (*r.surprises[i] > best) {
            best = *r.surprises[i];
            r.feature = static_cast<int>(i) + 1;
        }
    }
    if (!k) return r;
    double rr = std::max(0.0, (best - std::log(k)) / std::log(10.0));
    r.score = rr / (rr + 4);
    // The amount is the price times the quantity: typed by that cause when it is itself at least
    // half as surprising.
    if (r.feature == 3) {
        double sp = r.surprises[0].value_or(0), sq = r.surprises[1].value_or(0);
        if (std::max(sp, sq) >= 0.5 * best) r.feature = sp >= sq ? 1 : 2;
    }
    return r;
}

} // namespace

DMINE_FUNCTION(dm_context_line_score) {
    auto r = score_line(fcinfo);
    if (!r.score) PG_RETURN_NULL();
    PG_RETURN_FLOAT8(*r.score);
}

DMINE_FUNCTION(dm_context_line_explain) {
    auto r = score_line(fcinfo);
    nlohmann::json j = nlohmann::json::object();
    nlohmann::json s = nlohmann::json::array();
    for (const auto &v : r.surprises) s.push_back(v ? nlohmann::json(*v) : nlohmann::json());
    j["surprises"] = std::move(s);
    j["score"] = r.score ? nlohmann::json(*r.score) : nlohmann::json();
    j["feature"] = r.feature ? nlohmann::json(r.feature) : nlohmann::json();
    std::string text = j.dump();
    return pg_call([&] { return DirectFunctionCall1(jsonb_in, CStringGetDatum(text.c_str())); });
}
