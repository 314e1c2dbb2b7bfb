// The forecast value: validation, sealed binary form, JSON text form, summary.
#include "forecast/forecast_value.hpp"

#include "core/bytes.hpp"
#include "core/json_input.hpp"
#include "core/model_format.hpp"
#include "forecast/options.hpp"

#include <nlohmann/json.hpp>

#include <cmath>

namespace dmine::forecast {

namespace {

using ojson = nlohmann::ordered_json;

constexpr std::size_t kMaxName = 64;
constexpr std::size_t kMaxParams = 16;
constexpr std::size_t kMaxStates = 64;
constexpr std::int64_t kMaxKey = std::int64_t{1} << 62;

[[noreturn]] void invalid(ErrorKind kind, const std::string &what) {
    fail(kind, std::string(kind == ErrorKind::Corrupted ? "corrupted forecast: "
                                                        : "invalid forecast text: ") +
                   what);
}

bool finite_or_nan(double v) {
    return std::isfinite(v) || std::isnan(v);
}

void check_name(const std::string &s, ErrorKind kind, const char *what) {
    if (s.empty() || s.size() > kMaxName) invalid(kind, std::string(what) + " length");
    for (char c : s)
        if (c < 0x20 || c > 0x7e) invalid(kind, std::string(what) + " has a bad character");
}

void check_values(const std::vector<double> &v, ErrorKind kind, const char *what, bool nan_ok) {
    for (double x : v)
        if (nan_ok ? !finite_or_nan(x) : !std::isfinite(x))
            invalid(kind, std::string(what) + " has a non-finite value");
}

ojson number(double v) {
    return std::isnan(v) ? ojson(nullptr) : ojson(v);
}

ojson numbers(const std::vector<double> &v) {
    ojson a = ojson::array();
    for (double x : v) a.push_back(number(x));
    return a;
}

double read_number(const ojson &j, const char *what) {
    if (j.is_null()) return NAN;
    if (!j.is_number()) invalid(ErrorKind::InvalidText, std::string(what) + " must be numbers");
    return j.get<double>();
}

std::vector<double> read_numbers(const ojson &j, const char *what, std::size_t max) {
    if (!j.is_array() || j.size() > max)
        invalid(ErrorKind::InvalidText, std::string(what) + " must be an array of numbers");
    std::vector<double> v;
    v.reserve(j.size());
    for (const auto &x : j) v.push_back(read_number(x, what));
    return v;
}

const ojson &member(const ojson &o, const char *key) {
    auto it = o.find(key);
    if (it == o.end()) invalid(ErrorKind::InvalidText, std::string("missing key \"") + key + "\"");
    return *it;
}

std::string read_string(const ojson &o, const char *key) {
    const ojson &j = member(o, key);
    if (!j.is_string()) invalid(ErrorKind::InvalidText, std::string(key) + " must be a string");
    return j.get<std::string>();
}

std::int64_t read_integer(const ojson &o, const char *key) {
    const ojson &j = member(o, key);
    if (!j.is_number_integer() || (j.is_number_unsigned() && j.get<std::uint64_t>() > INT64_MAX))
        invalid(ErrorKind::InvalidText, std::string(key) + " must be an integer");
    return j.get<std::int64_t>();
}

void put_doubles(ByteWriter &out, const std::vector<double> &v) {
    out.put_vector(v);
}

} // namespace

void validate(const ForecastValue &f, ErrorKind kind) {
    if (static_cast<int>(f.kind) > 2) invalid(kind, "time kind");
    if (static_cast<int>(f.grain) > static_cast<int>(Grain::Year)) invalid(kind, "grain");
    if ((f.kind == TimeKind::Index) != (f.grain == Grain::None))
        invalid(kind, "grain does not match the time kind");
    if (f.period < 1 || f.period > kMaxPeriod) invalid(kind, "period out of range");
    if (f.first < -kMaxKey || f.first > kMaxKey) invalid(kind, "first period out of range");
    check_name(f.model, kind, "model");
    check_name(f.method, kind, "method");
    check_name(f.intervals, kind, "intervals");
    if (f.params.size() > kMaxParams) invalid(kind, "too many parameters");
    for (const auto &[name, value] : f.params) {
        check_name(name, kind, "parameter name");
        if (!finite_or_nan(value)) invalid(kind, "parameter value");
    }
    for (double v : {f.aicc, f.aic, f.bic, f.loglik, f.sigma2, f.mase})
        if (!finite_or_nan(v) && !(v > 0 && std::isinf(v))) invalid(kind, "statistic value");
    if (f.point.empty() || f.point.size() > kMaxHorizon) invalid(kind, "horizon out of range");
    check_values(f.point, kind, "point", false);
    if (f.levels.size() > kMaxLevels) invalid(kind, "too many levels");
    for (double l : f.levels)
        if (!(l > 0 && l < 100)) invalid(kind, "level out of range");
    if (f.lo.size() != f.levels.size() || f.hi.size() != f.levels.size())
        invalid(kind, "bounds do not match the levels");
    for (std::size_t i = 0; i < f.levels.size(); i++) {
        if (f.lo[i].size() != f.point.size() || f.hi[i].size() != f.point.size())
            invalid(kind, "bounds do not match the horizon");
        check_values(f.lo[i], kind, "lower bound", true);
        check_values(f.hi[i], kind, "upper bound", true);
    }
    if (f.actual.empty() || f.actual.size() > kMaxHistoryLimit) invalid(kind, "history length");
    if (f.fitted.size() != f.actual.size()) invalid(kind, "fitted values do not match history");
    check_values(f.actual, kind, "history", false);
    check_values(f.fitted, kind, "fitted values", true);
    if (f.initial_state.size() > kMaxStates || f.last_state.size() > kMaxStates)
        invalid(kind, "too many states");
    check_values(f.initial_state, kind, "initial state", true);
    check_values(f.last_state, kind, "last state", true);
}

std::vector<std::uint8_t> ForecastValue::encode() const {
    ByteWriter out;
    out.put<std::uint8_t>(static_cast<std::uint8_t>(kind));
    out.put<std::uint8_t>(static_cast<std::uint8_t>(grain));
    out.put<std::uint8_t>(nonnegative ? 1 : 0);
    out.put<std::int32_t>(period);
    out.put<std::int64_t>(first);
    out.put_string(model);
    out.put_string(method);
    out.put_string(intervals);
    out.put<std::uint64_t>(params.size());
    for (const auto &[name, value] : params) {
        out.put_string(name);
        out.put<double>(value);
    }
    for (double v : {aicc, aic, bic, loglik, sigma2, mase}) out.put<double>(v);
    for (std::uint64_t v : {rows, nulls, filled, dropped}) out.put<std::uint64_t>(v);
    put_doubles(out, levels);
    put_doubles(out, point);
    for (std::size_t i = 0; i < levels.size(); i++) {
        put_doubles(out, lo[i]);
        put_doubles(out, hi[i]);
    }
    put_doubles(out, actual);
    put_doubles(out, fitted);
    put_doubles(out, initial_state);
    put_doubles(out, last_state);
    return seal_model(kForecastMagic, kForecastVersion, out.bytes());
}

ForecastValue ForecastValue::decode(const void *data, std::size_t size) {
    auto opened = open_model(data, size, kForecastMagic, kForecastVersion, "forecast");
    ByteReader &in = opened.payload;
    ForecastValue f;
    auto kind = in.get<std::uint8_t>(), grain = in.get<std::uint8_t>();
    auto nonneg = in.get<std::uint8_t>();
    if (kind > 2 || grain > static_cast<int>(Grain::Year) || nonneg > 1)
        invalid(ErrorKind::Corrupted, "header");
    f.kind = static_cast<TimeKind>(kind);
    f.grain = static_cast<Grain>(grain);
    f.nonnegative = nonneg;
    f.period = in.get<std::int32_t>();
    f.first = in.get<std::int64_t>();
    f.model = in.get_string(kMaxName);
    f.method = in.get_string(kMaxName);
    f.intervals = in.get_string(kMaxName);
    auto count = in.get<std::uint64_t>();
    if (count > kMaxParams) invalid(ErrorKind::Corrupted, "too many parameters");
    for (std::uint64_t i = 0; i < count; i++) {
        std::string name = in.get_string(kMaxName);
        f.params.push_back({name, in.get<double>()});
    }
    for (double *v : {&f.aicc, &f.aic, &f.bic, &f.loglik, &f.sigma2, &f.mase})
        *v = in.get<double>();
    for (std::uint64_t *v : {&f.rows, &f.nulls, &f.filled, &f.dropped})
        *v = in.get<std::uint64_t>();
    f.levels = in.get_vector<double>(kMaxLevels);
    f.point = in.get_vector<double>(kMaxHorizon);
    for (std::size_t i = 0; i < f.levels.size(); i++) {
        f.lo.push_back(in.get_vector<double>(kMaxHorizon));
        f.hi.push_back(in.get_vector<double>(kMaxHorizon));
    }
    f.actual = in.get_vector<double>(kMaxHistoryLimit);
    f.fitted = in.get_vector<double>(kMaxHistoryLimit);
    f.initial_state = in.get_vector<double>(kMaxStates);
    f.last_state = in.get_vector<double>(kMaxStates);
    in.expect_end();
    validate(f, ErrorKind::Corrupted);
    return f;
}

std::string ForecastValue::to_json() const {
    ojson params_json = ojson::object();
    for (const auto &[name, value] : params) params_json[name] = number(value);
    ojson lo_json = ojson::array(), hi_json = ojson::array();
    for (std::size_t i = 0; i < levels.size(); i++) {
        lo_json.push_back(numbers(lo[i]));
        hi_json.push_back(numbers(hi[i]));
    }
    ojson j = {
        {"format", kForecastVersion},
        {"model", model},
        {"method", method},
        {"intervals", intervals},
        {"nonnegative", nonnegative},
        {"time",
         {{"kind", time_kind_name(kind)},
          {"grain", grain_name(grain)},
          {"period", period},
          {"first", first}}},
        {"params", params_json},
        {"stats",
         {{"aicc", number(aicc)},
          {"aic", number(aic)},
          {"bic", number(bic)},
          {"loglik", number(loglik)},
          {"sigma2", number(sigma2)},
          {"mase", number(mase)}}},
        {"counts", {{"rows", rows}, {"nulls", nulls}, {"filled", filled}, {"dropped", dropped}}},
        {"levels", numbers(levels)},
        {"point", numbers(point)},
        {"lo", lo_json},
        {"hi", hi_json},
        {"actual", numbers(actual)},
        {"fitted", numbers(fitted)},
        {"initial_state", numbers(initial_state)},
        {"last_state", numbers(last_state)}};
    return j.dump();
}

ForecastValue ForecastValue::from_json(const std::string &text) {
    const std::string prefix = "invalid forecast text: ";
    ojson j = json_input::parse_ordered(text, ErrorKind::InvalidText, prefix);
    return json_input::guarded(ErrorKind::InvalidText, prefix, [&] {
        if (!j.is_object()) invalid(ErrorKind::InvalidText, "not a JSON object");
        static const char *keys[] = {
            "format", "model",  "method", "intervals",     "nonnegative", "time",
            "params", "stats",  "counts", "levels",        "point",       "lo",
            "hi",     "actual", "fitted", "initial_state", "last_state"};
        for (const auto &[key, value] : j.items()) {
            bool known = false;
            for (const char *k : keys) known = known || key == k;
            if (!known) invalid(ErrorKind::InvalidText, "unknown key \"" + key + "\"");
        }
        if (read_integer(j, "format") != kForecastVersion)
            invalid(ErrorKind::InvalidText, "unsupported format version");
        ForecastValue f;
        f.model = read_string(j, "model");
        f.method = read_string(j, "method");
        f.intervals = read_string(j, "intervals");
        const ojson &nn = member(j, "nonnegative");
        if (!nn.is_boolean()) invalid(ErrorKind::InvalidText, "nonnegative must be a boolean");
        f.nonnegative = nn.get<bool>();
        const ojson &time = member(j, "time");
        if (!time.is_object() || time.size() != 4) invalid(ErrorKind::InvalidText, "time");
        std::string kind = read_string(time, "kind"), grain = read_string(time, "grain");
        if (kind == "index")
            f.kind = TimeKind::Index;
        else if (kind == "date")
            f.kind = TimeKind::Date;
        else if (kind == "timestamp")
            f.kind = TimeKind::Timestamp;
        else
            invalid(ErrorKind::InvalidText, "time kind");
        if (grain != "none" && !parse_grain(grain, f.grain))
            invalid(ErrorKind::InvalidText, "grain");
        std::int64_t period = read_integer(time, "period");
        if (period < 1 || period > kMaxPeriod)
            invalid(ErrorKind::InvalidText, "period out of range");
        f.period = static_cast<int>(period);
        f.first = read_integer(time, "first");
        const ojson &params = member(j, "params");
        if (!params.is_object() || params.size() > kMaxParams)
            invalid(ErrorKind::InvalidText, "params must be an object");
        for (const auto &[name, value] : params.items())
            f.params.push_back({name, read_number(value, "params")});
        const ojson &stats = member(j, "stats");
        if (!stats.is_object() || stats.size() != 6) invalid(ErrorKind::InvalidText, "stats");
        f.aicc = read_number(member(stats, "aicc"), "stats");
        f.aic = read_number(member(stats, "aic"), "stats");
        f.bic = read_number(member(stats, "bic"), "stats");
        f.loglik = read_number(member(stats, "loglik"), "stats");
        f.sigma2 = read_number(member(stats, "sigma2"), "stats");
        f.mase = read_number(member(stats, "mase"), "stats");
        const ojson &counts = member(j, "counts");
        if (!counts.is_object() || counts.size() != 4) invalid(ErrorKind::InvalidText, "counts");
        for (auto [key, target] :
             {std::pair{"rows", &f.rows}, std::pair{"nulls", &f.nulls},
              std::pair{"filled", &f.filled}, std::pair{"dropped", &f.dropped}}) {
            std::int64_t v = read_integer(counts, key);
            if (v < 0) invalid(ErrorKind::InvalidText, "counts must not be negative");
            *target = static_cast<std::uint64_t>(v);
        }
        f.levels = read_numbers(member(j, "levels"), "levels", kMaxLevels);
        f.point = read_numbers(member(j, "point"), "point", kMaxHorizon);
        const ojson &lo = member(j, "lo"), &hi = member(j, "hi");
        if (!lo.is_array() || !hi.is_array() || lo.size() != f.levels.size() ||
            hi.size() != f.levels.size())
            invalid(ErrorKind::InvalidText, "bounds do not match the levels");
        for (std::size_t i = 0; i < f.levels.size(); i++) {
            f.lo.push_back(read_numbers(lo[i], "lo", kMaxHorizon));
            f.hi.push_back(read_numbers(hi[i], "hi", kMaxHorizon));
        }
        f.actual = read_numbers(member(j, "actual"), "actual", kMaxHistoryLimit);
        f.fitted = read_numbers(member(j, "fitted"), "fitted", kMaxHistoryLimit);
        f.initial_state = read_numbers(member(j, "initial_state"), "initial_state", kMaxStates);
        f.last_state = read_numbers(member(j, "last_state"), "last_state", kMaxStates);
        validate(f, ErrorKind::InvalidText);
        return f;
    });
}

std::string ForecastValue::info_json() const {
    ojson params_json = ojson::object();
    for (const auto &[name, value] : params) params_json[name] = number(value);
    ojson j = {{"model", model},
               {"method", method},
               {"params", params_json},
               {"aicc", number(aicc)},
               {"aic", number(aic)},
               {"bic", number(bic)},
               {"loglik", number(loglik)},
               {"sigma", std::isnan(sigma2) ? ojson(nullptr) : ojson(std::sqrt(sigma2))},
               {"sigma2", number(sigma2)},
               {"mase", number(mase)},
               {"fitted_length", actual.size()},
               {"horizon", point.size()},
               {"period", period},
               {"time", time_kind_name(kind)},
               {"grain", kind == TimeKind::Index ? ojson(nullptr) : ojson(grain_name(grain))},
               {"levels", numbers(levels)},
               {"intervals", intervals},
               {"nonnegative", nonnegative},
               {"rows", rows},
               {"nulls_skipped", nulls},
               {"zero_filled", filled},
               {"dropped_periods", dropped},
               {"initial_state", numbers(initial_state)},
               {"last_state", numbers(last_state)}};
    return j.dump();
}

} // namespace dmine::forecast
