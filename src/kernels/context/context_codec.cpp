// The stored forms of a context summary: sealed binary bytes and JSON text, both validated.
#include "context/context_summary.hpp"

#include "core/errors.hpp"
#include "core/json_input.hpp"
#include "core/model_format.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <set>

namespace dmine::context {

using nlohmann::json;

struct SummaryCodec {
    static void put_group(ByteWriter &out, const Summary &s, const Group &g) {
        out.put_string(g.key);
        out.put<std::uint64_t>(g.n);
        if (s.options_.kind == Kind::Value) {
            out.put<double>(g.center);
            out.put<double>(g.spread_sum);
        } else {
            for (auto c : g.bins) out.put<std::uint64_t>(c);
        }
    }
    static Group get_group(ByteReader &in, const Summary &s) {
        Group g;
        g.key = in.get_string();
        g.n = in.get<std::uint64_t>();
        if (s.options_.kind == Kind::Value) {
            g.center = in.get<double>();
            g.spread_sum = in.get<double>();
        } else {
            for (auto &c : g.bins) c = in.get<std::uint64_t>();
        }
        return g;
    }

    static json group_json(const Summary &s, const Group &g, bool with_key) {
        json j = json::object();
        if (with_key) j["key"] = g.key;
        j["lines"] = g.n;
        if (s.options_.kind == Kind::Value) {
            j["center"] = g.center;
            j["spread_sum"] = g.spread_sum;
        } else {
            j["hours"] = std::vector<std::uint64_t>(g.bins.begin(), g.bins.begin() + 24);
            j["weekdays"] = std::vector<std::uint64_t>(g.bins.begin() + 24, g.bins.end());
        }
        return j;
    }

    static void put_tail(ByteWriter &out, const Tail &t) {
        out.put<std::uint32_t>(static_cast<std::uint32_t>(t.z.size()));
        for (std::size_t i = 0; i < t.z.size(); i++) {
            out.put<double>(t.z[i]);
            out.put<double>(t.s[i]);
        }
        out.put<double>(t.scale);
    }
    static Tail get_tail(ByteReader &in) {
        Tail t;
        auto n = in.get<std::uint32_t>();
        if (n > kMaxKnots) fail(ErrorKind::Corrupted, "corrupted context summary: tail knots");
        for (std::uint32_t i = 0; i < n; i++) {
            t.z.push_back(in.get<double>());
            t.s.push_back(in.get<double>());
        }
        t.scale = in.get<double>();
        return t;
    }
    static json tail_json(const Tail &t) {
        return json{{"z", t.z}, {"surprise", t.s}, {"scale", t.scale}};
    }
    static Tail tail_from_json(const json &j) {
        if (!j.is_object() || j.size() != 3 || !j.contains("z") || !j.contains("surprise") ||
            !j.contains("scale"))
            bad_text("a tail must be an object with z, surprise and scale");
        Tail t;
        const json &z = j.at("z"), &s = j.at("surprise");
        if (!z.is_array() || !s.is_array() || z.size() != s.size() || z.size() > kMaxKnots)
            bad_text("a tail's z and surprise must be arrays of the same length (at most 64)");
        for (std::size_t i = 0; i < z.size(); i++) {
            t.z.push_back(get_number(z[i], "z"));
            t.s.push_back(get_number(s[i], "surprise"));
        }
        t.scale = get_number(j.at("scale"), "scale");
        return t;
    }
    static constexpr std::uint32_t kMaxKnots = 64;

