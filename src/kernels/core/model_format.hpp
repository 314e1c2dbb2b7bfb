// The binary envelope of every stored model: magic, format version, payload size and checksum.
//
//   u32 magic | u16 version | u16 reserved (0) | u64 payload size | u64 checksum | payload
//
// The header alone identifies a model's content, which lets the SQL glue recognise the same
// model on every row without comparing whole values.
#pragma once

#include "core/bytes.hpp"

#include <cstdint>
#include <vector>

namespace dmine {

constexpr std::size_t kModelHeaderSize = 24;

// 64-bit FNV-1a over bytes.
std::uint64_t checksum64(const std::uint8_t *data, std::size_t size);

// Wrap `payload` in the envelope.
std::vector<std::uint8_t> seal_model(std::uint32_t magic, std::uint16_t version,
                                     const std::vector<std::uint8_t> &payload);

// Check the envelope of `data` (magic, a supported version, size, checksum) and return a reader
// over the payload. `what` names the model kind in messages ("kmeans model").
struct OpenedModel {
    std::uint16_t version;
    ByteReader payload;
};
OpenedModel open_model(const void *data, std::size_t size, std::uint32_t magic,
                       std::uint16_t max_version, const char *what);

} // namespace dmine
