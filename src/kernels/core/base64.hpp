// Base64 (RFC 4648, with padding) for the text form of aggregate states.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dmine {

std::string base64_encode(const std::uint8_t *data, std::size_t size);

// Strict decoding: only the 64 letters, '=' padding at the end, length a multiple of 4.
// Anything else fails with ErrorKind::InvalidText.
std::vector<std::uint8_t> base64_decode(const char *text, std::size_t size);

} // namespace dmine
