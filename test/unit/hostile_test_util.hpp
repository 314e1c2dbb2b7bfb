// Helpers for the hostile-input tests: outcome checks, textual JSON mutations, resealing.
#pragma once

#include "core/errors.hpp"
#include "core/model_format.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

namespace dmine::hostile {

// Success, or a dmine::Error of `kind` whose texts carry no raw parser message.
template <typename F>::testing::AssertionResult clean_outcome(ErrorKind kind, F &&f) {
    try {
        f();
        return ::testing::AssertionSuccess();
    } catch (const Error &e) {
        std::string texts = std::string(e.what()) + " | " + e.detail() + " | " + e.hint();
        if (e.kind() != kind)
            return ::testing::AssertionFailure()
                   << "kind " << static_cast<int>(e.kind()) << ": " << texts;
        if (texts.find("json.exception") != std::string::npos)
            return ::testing::AssertionFailure() << "raw parser message: " << texts;
        return ::testing::AssertionSuccess();
    } catch (const std::exception &e) {
        return ::testing::AssertionFailure() << "foreign exception: " << e.what();
    }
}

// True when f() throws a dmine::Error of `kind` whose message contains `part`.
template <typename F> bool fails_with(ErrorKind kind, const std::string &part, F &&f) {
    try {
        f();
    } catch (const Error &e) {
        return e.kind() == kind && std::string(e.what()).find(part) != std::string::npos;
    }
    return false;
}

// Values that replace a JSON value in the text mutations (raw JSON text).
inline std::vector<std::string> hostile_values() {
    return {"\"x\"",
            "\"NaN\"",
            "null",
            "true",
            "[]",
            "{}",
            "-1",
            "0",
            "1.5",
            "-0.0",
            "1e400",
            "-1e400",
            "1e308",
            "-1e308",
            "5e-324",
            "9223372036854775807",
            "9223372036854775808",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775809",
            "2147483648",
            "65536",
            std::string(100, '[') + std::string(100, ']'),
            std::string(30, '[') + "1" + std::string(30, ']')};
}

// Replace the first occurrence of `from` in `text` with `to`.
inline std::string replaced(std::string text, const std::string &from, const std::string &to) {
    auto at = text.find(from);
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return text;
}

// The envelope around a mutated payload, with its checksum recomputed.
inline std::vector<std::uint8_t> resealed(const std::vector<std::uint8_t> &sealed,
                                          const std::vector<std::uint8_t> &payload) {
    std::uint32_t magic;
    std::uint16_t version;
    std::memcpy(&magic, sealed.data(), 4);
    std::memcpy(&version, sealed.data() + 4, 2);
    return seal_model(magic, version, payload);
}

inline std::vector<std::uint8_t> payload_of(const std::vector<std::uint8_t> &sealed) {
    return std::vector<std::uint8_t>(sealed.begin() + kModelHeaderSize, sealed.end());
}

} // namespace dmine::hostile
