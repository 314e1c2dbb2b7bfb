// Structural check of jsonb container bytes (layout of utils/jsonb.h).
#include "jsonb_check.hpp"

#include "postgres.hpp"

extern "C" {
#include "mb/pg_wchar.h"
#include "utils/jsonb.h"
}

#include <cstdint>
#include <cstring>

namespace dmine::pg {

namespace {

constexpr int kMaxDepth = 200;

std::uint32_t read_u32(const char *p) {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

bool container_valid(const char *base, std::size_t size, int depth, bool root);

// A plain (not compressed, not external) varlena numeric filling `len` bytes, whose digit count
// follows from its size (short and special forms: 2-byte header, long form: 4 bytes).
bool numeric_valid(const char *p, std::size_t len) {
    if (len < 3) return false;
    std::size_t header, size;
    if (VARATT_IS_1B(p) && !VARATT_IS_1B_E(p)) {
        header = 1;
        size = VARSIZE_1B(p);
    } else if (len >= VARHDRSZ && VARATT_IS_4B_U(p)) {
        header = VARHDRSZ;
        size = VARSIZE_4B(p);
    } else {
        return false;
    }
    if (size != len || size < header + 2) return false;
    std::uint16_t numeric_header;
    std::memcpy(&numeric_header, p + header, sizeof numeric_header);
    std::size_t fixed = (numeric_header & 0x8000) ? 2 : 4; // NUMERIC_HEADER_IS_SHORT
    return size >= header + fixed && (size - header - fixed) % 2 == 0;
}

// A numeric or container value starts at the next 4-byte boundary (padding counts in its length).
bool value_valid(std::uint32_t type, const char *base, std::size_t offset, std::size_t end,
                 int depth) {
    std::size_t len = end - offset;
    const char *p = base + offset;
    switch (type) {
    case JENTRY_ISSTRING:
        return pg_verifymbstr(p, static_cast<int>(len), true);
    case JENTRY_ISBOOL_FALSE:
    case JENTRY_ISBOOL_TRUE:
    case JENTRY_ISNULL:
        return len == 0;
    case JENTRY_ISNUMERIC:
    case JENTRY_ISCONTAINER: {
        std::size_t pad = INTALIGN(offset) - offset;
        if (pad > len) return false;
        p += pad;
        len -= pad;
        if (type == JENTRY_ISCONTAINER) return container_valid(p, len, depth + 1, false);
        return numeric_valid(p, len);
    }
    default:
        return false;
    }
}

bool container_valid(const char *base, std::size_t size, int depth, bool root) {
    if (depth > kMaxDepth || size < sizeof(std::uint32_t)) return false;
    std::uint32_t header = read_u32(base);
    if (header & ~(JB_CMASK | JB_FSCALAR | JB_FOBJECT | JB_FARRAY)) return false;
    bool object = header & JB_FOBJECT, array = header & JB_FARRAY;
    std::size_t count = header & JB_CMASK;
    if (object == array) return false;
    if ((header & JB_FSCALAR) && (!root || !array || count != 1)) return false;
    std::size_t entries = object ? 2 * count : count;
    if (entries > (size - sizeof(std::uint32_t)) / sizeof(JEntry)) return false;
    const char *children = base + sizeof(std::uint32_t) + entries * sizeof(JEntry);
    std::size_t room = size - sizeof(std::uint32_t) - entries * sizeof(JEntry);
    std::size_t offset = 0;
    for (std::size_t i = 0; i < entries; i++) {
        JEntry entry = read_u32(base + sizeof(std::uint32_t) + i * sizeof(JEntry));
        std::size_t field = JBE_OFFLENFLD(entry);
        std::size_t end = JBE_HAS_OFF(entry) ? field : offset + field;
        if (end < offset || end > room) return false;
        std::uint32_t type = entry & JENTRY_TYPEMASK;
        if (object && i < count && type != JENTRY_ISSTRING) return false; // keys are strings
        // Offsets inside a container count from its first child; alignment from the container.
        if (!value_valid(type, children, offset, end, depth)) return false;
        offset = end;
    }
    return true;
}

} // namespace

bool jsonb_bytes_valid(const char *data, std::size_t size) {
    return container_valid(data, size, 0, true);
}

} // namespace dmine::pg
