// Bounded, exception-mapped JSON parsing of user input.
#include "core/json_input.hpp"

#include <set>
#include <vector>

namespace dmine::json_input {
namespace {

std::string shorten(std::string s, std::size_t max_chars) {
    if (s.size() > max_chars) s = s.substr(0, max_chars) + "...";
    return s;
}

template <typename Json>
Json parse_bounded(std::string_view text, ErrorKind kind, const std::string &prefix,
                   const std::string &hint) {
    using Event = typename Json::parse_event_t;
    std::vector<std::set<std::string>> keys; // the keys seen in each open object
    auto guard = [&](int depth, Event event, Json &parsed) {
        switch (event) {
        case Event::object_start:
        case Event::array_start:
            // `depth` counts the enclosing containers; this one is one level deeper.
            if (depth >= kMaxDepth)
                fail(kind,
                     prefix + "JSON nested deeper than " + std::to_string(kMaxDepth) + " levels",
                     "Objects and arrays may be nested at most " + std::to_string(kMaxDepth) +
                         " levels deep.",
                     hint);
            if (event == Event::object_start) keys.emplace_back();
            break;
        case Event::object_end:
            keys.pop_back();
            break;
        case Event::key:
            if (!keys.back().insert(parsed.template get<std::string>()).second)
                fail(kind,
                     prefix + "duplicate key \"" + shorten(parsed.template get<std::string>(), 60) +
                         "\"",
                     "Each key may appear once in an object.", hint);
            break;
        default:
            break;
        }
        return true;
    };
    try {
        return Json::parse(text.begin(), text.end(), guard);
    } catch (const nlohmann::json::out_of_range &e) {
        fail(kind, prefix + "a number is out of range", plain_message(e), hint);
    } catch (const nlohmann::json::exception &e) {
        fail(kind, prefix + "not valid JSON", plain_message(e), hint);
    }
}

} // namespace

nlohmann::json parse(std::string_view text, ErrorKind kind, const std::string &prefix,
                     const std::string &hint) {
    return parse_bounded<nlohmann::json>(text, kind, prefix, hint);
}

nlohmann::ordered_json parse_ordered(std::string_view text, ErrorKind kind,
                                     const std::string &prefix, const std::string &hint) {
    return parse_bounded<nlohmann::ordered_json>(text, kind, prefix, hint);
}

std::string excerpt(const nlohmann::json &value, std::size_t max_chars) {
    return shorten(value.dump(), max_chars);
}

std::string excerpt(const nlohmann::ordered_json &value, std::size_t max_chars) {
    return shorten(value.dump(), max_chars);
}

std::string plain_message(const nlohmann::json::exception &e, std::size_t max_chars) {
    std::string message = e.what();
    if (message.rfind("[json.exception.", 0) == 0) {
        auto end = message.find("] ");
        if (end != std::string::npos) message.erase(0, end + 2);
    }
    return shorten(message, max_chars);
}

} // namespace dmine::json_input
