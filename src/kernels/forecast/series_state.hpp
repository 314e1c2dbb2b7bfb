// The transition state of dm_forecast: the options text and horizon of the first row, and the
// points collected so far (any order). Identical times, and times of one bucket once the grain is
// known, are summed as the state grows, so it keeps at most kMaxPoints distinct keys.
#pragma once

#include "core/bytes.hpp"
#include "core/state_alloc.hpp"
#include "forecast/calendar.hpp"
#include "forecast/options.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dmine::forecast {

// A regular series ready for the models.
struct Series {
    TimeKind kind = TimeKind::Index;
    Grain grain = Grain::None;
    int period = 1;
    std::int64_t first = 0; // bucket (or index) of y[0]
    std::vector<double> y;
    std::uint64_t rows = 0;    // rows that went into it
    std::uint64_t filled = 0;  // missing periods set to 0
    std::uint64_t dropped = 0; // older periods left out by max_history
};

class ForecastState {
public:
    ForecastState(TimeKind kind, std::string options_text, std::int64_t horizon);

    // A row: time t (days, microseconds or index) and a finite value y (Data error otherwise).
    void add(std::int64_t t, double y);
    void add_null() { nulls_++; }
    void merge(const ForecastState &other);
    void serialize(ByteWriter &out) const;
    static ForecastState deserialize(ByteReader &in);

    const ForecastOptions &options() const { return options_; }
    const std::string &options_text() const { return options_text_; }
    TimeKind kind() const { return kind_; }
    std::uint64_t nulls() const { return nulls_; }
    std::uint64_t rows() const { return rows_; }

    // The regular series: bucketed, summed, zero-filled, the last max_history periods.
    Series series() const;

private:
    void compact();
    std::int64_t key_of(std::int64_t t) const;

    TimeKind kind_;
    std::string options_text_;
    std::int64_t horizon_;
    ForecastOptions options_;
    bool bucketed_; // keys are buckets of options_.grain (explicit grain on a time axis)
    StateVector<std::int64_t> keys_;
    StateVector<double> values_;
    std::size_t compacted_ = 0; // keys_ up to here are sorted and distinct
    std::uint64_t rows_ = 0, nulls_ = 0;
};

} // namespace dmine::forecast
