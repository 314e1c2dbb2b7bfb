// The binary envelope of stored models.
#include "core/model_format.hpp"

#include <algorithm>
#include <string>

namespace dmine {

std::uint64_t checksum64(const std::uint8_t *data, std::size_t size) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (std::size_t i = 0; i < size; i++) {
        h ^= data[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

std::uint64_t fletcher64(const std::uint8_t *data, std::size_t size) {
    constexpr std::uint64_t kMod = 0xffffffffULL;
    constexpr std::size_t kBlock = 4096; // words between reductions: the sums stay below 2^56
    std::uint64_t a = 0, b = 0;
    const std::size_t words = size / 4;
    for (std::size_t i = 0; i < words;) {
        const std::size_t end = std::min(words, i + kBlock);
        for (; i < end; i++) {
            std::uint32_t w;
            std::memcpy(&w, data + 4 * i, 4); // little-endian platforms (as every dmine byte)
            a += w;
            b += a;
        }
        a %= kMod;
        b %= kMod;
    }
    if (size % 4) {
        std::uint32_t w = 0;
        std::memcpy(&w, data + 4 * words, size % 4);
        a = (a + w) % kMod;
        b = (b + a) % kMod;
    }
    return (b << 32) | a;
}

namespace {

std::uint64_t checksum_of(Checksum kind, const std::uint8_t *data, std::size_t size) {
    return kind == Checksum::Fletcher64 ? fletcher64(data, size) : checksum64(data, size);
}

} // namespace

std::vector<std::uint8_t> seal_model(std::uint32_t magic, std::uint16_t version,
                                     const std::vector<std::uint8_t> &payload, Checksum kind) {
    ByteWriter out;
    out.bytes().reserve(kModelHeaderSize + payload.size());
    begin_envelope(out);
    out.bytes().insert(out.bytes().end(), payload.begin(), payload.end());
    return finish_envelope(out, magic, version, kind);
}

void begin_envelope(ByteWriter &out) {
    out.bytes().assign(kModelHeaderSize, 0);
}

std::vector<std::uint8_t> finish_envelope(ByteWriter &out, std::uint32_t magic,
                                          std::uint16_t version, Checksum kind) {
    auto &bytes = out.bytes();
    const std::uint8_t *payload = bytes.data() + kModelHeaderSize;
    const std::uint64_t size = bytes.size() - kModelHeaderSize;
    ByteWriter header;
    header.put<std::uint32_t>(magic);
    header.put<std::uint16_t>(version);
    header.put<std::uint16_t>(static_cast<std::uint16_t>(kind));
    header.put<std::uint64_t>(size);
    header.put<std::uint64_t>(checksum_of(kind, payload, size));
    std::copy(header.bytes().begin(), header.bytes().end(), bytes.begin());
    return std::move(bytes);
}

OpenedModel open_model(const void *data, std::size_t size, std::uint32_t magic,
                       std::uint16_t max_version, const char *what) {
    ByteReader header(data, size);
    if (size < kModelHeaderSize)
        fail(ErrorKind::Corrupted, std::string("corrupted ") + what + ": too short");
    if (header.get<std::uint32_t>() != magic)
        fail(ErrorKind::Corrupted, std::string("corrupted ") + what + ": wrong magic number");
    auto version = header.get<std::uint16_t>();
    if (version == 0 || version > max_version)
        fail(ErrorKind::Corrupted,
             std::string("unsupported ") + what + " format version " + std::to_string(version),
             "This build reads versions 1 to " + std::to_string(max_version) + ".");
    auto kind = header.get<std::uint16_t>();
    if (kind > static_cast<std::uint16_t>(Checksum::Fletcher64))
        fail(ErrorKind::Corrupted, std::string("corrupted ") + what + ": unknown checksum kind");
    auto payload_size = header.get<std::uint64_t>();
    auto checksum = header.get<std::uint64_t>();
    if (payload_size != header.remaining())
        fail(ErrorKind::Corrupted, std::string("corrupted ") + what + ": size mismatch");
    const auto *payload = static_cast<const std::uint8_t *>(data) + kModelHeaderSize;
    if (checksum_of(static_cast<Checksum>(kind), payload, payload_size) != checksum)
        fail(ErrorKind::Corrupted, std::string("corrupted ") + what + ": checksum mismatch");
    return {version, ByteReader(payload, payload_size)};
}

} // namespace dmine