    [[noreturn]] static void bad_text(const std::string &m) {
        fail(ErrorKind::InvalidText, "invalid context summary: " + m);
    }
    static std::uint64_t get_count(const json &j, const char *what) {
        if (!j.is_number_unsigned() && !(j.is_number_integer() && j.get<std::int64_t>() >= 0))
            bad_text(std::string(what) + " must be a non-negative integer");
        auto v = j.get<std::uint64_t>();
        if (v > static_cast<std::uint64_t>(INT64_MAX))
            bad_text(std::string(what) + " is too large");
        return v;
    }
    static double get_number(const json &j, const char *what) {
        if (!j.is_number()) bad_text(std::string(what) + " must be a number");
        return j.get<double>();
    }
    static Group group_from_json(const Summary &s, const json &j, bool with_key) {
        if (!j.is_object()) bad_text("a group must be a JSON object");
        Group g;
        std::set<std::string> seen;
        for (const auto &[k, v] : j.items()) {
            seen.insert(k);
            if (k == "key" && with_key) {
                if (!v.is_string()) bad_text("key must be a string");
                g.key = v.get<std::string>();
            } else if (k == "lines") {
                g.n = get_count(v, "lines");
            } else if (k == "center" && s.options_.kind == Kind::Value) {
                g.center = get_number(v, "center");
            } else if (k == "spread_sum" && s.options_.kind == Kind::Value) {
                g.spread_sum = get_number(v, "spread_sum");
            } else if ((k == "hours" || k == "weekdays") && s.options_.kind == Kind::Time) {
                std::size_t size = k == "hours" ? 24 : 7, first = k == "hours" ? 0 : 24;
                if (!v.is_array() || v.size() != size)
                    bad_text(k + " must be an array of " + std::to_string(size) + " counts");
                for (std::size_t i = 0; i < size; i++)
                    g.bins[first + i] = get_count(v[i], k.c_str());
            } else {
                bad_text("unknown group field \"" + k + "\"");
            }
        }
        std::size_t want = (with_key ? 1 : 0) + 3;
        if (seen.size() != want) bad_text("a group lacks a field");
        return g;
    }
};

std::vector<std::uint8_t> Summary::encode() const {
    ByteWriter out;
    out.put<std::uint8_t>(static_cast<std::uint8_t>(options_.kind));
    out.put<std::uint8_t>(static_cast<std::uint8_t>(options_.scale));
    out.put<std::int32_t>(options_.min_rows);
    out.put<double>(options_.min_spread);
    out.put<std::uint64_t>(rows_seen_);
    out.put<std::uint64_t>(skipped_);
    out.put<double>(pooled_spread_);
    for (const auto &t : tails_) SummaryCodec::put_tail(out, t);
    SummaryCodec::put_group(out, *this, overall_);
    out.put<std::uint64_t>(groups_.size());
    for (const auto &g : groups_) SummaryCodec::put_group(out, *this, g);
    return seal_model(kSummaryMagic, kSummaryVersion, out.bytes());
}

Summary Summary::decode(const void *data, std::size_t size) {
    auto opened = open_model(data, size, kSummaryMagic, kSummaryVersion, "context summary");
    auto &in = opened.payload;
    Summary s;
    auto kind = in.get<std::uint8_t>(), scale = in.get<std::uint8_t>();
    if (kind > 1 || scale > 1)
        fail(ErrorKind::Corrupted, "corrupted context summary: unknown kind");
    s.options_.kind = static_cast<Kind>(kind);
    s.options_.scale = static_cast<Scale>(scale);
    s.options_.min_rows = in.get<std::int32_t>();
    s.options_.min_spread = in.get<double>();
    s.rows_seen_ = in.get<std::uint64_t>();
    s.skipped_ = in.get<std::uint64_t>();
    s.pooled_spread_ = in.get<double>();
    for (auto &t : s.tails_) t = SummaryCodec::get_tail(in);
    s.overall_ = SummaryCodec::get_group(in, s);
    auto count = in.get<std::uint64_t>();
    if (count > in.remaining() / 16)
        fail(ErrorKind::Corrupted, "corrupted context summary: group count");
    s.groups_.reserve(count);
    for (std::uint64_t i = 0; i < count; i++) s.groups_.push_back(SummaryCodec::get_group(in, s));
    in.expect_end();
    try {
        s.check();
    } catch (const Error &e) {
        fail(ErrorKind::Corrupted, std::string("corrupted context summary: ") + e.what());
    }
    s.index();
    return s;
}

void Summary::check() const {
    auto bad = [](const std::string &m) { fail(ErrorKind::InvalidText, m); };
    try {
        validate(options_);
    } catch (const Error &e) {
        bad(e.what());
    }
    if (options_.kind == Kind::Time && options_.scale != Scale::Log)
        bad("a time summary has no scale");
    if (rows_seen_ > static_cast<std::uint64_t>(INT64_MAX) || skipped_ > rows_seen_ ||
        overall_.n != rows_seen_ - skipped_)
        bad("rows_seen must be the overall lines plus the skipped ones");
    if (overall_.n < 1) bad("the overall group has no line");
    if (!std::isfinite(pooled_spread_) || pooled_spread_ < 0 || pooled_spread_ > 1e300 ||
        (options_.kind == Kind::Time && pooled_spread_ != 0))
        bad("pooled_spread must be finite and >= 0 (0 for times)");
    for (const auto &t : tails_) {
        if (options_.kind == Kind::Time && !t.z.empty()) bad("a time summary has no tails");
        if (t.z.size() != t.s.size()) bad("a tail needs one surprise per knot");
        if (!std::isfinite(t.scale) || t.scale < 0 || t.scale > 1e300)
            bad("a tail's scale must be finite and >= 0");
        for (std::size_t i = 0; i < t.z.size(); i++) {
            if (!std::isfinite(t.z[i]) || std::fabs(t.z[i]) > 1e300 || !(t.s[i] >= 0) ||
                t.s[i] > kMaxSurprise)
                bad("tail knots must be finite, their surprises between 0 and 10000");
            if (i && !(t.z[i] > t.z[i - 1] && t.s[i] >= t.s[i - 1]))
                bad("tail knots must increase");
        }
    }
    auto check_group = [&](const Group &g) {
        if (g.n < 1 || g.n > overall_.n)
            bad("a group's lines must be between 1 and the overall lines");
        if (options_.kind == Kind::Value) {
            if (!std::isfinite(g.center) || std::fabs(g.center) > 1e300)
                bad("center must be finite");
            if (!std::isfinite(g.spread_sum) || g.spread_sum < 0)
                bad("spread_sum must be finite and >= 0");
        } else {
            std::uint64_t hours = 0, days = 0;
            for (int b = 0; b < 24; b++) hours += g.bins[b];
            for (int b = 24; b < kTimeBins; b++) days += g.bins[b];
            if (hours != g.n || days != g.n)
                bad("hours and weekdays must each add up to the lines");
        }
    };
    check_group(overall_);
    if (!overall_.key.empty()) bad("the overall group has no key");
    for (std::size_t i = 0; i < groups_.size(); i++) {
        check_group(groups_[i]);
        if (i && !(groups_[i - 1].key < groups_[i].key))
            bad("groups must be sorted by key, each once");
    }
}

std::string Summary::to_json() const {
    json j = json::object();
    j["format"] = "dmine.context";
    j["version"] = kSummaryVersion;
    j["kind"] = options_.kind == Kind::Value ? "value" : "time";
    if (options_.kind == Kind::Value) {
        j["scale"] = options_.scale == Scale::Log ? "log" : "linear";
        j["min_spread"] = options_.min_spread;
        j["pooled_spread"] = pooled_spread_;
        json tails = json::array();
        for (const auto &t : tails_) tails.push_back(SummaryCodec::tail_json(t));
        j["tails"] = std::move(tails);
    }
    j["min_rows"] = options_.min_rows;
    j["rows_seen"] = rows_seen_;
    j["skipped"] = skipped_;
    j["overall"] = SummaryCodec::group_json(*this, overall_, false);
    json groups = json::array();
    for (const auto &g : groups_) groups.push_back(SummaryCodec::group_json(*this, g, true));
    j["groups"] = std::move(groups);
    return j.dump();
}

Summary Summary::from_json(const char *text) {
    json j = json_input::parse(text, ErrorKind::InvalidText, "invalid context summary: ");
    return json_input::guarded(ErrorKind::InvalidText, "invalid context summary: ", [&] {
        if (!j.is_object()) SummaryCodec::bad_text("not a JSON object");
        Summary s;
        auto need = [&](const char *k) -> const json & {
            if (!j.contains(k)) SummaryCodec::bad_text(std::string("missing field \"") + k + "\"");
            return j.at(k);
        };
        if (need("format") != "dmine.context")
            SummaryCodec::bad_text("format must be \"dmine.context\"");
        if (!need("version").is_number_integer() ||
            need("version").get<std::int64_t>() != kSummaryVersion)
            SummaryCodec::bad_text("unsupported version");
        const json &kind = need("kind");
        if (kind == "value")
            s.options_.kind = Kind::Value;
        else if (kind == "time")
            s.options_.kind = Kind::Time;
        else
            SummaryCodec::bad_text("kind must be \"value\" or \"time\"");
        std::size_t fields = 12;
        if (s.options_.kind == Kind::Value) {
            const json &scale = need("scale");
            if (scale == "log")
                s.options_.scale = Scale::Log;
            else if (scale == "linear")
                s.options_.scale = Scale::Linear;
            else
                SummaryCodec::bad_text("scale must be \"log\" or \"linear\"");
            s.options_.min_spread = SummaryCodec::get_number(need("min_spread"), "min_spread");
            s.pooled_spread_ = SummaryCodec::get_number(need("pooled_spread"), "pooled_spread");
            const json &tails = need("tails");
            if (!tails.is_array() || tails.size() != kTails)
                SummaryCodec::bad_text("tails must be an array of 4 tails");
            for (std::size_t i = 0; i < kTails; i++)
                s.tails_[i] = SummaryCodec::tail_from_json(tails[i]);
        } else {
            fields = 8;
        }
        auto min_rows = SummaryCodec::get_count(need("min_rows"), "min_rows");
        if (min_rows < 1 || min_rows > 1000000000) SummaryCodec::bad_text("min_rows out of range");
        s.options_.min_rows = static_cast<std::int32_t>(min_rows);
        s.rows_seen_ = SummaryCodec::get_count(need("rows_seen"), "rows_seen");
        s.skipped_ = SummaryCodec::get_count(need("skipped"), "skipped");
        s.overall_ = SummaryCodec::group_from_json(s, need("overall"), false);
        const json &groups = need("groups");
        if (!groups.is_array()) SummaryCodec::bad_text("groups must be an array");
        for (const auto &g : groups) s.groups_.push_back(SummaryCodec::group_from_json(s, g, true));
        if (j.size() != fields) SummaryCodec::bad_text("unknown field");
        try {
            s.check();
        } catch (const Error &e) {
            SummaryCodec::bad_text(e.what());
        }
        s.index();
        return s;
    });
}

std::string Summary::info_json() const {
    json j = json::object();
    j["kind"] = options_.kind == Kind::Value ? "value" : "time";
    if (options_.kind == Kind::Value) {
        j["scale"] = options_.scale == Scale::Log ? "log" : "linear";
        j["min_spread"] = options_.min_spread;
        j["typical"] = options_.scale == Scale::Log ? std::exp(overall_.center) : overall_.center;
    }
    j["min_rows"] = options_.min_rows;
    j["rows_seen"] = rows_seen_;
    j["skipped"] = skipped_;
    j["lines"] = overall_.n;
    std::uint64_t usable = 0;
    for (const auto &g : groups_) usable += g.n >= static_cast<std::uint64_t>(options_.min_rows);
    j["groups"] = groups_.size();
    j["groups_with_min_rows"] = usable;
    j["format"] = "dmine.context";
    j["version"] = kSummaryVersion;
    return j.dump();
}

} // namespace dmine::context
