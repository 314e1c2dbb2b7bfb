#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "format.hpp"

using namespace dmine::report;

TEST(ReportFormat, IntegersGetThousandsSeparators) {
    EXPECT_EQ(format_int(int64_t{0}), "0");
    EXPECT_EQ(format_int(int64_t{999}), "999");
    EXPECT_EQ(format_int(int64_t{1000}), "1,000");
    EXPECT_EQ(format_int(int64_t{1234567}), "1,234,567");
    EXPECT_EQ(format_int(int64_t{-1234567}), "-1,234,567");
    EXPECT_EQ(format_int(std::optional<int64_t>{}), kMissing);
}

TEST(ReportFormat, FixedDecimals) {
    EXPECT_EQ(format_fixed(1234.5678, 2), "1,234.57");
    EXPECT_EQ(format_fixed(-0.001, 2), "0.00");
    EXPECT_EQ(format_fixed(1e6, 0), "1,000,000");
    EXPECT_EQ(format_fixed(std::numeric_limits<double>::quiet_NaN(), 2), kMissing);
    EXPECT_EQ(format_fixed(std::optional<double>{}, 2), kMissing);
}

TEST(ReportFormat, SignificantDigits) {
    EXPECT_EQ(format_number(1234567.8), "1,234,568");
    EXPECT_EQ(format_number(0.012345), "0.0123");
    EXPECT_EQ(format_number(3.0), "3");
    EXPECT_EQ(format_number(12.5), "12.5");
    EXPECT_EQ(format_number(0.0), "0");
    EXPECT_EQ(format_number(-45.678, 3), "-45.7");
    EXPECT_EQ(format_number(2.5e-9), "2.50e-09");
    EXPECT_EQ(format_number(std::numeric_limits<double>::infinity()), kMissing);
}

TEST(ReportFormat, CompactForChartLabels) {
    EXPECT_EQ(format_compact(950), "950");
    EXPECT_EQ(format_compact(1234), "1.2k");
    EXPECT_EQ(format_compact(56000), "56k");
    EXPECT_EQ(format_compact(5600000), "5.6M");
    EXPECT_EQ(format_compact(2e9), "2G");
}

TEST(ReportFormat, Percentages) {
    EXPECT_EQ(format_percent(0.1234), "12.3 %");
    EXPECT_EQ(format_percent(1.0, 0), "100 %");
    EXPECT_EQ(format_percent(0.0), "0.0 %");
    EXPECT_EQ(format_percent(0.00001), "< 0.1 %");
    EXPECT_EQ(format_percent(0.00001, 2), "< 0.01 %");
    EXPECT_EQ(format_percent(12.5, 0), "1,250 %");
    EXPECT_EQ(format_percent(std::optional<double>{}), kMissing);
}

TEST(ReportFormat, Durations) {
    EXPECT_EQ(format_duration_ms(0.25), "0.25 ms");
    EXPECT_EQ(format_duration_ms(850), "850 ms");
    EXPECT_EQ(format_duration_ms(1234), "1.23 s");
    EXPECT_EQ(format_duration_ms(12345), "12.3 s");
    EXPECT_EQ(format_duration_ms(75000), "1 min 15 s");
    EXPECT_EQ(format_duration_ms(120000), "2 min");
    EXPECT_EQ(format_duration_ms(3723000), "1 h 2 min");
    EXPECT_EQ(format_duration_ms(-1), kMissing);
    EXPECT_EQ(format_duration_ms(std::optional<double>{}), kMissing);
}

TEST(ReportFormat, Bytes) {
    EXPECT_EQ(format_bytes(512), "512 B");
    EXPECT_EQ(format_bytes(1536), "1.5 KiB");
    EXPECT_EQ(format_bytes(1300000), "1.2 MiB");
    EXPECT_EQ(format_bytes(50ull << 20), "50 MiB");
}

TEST(ReportFormat, Timestamps) {
    EXPECT_EQ(format_timestamp(std::string("2024-05-01 12:34:56.789123+02")),
              "2024-05-01 12:34:56 +02");
    EXPECT_EQ(format_timestamp(std::string("2024-05-01 12:34:56+00")), "2024-05-01 12:34:56 UTC");
    EXPECT_EQ(format_timestamp(std::string("2024-05-01 12:34:56")), "2024-05-01 12:34:56");
    EXPECT_EQ(format_timestamp(std::string("yesterday")), "yesterday");
    EXPECT_EQ(format_timestamp(std::optional<std::string>{}), kMissing);
}

TEST(ReportFormat, Days) {
    EXPECT_EQ(format_days(1.0), "1 day");
    EXPECT_EQ(format_days(0.4), "0.4 days");
    EXPECT_EQ(format_days(45.2), "45 days");
    EXPECT_EQ(format_days(1500.0), "1,500 days");
}
