// Grouped context summaries being fitted.
#include "context/context_groups.hpp"

#include "core/errors.hpp"
#include "core/interrupt.hpp"
#include "core/json_input.hpp"

#include <algorithm>
#include <cmath>

namespace dmine::context {

namespace {

[[noreturn]] void bad_option(const std::string &message) {
    fail(ErrorKind::InvalidParameter, "invalid context option: " + message, {},
         "Options are scale (\"log\" or \"linear\"), min_rows (1 to 1000000000) and "
         "min_spread (0 to 1e6).");
}

[[noreturn]] void corrupted(const char *what) {
    fail(ErrorKind::Corrupted, std::string("corrupted context state: ") + what);
}

void put_varint(ByteWriter &out, std::uint64_t v) {
    while (v >= 0x80) {
        out.put<std::uint8_t>(static_cast<std::uint8_t>(v | 0x80));
        v >>= 7;
    }
    out.put<std::uint8_t>(static_cast<std::uint8_t>(v));
}

std::uint64_t get_varint(ByteReader &in) {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        auto byte = in.get<std::uint8_t>();
        if (shift == 63 && byte > 1) corrupted("number out of range");
        v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
        if (!(byte & 0x80)) return v;
    }
    corrupted("number too long");
}

std::uint64_t zigzag(std::int64_t v) {
    return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}

std::int64_t unzigzag(std::uint64_t v) {
    return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

} // namespace

void validate(const Options &options) {
    if (options.min_rows < 1 || options.min_rows > 1000000000)
        bad_option("min_rows must be between 1 and 1000000000");
    if (!(options.min_spread >= 0 && options.min_spread <= 1e6))
        bad_option("min_spread must be between 0 and 1e6");
    if (options.kind != Kind::Value && options.kind != Kind::Time) bad_option("unknown kind");
    if (options.scale != Scale::Log && options.scale != Scale::Linear) bad_option("unknown scale");
}

Options parse_options(const char *json_text, Kind kind) {
    Options options;
    options.kind = kind;
    if (kind == Kind::Time) options.min_rows = 100;
    if (!json_text) return options;
    auto object =
        json_input::parse(json_text, ErrorKind::InvalidParameter, "invalid context options: ");
    if (!object.is_object()) bad_option("options must be a JSON object");
    for (const auto &[key, value] : object.items()) {
        if (key == "min_rows") {
            if (!value.is_number_integer()) bad_option("min_rows must be an integer");
            auto v = value.get<std::int64_t>();
            if (value.is_number_unsigned() && value.get<std::uint64_t>() > INT64_MAX) v = -1;
            if (v < 1 || v > 1000000000) bad_option("min_rows must be between 1 and 1000000000");
            options.min_rows = static_cast<std::int32_t>(v);
        } else if (key == "min_spread" && kind == Kind::Value) {
            if (!value.is_number()) bad_option("min_spread must be a number");
            options.min_spread = value.get<double>();
        } else if (key == "scale" && kind == Kind::Value) {
            std::string s = value.is_string() ? value.get<std::string>() : std::string();
            if (s == "log")
                options.scale = Scale::Log;
            else if (s == "linear")
                options.scale = Scale::Linear;
            else
                bad_option("scale must be \"log\" or \"linear\"");
        } else {
            bad_option("unknown option \"" + key + "\"");
        }
    }
    validate(options);
    return options;
}

bool value_bucket(Scale scale, double x, std::int32_t &key) {
    if (!std::isfinite(x)) return false;
    if (scale == Scale::Log) {
        if (!(x > 0)) return false;
        key = static_cast<std::int32_t>(std::floor(std::log(x) / kLogWidth));
        return true;
    }
    double a = std::fabs(x);
    if (a < 1e-300) {
        key = 0;
        return true;
    }
    auto m = static_cast<std::int32_t>(std::ceil(std::log(a) / std::log(kLinearGamma)));
    key = (x > 0 ? 1 : -1) * (kLinearOffset + m);
    return true;
}

double bucket_center(Scale scale, std::int32_t key) {
    if (scale == Scale::Log) return (key + 0.5) * kLogWidth;
    if (key == 0) return 0.0;
    int m = std::abs(key) - kLinearOffset;
    double upper = std::pow(kLinearGamma, m);
    double center = 2 * upper / (kLinearGamma + 1);
    return key > 0 ? center : -center;
}

void time_bins(std::int64_t t, int &hour, int &weekday) {
    constexpr std::int64_t day = 86400000000LL, hour_us = 3600000000LL;
    std::int64_t days = t / day, rest = t % day;
    if (rest < 0) {
        rest += day;
        days--;
    }
    hour = static_cast<int>(rest / hour_us);
    weekday = static_cast<int>(((days + 6) % 7 + 7) % 7); // 2000-01-01 was a Saturday
}

void GroupCounts::add(std::int32_t key, std::uint64_t count) {
    // Dense buckets (the middle of a distribution): the key's place is its gap to the first.
    if (!buckets.empty()) {
        std::int64_t guess = static_cast<std::int64_t>(key) - buckets.front().key;
        if (guess >= 0 && guess < static_cast<std::int64_t>(buckets.size()) &&
            buckets[static_cast<std::size_t>(guess)].key == key) {
            buckets[static_cast<std::size_t>(guess)].count += count;
            return;
        }
    }
    auto it = std::lower_bound(buckets.begin(), buckets.end(), key,
                               [](const Bucket &b, std::int32_t k) { return b.key < k; });
    if (it != buckets.end() && it->key == key) {
        it->count += count;
        return;
    }
    buckets.insert(it, Bucket{key, 0, count});
    if (buckets.size() > kMaxBuckets) { // collapse the lowest two buckets
        buckets[1].count += buckets[0].count;
        buckets.erase(buckets.begin());
    }
}

void GroupCounts::merge(const GroupCounts &other) {
    n += other.n;
    for (const auto &b : other.buckets) add(b.key, b.count);
}

// Bucket counts cross the network (Citus ships one state per shard as text): the line count, the
// number of buckets, then per bucket the key (zigzag for the first, then the gap to the previous
// one, at least 1) and the count, all as LEB128 varints (2 to 4 bytes a bucket instead of 16).
void GroupCounts::serialize(ByteWriter &out) const {
    put_varint(out, n);
    put_varint(out, buckets.size());
    std::int64_t previous = 0;
    for (std::size_t i = 0; i < buckets.size(); i++) {
        std::int64_t key = buckets[i].key;
        put_varint(out, i == 0 ? zigzag(key) : static_cast<std::uint64_t>(key - previous));
        put_varint(out, buckets[i].count);
        previous = key;
    }
}

GroupCounts GroupCounts::deserialize(ByteReader &in, Kind kind) {
    GroupCounts g;
    g.n = get_varint(in);
    auto count = get_varint(in);
    if (count > kMaxBuckets || count > in.remaining() / 2) corrupted("bucket count out of range");
    g.buckets.reserve(count);
    std::int64_t key = 0;
    std::uint64_t total = 0;
    for (std::uint64_t i = 0; i < count; i++) {
        std::uint64_t step = get_varint(in);
        if (i == 0) {
            key = unzigzag(step);
        } else {
            if (step == 0 || step > UINT32_MAX) corrupted("buckets out of order");
            key += static_cast<std::int64_t>(step);
        }
        if (key < INT32_MIN || key > INT32_MAX) corrupted("bucket key out of range");
        if (kind == Kind::Time && (key < 0 || key >= kTimeBins)) corrupted("time bin out of range");
        std::uint64_t c = get_varint(in);
        if (c == 0 || c > UINT64_MAX - total) corrupted("bucket count out of range");
        total += c;
        g.buckets.push_back(Bucket{static_cast<std::int32_t>(key), 0, c});
    }
    if (total != (kind == Kind::Time ? 2 * g.n : g.n)) corrupted("counts do not add up");
    return g;
}

GroupCounts &ContextState::group(const char *key, std::size_t key_size) {
    std::string_view wanted(key, key_size);
    if (last_.group && last_.key == wanted) return *last_.group;
    auto it = groups_.try_emplace(StateString(key, key_size)).first;
    last_.key = std::string_view(it->first.data(), it->first.size());
    last_.group = &it->second;
    return it->second;
}

void ContextState::add_value(const char *key, std::size_t key_size, bool has_key, double x) {
    std::int32_t b;
    if (!value_bucket(options_.scale, x, b)) {
        skipped_++;
        return;
    }
    overall_.n++;
    overall_.add(b, 1);
    if (!has_key) return;
    auto &g = group(key, key_size);
    g.n++;
    g.add(b, 1);
}

void ContextState::add_time(const char *key, std::size_t key_size, bool has_key,
                            std::int64_t timestamp) {
    int hour, weekday;
    time_bins(timestamp, hour, weekday);
    overall_.n++;
    overall_.add(hour, 1);
    overall_.add(24 + weekday, 1);
    if (!has_key) return;
    auto &g = group(key, key_size);
    g.n++;
    g.add(hour, 1);
    g.add(24 + weekday, 1);
}

void ContextState::merge(const ContextState &other) {
    overall_.merge(other.overall_);
    skipped_ += other.skipped_;
    std::size_t i = 0;
    for (const auto &[key, g] : other.groups_) {
        if ((++i & 1023) == 0) check_interrupts();
        groups_[key].merge(g);
    }
}

void ContextState::serialize(ByteWriter &out) const {
    out.put<std::uint8_t>(static_cast<std::uint8_t>(options_.kind));
    out.put<std::uint8_t>(static_cast<std::uint8_t>(options_.scale));
    out.put<std::int32_t>(options_.min_rows);
    out.put<double>(options_.min_spread);
    out.put<std::uint64_t>(skipped_);
    overall_.serialize(out);
    out.put<std::uint64_t>(groups_.size());
    for (const auto &[key, g] : groups_) {
        out.put_array(key.data(), key.size());
        g.serialize(out);
    }
}

ContextState ContextState::deserialize(ByteReader &in) {
    Options options;
    auto kind = in.get<std::uint8_t>();
    auto scale = in.get<std::uint8_t>();
    if (kind > 1 || scale > 1) corrupted("unknown kind or scale");
    options.kind = static_cast<Kind>(kind);
    options.scale = static_cast<Scale>(scale);
    options.min_rows = in.get<std::int32_t>();
    options.min_spread = in.get<double>();
    try {
        validate(options);
    } catch (const Error &) {
        corrupted("options out of range");
    }
    ContextState state(options);
    state.skipped_ = in.get<std::uint64_t>();
    state.overall_ = GroupCounts::deserialize(in, options.kind);
    auto count = in.get<std::uint64_t>();
    if (count > in.remaining()) corrupted("group count out of range");
    for (std::uint64_t i = 0; i < count; i++) {
        auto key = in.get_string();
        auto g = GroupCounts::deserialize(in, options.kind);
        if (g.n > state.overall_.n) corrupted("a group larger than the whole");
        auto [it, fresh] = state.groups_.emplace(StateString(key.data(), key.size()), std::move(g));
        if (!fresh) corrupted("a key given twice");
    }
    return state;
}

} // namespace dmine::context
