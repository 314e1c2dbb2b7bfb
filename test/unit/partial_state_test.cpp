// State envelopes (Fletcher-64 checksum kind) and the random streams of partial states.
#include "core/errors.hpp"
#include "core/model_format.hpp"
#include "core/rng.hpp"
#include "kmeans/kmeans_sample.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <set>

namespace dmine {
namespace {

std::vector<std::uint8_t> bytes_of(std::size_t n) {
    std::vector<std::uint8_t> v(n);
    for (std::size_t i = 0; i < n; i++) v[i] = static_cast<std::uint8_t>(i * 37 + 11);
    return v;
}

TEST(StateEnvelope, Fletcher64KnownValues) {
    EXPECT_EQ(fletcher64(nullptr, 0), 0u);
    const std::uint8_t abcde[] = {'a', 'b', 'c', 'd', 'e'};
    // Words 0x64636261 and 0x65 (zero-padded): a = 0x646362c6, b = 0xc8c6c527.
    EXPECT_EQ(fletcher64(abcde, 5), (0xc8c6c527ULL << 32) | 0x646362c6ULL);
    // Long inputs reduce between blocks: the same as reducing after every word.
    auto v = bytes_of(100003);
    std::uint64_t a = 0, b = 0;
    for (std::size_t i = 0; i < v.size(); i += 4) {
        std::uint32_t w = 0;
        std::memcpy(&w, v.data() + i, std::min<std::size_t>(4, v.size() - i));
        a = (a + w) % 0xffffffffULL;
        b = (b + a) % 0xffffffffULL;
    }
    EXPECT_EQ(fletcher64(v.data(), v.size()), (b << 32) | a);
}

TEST(StateEnvelope, BothChecksumKindsRoundTripAndDetectDamage) {
    auto payload = bytes_of(1000);
    for (Checksum kind : {Checksum::Fnv1a, Checksum::Fletcher64}) {
        auto sealed = seal_model(0x44434241, 1, payload, kind);
        ByteWriter direct;
        begin_envelope(direct);
        direct.bytes().insert(direct.bytes().end(), payload.begin(), payload.end());
        EXPECT_EQ(finish_envelope(direct, 0x44434241, 1, kind), sealed);
        auto opened = open_model(sealed.data(), sealed.size(), 0x44434241, 1, "test value");
        EXPECT_EQ(opened.payload.remaining(), payload.size());
        sealed[kModelHeaderSize + 500] ^= 0x10;
        EXPECT_THROW(open_model(sealed.data(), sealed.size(), 0x44434241, 1, "test value"), Error);
    }
    auto sealed = seal_model(0x44434241, 1, payload, Checksum::Fnv1a);
    EXPECT_EQ(sealed[6], 0); // kind 0: the 0.1.0 envelope, byte for byte
    sealed[6] = 2;           // an unknown kind
    EXPECT_THROW(open_model(sealed.data(), sealed.size(), 0x44434241, 1, "test value"), Error);
}

// Partials of the same length that share the seed and stream keep different positions.
std::set<double> kept_positions(double offset) {
    kmeans::PointSample s(50, 42, 0);
    for (int i = 0; i < 5000; i++) {
        double x = i + offset;
        s.add(&x, 1);
    }
    std::set<double> positions;
    kmeans::Matrix p = s.points();
    for (Eigen::Index i = 0; i < p.rows(); i++) positions.insert(p(i, 0) - offset);
    return positions;
}

TEST(PartialStreams, PartialsWithOtherFirstRowsKeepOtherPositions) {
    auto a = kept_positions(0), b = kept_positions(0.5), again = kept_positions(0);
    EXPECT_EQ(a, again); // deterministic for the same rows
    std::size_t common = 0;
    for (double x : a) common += b.count(x);
    EXPECT_LT(common, 10u); // 50 of 5000 each: about 0.5 in common when independent
    double row[2] = {1.0, -0.0}, same[2] = {1.0, 0.0};
    EXPECT_EQ(partial_stream(7, row, 2), partial_stream(7, same, 2));
    EXPECT_NE(partial_stream(7, row, 2), partial_stream(8, row, 2));
}

} // namespace
} // namespace dmine
