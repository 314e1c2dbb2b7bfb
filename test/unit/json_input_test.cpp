// Bounded JSON parsing of user input: depth limit, duplicate keys, numbers out of range.
#include "core/json_input.hpp"

#include "hostile_test_util.hpp"

#include <gtest/gtest.h>

#include <string>

namespace dmine::json_input {
namespace {

using dmine::hostile::clean_outcome;
using dmine::hostile::fails_with;

std::string nested_arrays(int depth) {
    return std::string(depth, '[') + std::string(depth, ']');
}

std::string nested_objects(int depth) {
    std::string text;
    for (int i = 0; i < depth; i++) text += "{\"a\":";
    text += "1";
    for (int i = 0; i < depth; i++) text += "}";
    return text;
}

TEST(JsonInput, AcceptsTheDepthLimitAndRefusesOneLevelMore) {
    EXPECT_NO_THROW(parse(nested_arrays(kMaxDepth), ErrorKind::InvalidText, "t: "));
    EXPECT_NO_THROW(parse(nested_objects(kMaxDepth), ErrorKind::InvalidText, "t: "));
    EXPECT_TRUE(fails_with(ErrorKind::InvalidText, "t: JSON nested deeper than 64 levels", [] {
        parse(nested_arrays(kMaxDepth + 1), ErrorKind::InvalidText, "t: ");
    }));
    EXPECT_TRUE(fails_with(ErrorKind::InvalidParameter, "nested deeper than 64", [] {
        parse_ordered(nested_objects(kMaxDepth + 1), ErrorKind::InvalidParameter, "t: ");
    }));
}

TEST(JsonInput, VeryDeepNestingFailsCleanly) {
    // 200,000 levels: the depth at which the unbounded version overflowed the stack.
    for (const std::string &text : {nested_arrays(200000), nested_objects(200000),
                                    "{\"options\":" + nested_arrays(200000) + "}"}) {
        EXPECT_TRUE(fails_with(ErrorKind::InvalidText, "nested deeper",
                               [&] { parse(text, ErrorKind::InvalidText, ""); }));
        EXPECT_TRUE(fails_with(ErrorKind::InvalidText, "nested deeper",
                               [&] { parse_ordered(text, ErrorKind::InvalidText, ""); }));
    }
}

TEST(JsonInput, RefusesDuplicateKeysInOneObjectOnly) {
    EXPECT_TRUE(fails_with(ErrorKind::InvalidText, "duplicate key \"k\"",
                           [] { parse("{\"k\":1,\"k\":2}", ErrorKind::InvalidText, ""); }));
    EXPECT_TRUE(fails_with(ErrorKind::InvalidText, "duplicate key \"x\"", [] {
        parse_ordered("{\"a\":{\"x\":1,\"y\":[{\"x\":1}],\"x\":3}}", ErrorKind::InvalidText, "");
    }));
    EXPECT_NO_THROW(parse("{\"a\":{\"x\":1},\"b\":{\"x\":2},\"x\":[{\"x\":1},{\"x\":2}]}",
                          ErrorKind::InvalidText, ""));
}

TEST(JsonInput, NumbersOutOfRangeAreErrorsOfTheCallersKind) {
    for (const char *text :
         {"1e400", "[-1e400]", "{\"tol\": 1e99999}",
          "{\"n\": 1000000000000000000000000000000000000000000000000000000000000000"
          "0000000000000000000000000000000000000000000000000000000000000000000000"
          "000000000000000000000000000000000000000000000000000000000000000000000"
          "0000000000000000000000000000000000000000000000000000000000000000000000"
          "0000000000000000000000000000000000000000000000000000000000000000000000"
          "00000000000000000000}"}) {
        EXPECT_TRUE(fails_with(ErrorKind::InvalidParameter, "p: a number is out of range", [&] {
            parse(text, ErrorKind::InvalidParameter, "p: ");
        })) << text;
        EXPECT_TRUE(clean_outcome(ErrorKind::InvalidParameter,
                                  [&] { parse(text, ErrorKind::InvalidParameter, "p: "); }));
    }
    // Large integers that still fit a double are numbers, not errors.
    EXPECT_TRUE(parse("18446744073709551616", ErrorKind::InvalidText, "").is_number_float());
}

TEST(JsonInput, SyntaxErrorsCarryNoRawParserMessage) {
    for (const char *text : {"", "{", "nul", "{\"a\" 1}", "[1,]", "\"\xff\"", "{\"a\":1}x"}) {
        EXPECT_TRUE(fails_with(ErrorKind::InvalidText, "not valid JSON", [&] {
            parse(text, ErrorKind::InvalidText, "");
        })) << text;
        EXPECT_TRUE(clean_outcome(ErrorKind::InvalidText,
                                  [&] { parse(text, ErrorKind::InvalidText, ""); }));
    }
}

TEST(JsonInput, GuardedTurnsAccessErrorsIntoTheCallersKind) {
    nlohmann::json j = parse("{\"a\": \"text\"}", ErrorKind::InvalidText, "");
    EXPECT_TRUE(clean_outcome(ErrorKind::InvalidText, [&] {
        guarded(ErrorKind::InvalidText, "t: ", [&] { return j.at("a").get<int>(); });
    }));
    EXPECT_TRUE(fails_with(ErrorKind::InvalidText, "t: ", [&] {
        guarded(ErrorKind::InvalidText, "t: ", [&] { return j.at("b").get<int>(); });
    }));
}

TEST(JsonInput, ExcerptIsShort) {
    nlohmann::json j = parse(nested_arrays(60), ErrorKind::InvalidText, "");
    EXPECT_LE(excerpt(j, 20).size(), 23u);
}

} // namespace
} // namespace dmine::json_input
