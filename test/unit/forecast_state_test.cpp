// Forecast kernels: calendar buckets, the aggregate state (merge, serialize, duplicates, zero
// filling, history bound), the forecast value's binary and text forms, the model choice.
#include "core/bytes.hpp"
#include "core/errors.hpp"
#include "forecast/forecast_run.hpp"
#include "forecast/intervals.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace {

using namespace dmine;
using namespace dmine::forecast;

TEST(ForecastCalendar, BucketsAndStarts) {
    // 2000-01-01 is day 0 (a Saturday); 2000-01-03 starts ISO week 0.
    EXPECT_EQ(bucket_of(TimeKind::Date, Grain::Month, 0), 2000 * 12);
    EXPECT_EQ(bucket_of(TimeKind::Date, Grain::Month, 31), 2000 * 12 + 1);
    EXPECT_EQ(bucket_of(TimeKind::Date, Grain::Week, 2), 0);
    EXPECT_EQ(bucket_of(TimeKind::Date, Grain::Week, 1), -1);
    EXPECT_EQ(bucket_of(TimeKind::Date, Grain::Quarter, 91), 2000 * 4 + 1);
    EXPECT_EQ(bucket_start(Grain::Month, 2000 * 12 + 2), 60 * kUsecPerDay); // 2000-03-01
    EXPECT_EQ(bucket_start(Grain::Week, 0), 2 * kUsecPerDay);
    EXPECT_EQ(bucket_of(TimeKind::Timestamp, Grain::Day, -1), -1);
    EXPECT_EQ(infer_grain(TimeKind::Date, {0, 31, 60, 91}), Grain::Month);
    EXPECT_NEAR(normal_quantile(0.975), 1.959963984540054, 1e-15);
    EXPECT_NEAR(normal_quantile(0.1), -1.2815515655446004, 1e-15);
}

TEST(ForecastState, MergeSerializeAndSeries) {
    ForecastState a(TimeKind::Index, "{}", 3), b(TimeKind::Index, "{}", 3);
    for (int i = 1; i <= 10; i += 2) a.add(i, i);
    for (int i = 2; i <= 10; i += 2) b.add(i, i);
    b.add(14, 14); // 11..13 missing
    b.add_null();
    a.merge(b);
    ByteWriter out;
    a.serialize(out);
    ByteReader in(out.bytes().data(), out.bytes().size());
    ForecastState c = ForecastState::deserialize(in);
    in.expect_end();
    Series s = c.series();
    ASSERT_EQ(s.y.size(), 14u);
    EXPECT_EQ(s.first, 1);
    EXPECT_EQ(s.filled, 3u);
    EXPECT_EQ(s.y[13], 14.0);
    EXPECT_EQ(c.nulls(), 1u);
    ForecastState d(TimeKind::Index, "{\"max_history\": 5}", 3);
    for (int i = 1; i <= 10; i++) d.add(i, i);
    EXPECT_EQ(d.series().y.size(), 5u);
    EXPECT_EQ(d.series().dropped, 5u);
}

TEST(ForecastState, Errors) {
    ForecastState a(TimeKind::Index, "{}", 3);
    a.add(1, 1);
    a.add(1, 2);
    EXPECT_THROW(a.series(), Error);
    EXPECT_THROW(a.add(2, NAN), Error);
    EXPECT_THROW(ForecastState(TimeKind::Index, "{}", 0), Error);
    EXPECT_THROW(ForecastState(TimeKind::Index, "{\"grain\": \"month\"}", 1), Error);
    std::uint8_t junk[12] = {};
    ByteReader in(junk, sizeof junk);
    EXPECT_THROW(ForecastState::deserialize(in), Error);
}

TEST(ForecastValue, RoundTripsAndRejectsDefects) {
    ForecastState st(TimeKind::Date, "{\"grain\": \"month\", \"levels\": [80, 95]}", 6);
    for (int i = 0; i < 48; i++)
        st.add(i * 30, 100 + 20 * std::sin(2 * 3.14159265 * i / 12) + i + std::sin(i * 7.1));
    ForecastValue f = run_forecast(st.series(), st.options());
    EXPECT_EQ(f.horizon(), 6);
    std::string text = f.to_json();
    ForecastValue g = ForecastValue::from_json(text);
    EXPECT_EQ(g.to_json(), text);
    EXPECT_EQ(g.encode(), f.encode());
    auto bytes = f.encode();
    bytes.back() ^= 1;
    EXPECT_THROW(ForecastValue::decode(bytes.data(), bytes.size()), Error);
    EXPECT_THROW(ForecastValue::from_json("{\"format\": 1}"), Error);
    EXPECT_THROW(ForecastValue::from_json("[1,2]"), Error);
}

TEST(ForecastRun, ChoosesByShape) {
    ForecastOptions o = parse_forecast_options("{}", 4);
    Series s;
    s.y = {0, 0, 3, 0, 0, 0, 4, 0, 0, 2, 0, 0};
    EXPECT_EQ(run_forecast(s, o).method, "SBA");
    s.y = {1, 2, 3};
    EXPECT_EQ(run_forecast(s, o).method, "naive");
    s.y.clear();
    for (int i = 0; i < 30; i++) s.y.push_back(10 + i + std::sin(i));
    EXPECT_EQ(run_forecast(s, o).method.rfind("ETS(", 0), 0u);
}

} // namespace
