// Command-line options: connection parameters, no password on the command line, outputs.
#include <gtest/gtest.h>

#include "options.hpp"

using namespace dmine::report;

using Params = std::vector<std::pair<std::string, std::string>>;

TEST(ReportOptions, ConnectionStringFirstThenOverrides) {
    Options o = parse_options(
        {"host=db dbname=shop", "-p", "5433", "--username=analyst", "--out", "r.html"});
    EXPECT_EQ(o.connection,
              (Params{{"dbname", "host=db dbname=shop"}, {"port", "5433"}, {"user", "analyst"}}));
    EXPECT_EQ(o.out, "r.html");
    EXPECT_FALSE(o.run_id.has_value());
}

TEST(ReportOptions, PsqlStyleShortOptions) {
    Options o = parse_options(
        {"-dshop", "-h", "/run/pg", "-r", "12", "-o", "-", "--csv", "out", "--json=d.json", "-q"});
    EXPECT_EQ(o.connection, (Params{{"dbname", "shop"}, {"host", "/run/pg"}}));
    EXPECT_EQ(o.run_id, 12);
    EXPECT_EQ(o.out, "-");
    EXPECT_EQ(o.csv_dir, "out");
    EXPECT_EQ(o.json_path, "d.json");
    EXPECT_TRUE(o.quiet);
}

TEST(ReportOptions, EverythingFromTheEnvironment) {
    Options o = parse_options({"--out", "r.html"});
    EXPECT_TRUE(o.connection.empty());
}

TEST(ReportOptions, NoPasswordOnTheCommandLine) {
    EXPECT_THROW(parse_options({"host=db password=secret", "--out", "r.html"}), UsageError);
    EXPECT_THROW(parse_options({"postgresql://me:secret@db/shop", "--out", "r.html"}), UsageError);
    EXPECT_THROW(parse_options({"-d", "dbname=shop password=x", "--out", "r.html"}), UsageError);
    EXPECT_THROW(parse_options({"-W", "--out", "r.html"}), UsageError);
    EXPECT_NO_THROW(parse_options({"postgresql://me@db/shop", "--out", "r.html"}));
}

TEST(ReportOptions, BadUsage) {
    EXPECT_THROW(parse_options({}), UsageError) << "nothing to write";
    EXPECT_THROW(parse_options({"--run", "abc", "--out", "r"}), UsageError);
    EXPECT_THROW(parse_options({"--run", "0", "--out", "r"}), UsageError);
    EXPECT_THROW(parse_options({"--out"}), UsageError);
    EXPECT_THROW(parse_options({"--frobnicate", "--out", "r"}), UsageError);
    EXPECT_THROW(parse_options({"a", "b", "--out", "r"}), UsageError);
    EXPECT_THROW(parse_options({"--out", "-", "--json", "-"}), UsageError);
    EXPECT_THROW(parse_options({"bad conninfo =", "--out", "r"}), UsageError);
    EXPECT_NO_THROW(parse_options({"--help"}));
    EXPECT_TRUE(parse_options({"--version"}).version);
}
