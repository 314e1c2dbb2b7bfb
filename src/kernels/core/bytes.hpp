// Little-endian byte buffers for aggregate states and models; reads are bounds-checked.
#pragma once

#include "core/errors.hpp"

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

namespace dmine {

class ByteWriter {
public:
    template <typename T> void put(T value) {
        static_assert(std::is_trivially_copyable_v<T>, "plain values only");
        const auto *p = reinterpret_cast<const std::uint8_t *>(&value);
        buf_.insert(buf_.end(), p, p + sizeof(T));
    }
    template <typename T> void put_array(const T *values, std::size_t count) {
        static_assert(std::is_trivially_copyable_v<T>, "plain values only");
        put<std::uint64_t>(count);
        const auto *p = reinterpret_cast<const std::uint8_t *>(values);
        buf_.insert(buf_.end(), p, p + count * sizeof(T));
    }
    template <typename T, typename Alloc> void put_vector(const std::vector<T, Alloc> &values) {
        put_array(values.data(), values.size());
    }
    void put_string(const std::string &s) { put_array(s.data(), s.size()); }

    const std::vector<std::uint8_t> &bytes() const noexcept { return buf_; }
    std::vector<std::uint8_t> &bytes() noexcept { return buf_; }

private:
    std::vector<std::uint8_t> buf_;
};

class ByteReader {
public:
    ByteReader(const void *data, std::size_t size)
        : p_(static_cast<const std::uint8_t *>(data)), end_(p_ + size) {}

    template <typename T> T get() {
        static_assert(std::is_trivially_copyable_v<T>, "plain values only");
        need(sizeof(T));
        T value;
        std::memcpy(&value, p_, sizeof(T));
        p_ += sizeof(T);
        return value;
    }
    // Read a counted array, refusing counts larger than `max_count` or than the bytes left.
    template <typename T, typename Alloc = std::allocator<T>>
    std::vector<T, Alloc> get_vector(std::uint64_t max_count = UINT64_MAX) {
        auto count = get<std::uint64_t>();
        if (count > max_count || count > remaining() / sizeof(T))
            fail(ErrorKind::Corrupted, "corrupted value: array length out of range");
        std::vector<T, Alloc> values(count);
        if (count) std::memcpy(values.data(), p_, count * sizeof(T));
        p_ += count * sizeof(T);
        return values;
    }
    std::string get_string(std::uint64_t max_count = 1 << 20) {
        auto chars = get_vector<char>(max_count);
        return std::string(chars.begin(), chars.end());
    }
    std::size_t remaining() const noexcept { return static_cast<std::size_t>(end_ - p_); }
    // Fail unless every byte was consumed: trailing bytes mean a corrupted value.
    void expect_end() const {
        if (p_ != end_) fail(ErrorKind::Corrupted, "corrupted value: trailing bytes");
    }

private:
    void need(std::size_t n) const {
        if (remaining() < n) fail(ErrorKind::Corrupted, "corrupted value: truncated");
    }
    const std::uint8_t *p_;
    const std::uint8_t *end_;
};

} // namespace dmine
