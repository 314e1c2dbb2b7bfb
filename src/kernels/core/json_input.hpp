// Parsing JSON that users supply (model text, options): nesting bounded to kMaxDepth levels,
// duplicate keys refused, and every parser failure turned into a dmine::Error with a plain
// message, so that no nlohmann exception and no deep recursion reaches the caller.
//
// The parser itself is iterative, and so is the destruction of a parsed value; what recurses
// is serialising (dump) and the callers' walks, so bounding the depth at parse time bounds
// every later recursion over the value.
#pragma once

#include "core/errors.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace dmine::json_input {

// Objects and arrays nested deeper than this are refused (no dmine value needs more than 4).
constexpr int kMaxDepth = 64;

// Parse `text` as one JSON value. Failures throw `kind` with the message
// "<prefix><reason>": not valid JSON, nesting deeper than kMaxDepth, a number out of range,
// a duplicate key. `hint` is attached to every such error.
nlohmann::json parse(std::string_view text, ErrorKind kind, const std::string &prefix,
                     const std::string &hint = {});
nlohmann::ordered_json parse_ordered(std::string_view text, ErrorKind kind,
                                     const std::string &prefix, const std::string &hint = {});

// At most `max_chars` characters of the JSON text of `value`, for error messages.
std::string excerpt(const nlohmann::json &value, std::size_t max_chars = 60);
std::string excerpt(const nlohmann::ordered_json &value, std::size_t max_chars = 60);

// The message of a nlohmann exception without its "[json.exception.x.n] " prefix, shortened.
std::string plain_message(const nlohmann::json::exception &e, std::size_t max_chars = 200);

// Run f(), which reads a parsed value, turning a nlohmann exception it lets out (a type or
// range error the reader did not check for) into `kind` with the message prefix + reason.
template <typename F>
auto guarded(ErrorKind kind, const std::string &prefix, F &&f) -> decltype(f()) {
    try {
        return f();
    } catch (const nlohmann::json::exception &e) {
        fail(kind, prefix + plain_message(e));
    }
}

} // namespace dmine::json_input
