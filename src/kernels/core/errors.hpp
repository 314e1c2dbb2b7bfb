// Exception types raised by the kernels; the PostgreSQL glue maps each kind to a SQLSTATE.
#pragma once

#include <stdexcept>
#include <string>

namespace dmine {

enum class ErrorKind {
    InvalidParameter,  // 22023 invalid_parameter_value: an argument out of its range
    NullValue,         // 22004 null_value_not_allowed: a NULL where a value is required
    DimensionMismatch, // 2202E array_subscript_error: ragged or wrongly sized vectors
    Data,              // 22000 data_exception: NaN/Infinity, too few rows, and the like
    InvalidText,       // 22P02 invalid_text_representation: bad model or state text
    Corrupted,         // 22P03 invalid_binary_representation: bad binary model or state
    OutOfRange,        // 22003 numeric_value_out_of_range: a result beyond the double range
    Internal,          // XX000 internal_error: a broken invariant
};

class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, const std::string &message, std::string detail = {},
          std::string hint = {})
        : std::runtime_error(message), kind_(kind), detail_(std::move(detail)),
          hint_(std::move(hint)) {}

    ErrorKind kind() const noexcept { return kind_; }
    const std::string &detail() const noexcept { return detail_; }
    const std::string &hint() const noexcept { return hint_; }

private:
    ErrorKind kind_;
    std::string detail_;
    std::string hint_;
};

// Thrown by check_interrupts() when the host asked to cancel the computation.
class Interrupted : public std::exception {
public:
    const char *what() const noexcept override { return "computation interrupted"; }
};

[[noreturn]] inline void fail(ErrorKind kind, const std::string &message, std::string detail = {},
                              std::string hint = {}) {
    throw Error(kind, message, std::move(detail), std::move(hint));
}

// Throw `kind` with `message` unless `condition` holds.
inline void require(bool condition, ErrorKind kind, const char *message) {
    if (!condition) fail(kind, message);
}

} // namespace dmine
