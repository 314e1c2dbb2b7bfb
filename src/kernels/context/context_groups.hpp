// Grouped context summaries being fitted: per key a sparse count of buckets (values on a log or
// linear grid, or hour and weekday bins), mergeable and serializable (the aggregate state).
#pragma once

#include "core/bytes.hpp"
#include "core/state_alloc.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace dmine::context {

enum class Kind : std::uint8_t { Value = 0, Time = 1 };
enum class Scale : std::uint8_t { Log = 0, Linear = 1 };

// Fitting options, kept in the state for the final function.
struct Options {
    Kind kind = Kind::Value;
    Scale scale = Scale::Log;
    std::int32_t min_rows = 20; // a group with fewer lines has no typical value (fallback)
    double min_spread = 0.05;   // floor of the spread (log scale: about 5%; linear: x |center|)
};

// Options from JSON text (NULL text: the defaults of `kind`); errors are 22023.
Options parse_options(const char *json_text, Kind kind);
void validate(const Options &options); // throws InvalidParameter

constexpr std::size_t kMaxBuckets = 4096; // per group: beyond, the lowest buckets are merged
constexpr double kLogWidth = 0.01;        // log scale: buckets of 1% (in ln)
constexpr double kLinearGamma = 1.01;     // linear scale: relative buckets of 1%
constexpr std::int32_t kLinearOffset = 80000;
constexpr int kTimeBins = 31; // 24 hours, then 7 weekdays (0 = Sunday)

using StateString = std::basic_string<char, std::char_traits<char>, StateAllocator<char>>;

struct Bucket {
    std::int32_t key;
    std::int32_t pad; // 0: the serialized bytes carry no uninitialised padding
    std::uint64_t count;
};

// The lines of one group.
struct GroupCounts {
    std::uint64_t n = 0;
    StateVector<Bucket> buckets; // sorted by key

    void add(std::int32_t key, std::uint64_t count);
    void merge(const GroupCounts &other);
    void serialize(ByteWriter &out) const;
    static GroupCounts deserialize(ByteReader &in, Kind kind);
};

struct KeyHash {
    std::size_t operator()(const StateString &s) const noexcept {
        return std::hash<std::string_view>()(std::string_view(s.data(), s.size()));
    }
};

using GroupMap = std::unordered_map<StateString, GroupCounts, KeyHash, std::equal_to<StateString>,
                                    StateAllocator<std::pair<const StateString, GroupCounts>>>;

// Bucket of a value, false when the value is out of the scale's domain (log: <= 0; NaN, inf).
bool value_bucket(Scale scale, double x, std::int32_t &key);
// The representative of a bucket in the scale's own units (log scale: ln x).
double bucket_center(Scale scale, std::int32_t key);
// Hour (0..23) and weekday (0 = Sunday) of a PostgreSQL timestamp (microseconds since 2000-01-01).
void time_bins(std::int64_t timestamp, int &hour, int &weekday);

class ContextState {
public:
    explicit ContextState(Options options) : options_(options) { validate(options_); }

    // One line: `key` null for a line without a group (it counts in the overall group only).
    void add_value(const char *key, std::size_t key_size, bool has_key, double x);
    void add_time(const char *key, std::size_t key_size, bool has_key, std::int64_t timestamp);
    void add_skipped() { skipped_++; }

    void merge(const ContextState &other);
    void serialize(ByteWriter &out) const;
    static ContextState deserialize(ByteReader &in);

    const Options &options() const noexcept { return options_; }
    const GroupCounts &overall() const noexcept { return overall_; }
    const GroupMap &groups() const noexcept { return groups_; }
    std::uint64_t skipped() const noexcept { return skipped_; }

private:
    // The group of the previous line, looked up first (lines of one order, of one customer, often
    // follow each other); forgotten when the state is copied or moved (it points into groups_).
    struct LastGroup {
        std::string_view key;
        GroupCounts *group = nullptr;
        LastGroup() = default;
        LastGroup(const LastGroup &) noexcept {}
        LastGroup &operator=(const LastGroup &) noexcept {
            key = {};
            group = nullptr;
            return *this;
        }
    };
    GroupCounts &group(const char *key, std::size_t key_size);
    LastGroup last_;
    Options options_;
    GroupCounts overall_;
    GroupMap groups_;
    std::uint64_t skipped_ = 0;
};

} // namespace dmine::context
