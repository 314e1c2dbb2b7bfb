// The binary envelope of stored models.
#include "core/model_format.hpp"

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

std::vector<std::uint8_t> seal_model(std::uint32_t magic, std::uint16_t version,
                                     const std::vector<std::uint8_t> &payload) {
    ByteWriter out;
    out.put<std::uint32_t>(magic);
    out.put<std::uint16_t>(version);
    out.put<std::uint16_t>(0);
    out.put<std::uint64_t>(payload.size());
    out.put<std::uint64_t>(checksum64(payload.data(), payload.size()));
    auto &bytes = out.bytes();
    bytes.insert(bytes.end(), payload.begin(), payload.end());
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
    if (header.get<std::uint16_t>() != 0)
        fail(ErrorKind::Corrupted, std::string("corrupted ") + what + ": reserved bytes set");
    auto payload_size = header.get<std::uint64_t>();
    auto checksum = header.get<std::uint64_t>();
    if (payload_size != header.remaining())
        fail(ErrorKind::Corrupted, std::string("corrupted ") + what + ": size mismatch");
    const auto *payload = static_cast<const std::uint8_t *>(data) + kModelHeaderSize;
    if (checksum64(payload, payload_size) != checksum)
        fail(ErrorKind::Corrupted, std::string("corrupted ") + what + ": checksum mismatch");
    return {version, ByteReader(payload, payload_size)};
}

} // namespace dmine
