// The binary envelope of every stored model: magic, format version, payload size and checksum.
//
//   u32 magic | u16 version | u16 checksum kind | u64 payload size | u64 checksum | payload
//
// Checksum kind 0 (models, and every value of 0.1.0): 64-bit FNV-1a over the payload's bytes.
// Kind 1 (aggregate states, which reach megabytes and are flattened and read back on every
// parallel or distributed query): Fletcher-64 over its little-endian 32-bit words, about 50
// times faster. Readers accept both kinds.
//
// The header alone identifies a model's content, which lets the SQL glue recognise the same
// model on every row without comparing whole values.
#pragma once

#include "core/bytes.hpp"

#include <cstdint>
#include <vector>

namespace dmine {

constexpr std::size_t kModelHeaderSize = 24;

enum class Checksum : std::uint16_t { Fnv1a = 0, Fletcher64 = 1 };

// 64-bit FNV-1a over bytes.
std::uint64_t checksum64(const std::uint8_t *data, std::size_t size);
// Fletcher-64 (sums modulo 2^32 - 1) over little-endian 32-bit words, the last one zero-padded.
std::uint64_t fletcher64(const std::uint8_t *data, std::size_t size);

// Wrap `payload` in the envelope.
std::vector<std::uint8_t> seal_model(std::uint32_t magic, std::uint16_t version,
                                     const std::vector<std::uint8_t> &payload,
                                     Checksum kind = Checksum::Fnv1a);

// Sealing without copying the payload: begin_envelope reserves the header in an empty writer,
// the payload is written after it, and finish_envelope fills the header in.
void begin_envelope(ByteWriter &out);
std::vector<std::uint8_t> finish_envelope(ByteWriter &out, std::uint32_t magic,
                                          std::uint16_t version, Checksum kind);

// Check the envelope of `data` (magic, a supported version, size, checksum) and return a reader
// over the payload. `what` names the model kind in messages ("kmeans model").
struct OpenedModel {
    std::uint16_t version;
    ByteReader payload;
};
OpenedModel open_model(const void *data, std::size_t size, std::uint32_t magic,
                       std::uint16_t max_version, const char *what);

} // namespace dmine
