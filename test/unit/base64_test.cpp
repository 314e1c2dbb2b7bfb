// Base64 of state text: round trip and strict rejection.
#include "core/base64.hpp"
#include "core/errors.hpp"

#include <gtest/gtest.h>

#include <cstring>

using namespace dmine;

namespace {
std::vector<std::uint8_t> decode(const char *s) {
    return base64_decode(s, std::strlen(s));
}
} // namespace

TEST(Base64, KnownVectors) {
    const std::uint8_t foobar[] = {'f', 'o', 'o', 'b', 'a', 'r'};
    EXPECT_EQ(base64_encode(foobar, 0), "");
    EXPECT_EQ(base64_encode(foobar, 1), "Zg==");
    EXPECT_EQ(base64_encode(foobar, 2), "Zm8=");
    EXPECT_EQ(base64_encode(foobar, 3), "Zm9v");
    EXPECT_EQ(base64_encode(foobar, 6), "Zm9vYmFy");
    EXPECT_EQ(decode("Zm8="), std::vector<std::uint8_t>({'f', 'o'}));
}

TEST(Base64, RoundTripEveryLength) {
    std::vector<std::uint8_t> bytes;
    for (int n = 0; n < 300; n++) {
        auto text = base64_encode(bytes.data(), bytes.size());
        EXPECT_EQ(base64_decode(text.data(), text.size()), bytes);
        bytes.push_back(static_cast<std::uint8_t>(n * 37 + 11));
    }
}

TEST(Base64, RejectsMalformedText) {
    for (const char *bad :
         {"Zg=", "Z===", "Zg==Zg==", "Zm9v!A==", "Zh==", "Zm9=", "Z=g=", " Zg="}) {
        try {
            decode(bad);
            ADD_FAILURE() << bad;
        } catch (const Error &e) {
            EXPECT_EQ(e.kind(), ErrorKind::InvalidText) << bad;
        }
    }
}
