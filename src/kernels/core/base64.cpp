// Base64 encoding and strict decoding.
#include "core/base64.hpp"

#include "core/errors.hpp"

namespace dmine {

namespace {

constexpr char kLetters[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int letter_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

[[noreturn]] void bad_text(const char *why) {
    fail(ErrorKind::InvalidText, std::string("invalid state text: ") + why,
         "A state's text form is the base64 text written by its output function.");
}

} // namespace

std::string base64_encode(const std::uint8_t *data, std::size_t size) {
    std::string out;
    out.reserve((size + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= size; i += 3) {
        std::uint32_t v =
            (std::uint32_t(data[i]) << 16) | (std::uint32_t(data[i + 1]) << 8) | data[i + 2];
        for (int shift = 18; shift >= 0; shift -= 6) out += kLetters[(v >> shift) & 63];
    }
    if (i < size) {
        std::uint32_t v = std::uint32_t(data[i]) << 16;
        if (i + 1 < size) v |= std::uint32_t(data[i + 1]) << 8;
        out += kLetters[(v >> 18) & 63];
        out += kLetters[(v >> 12) & 63];
        out += i + 1 < size ? kLetters[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::vector<std::uint8_t> base64_decode(const char *text, std::size_t size) {
    if (size % 4 != 0) bad_text("length is not a multiple of 4");
    std::vector<std::uint8_t> out;
    out.reserve(size / 4 * 3);
    for (std::size_t i = 0; i < size; i += 4) {
        const bool last = i + 4 == size;
        int v[4];
        int padding = 0;
        for (int j = 0; j < 4; j++) {
            char c = text[i + j];
            if (c == '=' && last && j >= 2) {
                padding++;
                v[j] = 0;
                continue;
            }
            if (padding > 0) bad_text("padding inside the text");
            v[j] = letter_value(c);
            if (v[j] < 0) bad_text("character outside the base64 alphabet");
        }
        std::uint32_t bits = (std::uint32_t(v[0]) << 18) | (std::uint32_t(v[1]) << 12) |
                             (std::uint32_t(v[2]) << 6) | std::uint32_t(v[3]);
        // Canonical form only, so that text and bytes correspond one to one.
        if ((padding == 1 && (bits & 0xff)) || (padding == 2 && (bits & 0xffff)))
            bad_text("non-zero bits in padding");
        out.push_back(std::uint8_t(bits >> 16));
        if (padding < 2) out.push_back(std::uint8_t(bits >> 8));
        if (padding < 1) out.push_back(std::uint8_t(bits));
    }
    return out;
}

} // namespace dmine
