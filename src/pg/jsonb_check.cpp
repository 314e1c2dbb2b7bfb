// Structural check of jsonb container bytes (layout of utils/jsonb.h).
#include "jsonb_check.hpp"

#include "postgres.hpp"

extern "C" {
#include "mb/pg_wchar.h"
#include "utils/jsonb.h"
}

#include <cstdint>
#include <cstring>
#include <vector>

namespace dmine::pg {

namespace {

std::uint32_t read_u32(const char *p) {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

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

// A container being checked: its entries (keys then values for an object) and its children's
// data, walked in order; offsets count from the first child, alignment too.
struct Frame {
    const char *entries;
    const char *children;
    std::size_t room; // bytes of children's data
    std::size_t count;
    std::size_t total; // entries
    std::size_t i = 0;
    std::size_t offset = 0;
    bool object;
};

bool open_container(const char *base, std::size_t size, bool root, Frame &f) {
    if (size < sizeof(std::uint32_t)) return false;
    std::uint32_t header = read_u32(base);
    if (header & ~(JB_CMASK | JB_FSCALAR | JB_FOBJECT | JB_FARRAY)) return false;
    bool object = header & JB_FOBJECT, array = header & JB_FARRAY;
    std::size_t count = header & JB_CMASK;
    if (object == array) return false;
    if ((header & JB_FSCALAR) && (!root || !array || count != 1)) return false;
    std::size_t total = object ? 2 * count : count;
    if (total > (size - sizeof(std::uint32_t)) / sizeof(JEntry)) return false;
    f.entries = base + sizeof(std::uint32_t);
    f.children = f.entries + total * sizeof(JEntry);
    f.room = size - sizeof(std::uint32_t) - total * sizeof(JEntry);
    f.count = count;
    f.total = total;
    f.object = object;
    return true;
}

// Iterative (a value may nest as deep as PostgreSQL's stack allows).
bool container_valid(const char *base, std::size_t size) {
    std::vector<Frame> stack(1);
    if (!open_container(base, size, true, stack.back())) return false;
    while (!stack.empty()) {
        Frame &f = stack.back();
        if (f.i == f.total) {
            stack.pop_back();
            continue;
        }
        JEntry entry = read_u32(f.entries + f.i * sizeof(JEntry));
        std::size_t field = JBE_OFFLENFLD(entry);
        std::size_t start = f.offset, end = JBE_HAS_OFF(entry) ? field : start + field;
        if (end < start || end > f.room) return false;
        std::uint32_t type = entry & JENTRY_TYPEMASK;
        if (f.object && f.i < f.count && type != JENTRY_ISSTRING) return false; // keys are strings
        f.i++;
        f.offset = end;
        const char *p = f.children + start;
        std::size_t len = end - start;
        switch (type) {
        case JENTRY_ISSTRING:
            if (!pg_verifymbstr(p, static_cast<int>(len), true)) return false;
            break;
        case JENTRY_ISBOOL_FALSE:
        case JENTRY_ISBOOL_TRUE:
        case JENTRY_ISNULL:
            if (len != 0) return false;
            break;
        case JENTRY_ISNUMERIC:
        case JENTRY_ISCONTAINER: {
            std::size_t pad = INTALIGN(start) - start;
            if (pad > len) return false;
            if (type == JENTRY_ISNUMERIC) {
                if (!numeric_valid(p + pad, len - pad)) return false;
                break;
            }
            Frame child;
            if (!open_container(p + pad, len - pad, false, child)) return false;
            stack.push_back(child); // f may move: not used after this
            break;
        }
        default:
            return false;
        }
    }
    return true;
}

} // namespace

bool jsonb_bytes_valid(const char *data, std::size_t size) {
    return container_valid(data, size);
}

} // namespace dmine::pg
