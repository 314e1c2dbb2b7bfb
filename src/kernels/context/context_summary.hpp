// A fitted context summary (the dmine.context_summary value): per group key the typical value
// and spread of a measure (robust centre and Laplace scale, log or linear scale) or the counts of
// the hours and weekdays of the lines; an overall group for lines without a usable group.
//
// Surprise: -ln of the tail probability of a line under its group's model, in nats. Values: a
// Laplace law of centre c and scale b = mean |t - c| (t = ln x on the log scale), so
// P(|T - c| >= d) = exp(-d / b); b is at least the scale of the pooled deviations of all lines
// from their group's median (from their percentiles), so that a group whose lines are nearly all
// equal (a quantity of 1) takes the spread the other groups show. The deviation z = (t - c) / b
// is then calibrated: the surprise is -ln of the empirical tail of z over all lines (pooled over
// the groups, the overall group on its own) down to a tail of 1%, and beyond it an exponential
// tail whose scale is the mean excess of the lines beyond (at least min_spread). Time: P(a line
// falls in an hour at most as frequent as this one), bins holding at most 0.5% of the lines
// emptied, the group's counts mixed with 5% of its lines (at least kPrior pseudo-lines) of the
// overall profile; the same for the weekday, the larger surprise kept. With
// leave_out, the line itself is taken out of its group's figures first (it was one of the fitted
// lines).
#pragma once

#include "context/context_groups.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace dmine::context {

constexpr std::uint32_t kSummaryMagic = 0x58434d44; // "DMCX"
constexpr std::uint16_t kSummaryVersion = 3;
constexpr double kPrior = 5; // time: pseudo-lines of the overall profile mixed into a group
constexpr double kMaxSurprise = 1e4;

enum class Side { Both, High, Low };
Side parse_side(const std::string &side); // InvalidParameter unless both, high or low

struct Group {
    std::string key;
    std::uint64_t n = 0;
    double center = 0;                           // value kind: median of t; time kind: unused
    double spread_sum = 0;                       // value kind: sum of |t - center|
    std::array<std::uint64_t, kTimeBins> bins{}; // time kind
};

// The calibrated upper tail of the deviations z = (t - c) / b over a set of lines: knots (z, S)
// with S = -ln P(Z >= z), increasing, down to a tail of kTailLevel; beyond the last knot
// S grows as (z - z_last) / scale. Empty: the Laplace law (S = z + ln 2 above the median).
struct Tail {
    std::vector<double> z, s;
    double scale = 1;
    // -ln P(Z >= z); `floor`: the least scale of the extrapolated part (z units).
    double surprise(double z, double floor) const;
};
constexpr double kTailLevel = 0.01;
constexpr std::uint64_t kTailMinLines = 1000; // fewer lines: no calibration (Laplace)
enum TailIndex { kGroupHigh = 0, kGroupLow, kOverallHigh, kOverallLow, kTails };

// What a line looks like against one group.
struct Assessment {
    bool overall = false; // the overall group was used (key NULL)
    const Group *group = nullptr;
    double surprise = 0;
    double typical = 0;      // value: the typical value (original units); time: share of the bin
    double spread = 0;       // value: b; time: share of the weekday
    double ratio = 0;        // value: x / typical (log) or (x - typical) / b (linear)
    bool by_weekday = false; // time: the weekday is the more surprising part
    int hour = 0, weekday = 0;
    std::uint64_t lines = 0; // lines of the group (after leaving the line out)
};

// Integer keys to group numbers: open addressing, linear probing, at most half full (a lookup
// is mostly one probe; a node-based map costs two cache misses).
class IntIndex {
public:
    static constexpr std::size_t npos = SIZE_MAX;
    void reset(std::size_t keys);                     // empty, with room for `keys` keys
    void insert(std::int64_t key, std::size_t value); // a key not present yet
    std::size_t find(std::int64_t key) const noexcept;

private:
    struct Slot {
        std::int64_t key = 0;
        std::size_t value = npos; // npos: empty
    };
    std::vector<Slot> slots_;
};

class Summary {
public:
    Summary() = default;
    Summary(Summary &&) = default;
    Summary &operator=(Summary &&) = default;
    Summary(const Summary &) = delete; // the key index points into groups_
    Summary &operator=(const Summary &) = delete;
    static Summary fit(const ContextState &state);
    static Summary decode(const void *data, std::size_t size);
    static Summary from_json(const char *text);
    std::vector<std::uint8_t> encode() const;
    std::string to_json() const;
    std::string info_json() const;

    const Options &options() const noexcept { return options_; }
    // The group of `key` (nullptr: the overall group); nullopt when the group is unknown or has
    // fewer than min_rows lines (after leaving the line out), or the value is out of the domain.
    std::optional<Assessment> assess_value(const std::string *key, double x, Side side,
                                           bool leave_out) const;
    std::optional<Assessment> assess_time(const std::string *key, std::int64_t timestamp,
                                          bool leave_out) const;
    // The same against a group already found (nullptr: unknown; &overall(): the overall group).
    std::optional<Assessment> assess_value_in(const Group *g, double x, Side side,
                                              bool leave_out) const;
    std::optional<Assessment> assess_time_in(const Group *g, std::int64_t timestamp,
                                             bool leave_out) const;
    // The typical value of a group (value kind), nullopt when too small or unknown.
    std::optional<double> typical(const std::string *key) const;

    const Group &overall() const noexcept { return overall_; }
    const Group *find(std::string_view key) const;
    const Group *find(std::int64_t key) const; // keys written as integers (decimal, canonical)
    Kind kind() const noexcept { return options_.kind; }

private:
    const Group *find(const std::string *key) const;
    void index();
    // Time kind: the surprise and share of one bin (an hour 0..23 or 24 + weekday) of a group of
    // n lines, the line left out of it or not; memoised per group when the groups are few.
    std::pair<double, double> time_part(const Group &g, std::uint64_t n, int bin,
                                        bool leave_out) const;
    std::pair<double, double> compute_time_part(const Group &g, std::uint64_t n, int bin,
                                                bool leave_out) const;
    void check() const; // InvalidText / Corrupted on a broken rule
    Options options_;
    std::uint64_t rows_seen_ = 0, skipped_ = 0;
    double pooled_spread_ = 0;       // value kind: scale of the deviations from the group medians
    std::array<Tail, kTails> tails_; // value kind: calibration of z (groups pooled, overall)
    Group overall_;
    std::vector<Group> groups_; // sorted by key
    std::unordered_map<std::string_view, std::size_t> by_key_;
    IntIndex by_int_;
    // Time kind: the overall bins (stray bins emptied) as the groups' prior, the frequencies of
    // the hours (smoothed) and of the weekdays with their totals; set by index().
    std::array<double, kTimeBins> prior_hours_{}, prior_days_{};
    double prior_hours_total_ = 0, prior_days_total_ = 0;
    // Time kind, at most kTimeMemoGroups groups: time_part per group (the overall one last),
    // leave-out flag and bin; NaN: not computed yet.
    static constexpr std::size_t kTimeMemoGroups = 4096;
    mutable std::vector<std::array<double, 2>> time_memo_;
    friend struct SummaryCodec;
};

} // namespace dmine::context
