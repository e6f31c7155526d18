// pckit_client.hpp — a header-only C++17 client of the PCKit bridge (`pcctl serve`), protocol 1.1.0
// (Interfaces/protocol/PROTOCOL.md), over libzmq through cppzmq (Debian: libzmq3-dev ships zmq.hpp).
//
//     #include "pckit_client.hpp"       // link with -lzmq
//     zmq::context_t context;
//     pckit::RemoteAgent agent(context, "tcp://127.0.0.1:5555",
//                              {{-1, -1, -8}, {1, 1, 8}}, {{-2}, {2}},
//                              R"({"agent": "predictiveController", "task": "pendulum"})");
//     agent.connect();
//     std::vector<double> action = agent.step({std::cos(theta), std::sin(theta), theta_dot});
//     if (!agent.action_valid()) { /* apply the safe action instead (PROTOCOL.md §9) */ }
//
// It behaves as the Python client (pckit_client.RemoteAgent): a random 16-byte routing id kept on
// every socket it opens; steps stamped with std::chrono::steady_clock; a request without a reply
// within the timeout is resent on a fresh REQ socket (Lazy Pirate) up to `retries` times, then
// ServerLost is thrown; an `unknownSession` reply makes it say hello again and resend; a welcome's
// `endpoint` redirects the session (broker workers). Everything received is bounded and checked
// before use (size, magic, version, kind, count, exact length, finite values, field types and
// ranges); a broken message throws WireError naming the protocol's error code and the rule.
//
// Threads: one RemoteAgent is used by one thread at a time (like a ZeroMQ socket).
#ifndef PCKIT_CLIENT_HPP
#define PCKIT_CLIENT_HPP

#include <zmq.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pckit {

inline constexpr const char *kProtocolVersion = "1.1.0";
inline constexpr int kMajor = 1;
inline constexpr size_t kHeaderBytes = 48;
inline constexpr size_t kMaxMessageBytes = 65536;
inline constexpr uint32_t kMaxValues = 4096;
inline constexpr uint64_t kMaxSeed = (uint64_t(1) << 53) - 1;
inline constexpr uint64_t kMaxSessionId = (uint64_t(1) << 53) - 1;
inline constexpr double kMaxActionValidity = 60.0;
inline constexpr size_t kMaxRobotNameBytes = 256;
/// Deepest JSON nesting the parser accepts.
inline constexpr int kMaxJsonDepth = 64;

/// Data-frame kinds (the kind byte; PROTOCOL.md §2).
enum class Kind : uint8_t { hello = 1, welcome = 2, step = 3, action = 4, reset = 5, bye = 6, heartbeat = 7, error = 8, telemetry = 9 };

/// Data-frame flags (PROTOCOL.md §3).
enum Flag : uint16_t {
    kFloat64 = 1 << 0, kConverged = 1 << 1, kWarning = 1 << 2, kReplayed = 1 << 3,
    kOutOfBounds = 1 << 4, kDeadlineExceeded = 1 << 5,
};

/// A message broke a protocol rule; `code` is the protocol's error code (e.g. "frameSizeMismatch").
class WireError : public std::runtime_error {
public:
    WireError(std::string code, const std::string &message) : std::runtime_error(code + ": " + message), code(std::move(code)) {}
    std::string code;
};

/// The server answered with an error message (PROTOCOL.md §7).
class RemoteError : public std::runtime_error {
public:
    RemoteError(std::string code, const std::string &message) : std::runtime_error(code + ": " + message), code(std::move(code)) {}
    std::string code;
};

/// No reply after every retry.
class ServerLost : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// ---------------------------------------------------------------------------------------------
// JSON: a small value type, a bounded parser and an encoder (shortest round-trip numbers).

class Json {
public:
    enum class Type { null, boolean, number, string, array, object };
    using Object = std::vector<std::pair<std::string, Json>>;

    Json() = default;
    Json(std::nullptr_t) {}
    Json(bool b) : type_(Type::boolean), bool_(b) {}
    Json(double x) : type_(Type::number), number_(x) {}
    Json(int x) : type_(Type::number), number_(x) {}
    Json(uint64_t x) : type_(Type::number), number_(static_cast<double>(x)) {}
    Json(const char *s) : type_(Type::string), string_(s) {}
    Json(std::string s) : type_(Type::string), string_(std::move(s)) {}
    static Json array(std::vector<Json> items = {}) { Json j; j.type_ = Type::array; j.array_ = std::move(items); return j; }
    static Json object(Object fields = {}) { Json j; j.type_ = Type::object; j.object_ = std::move(fields); return j; }

    Type type() const { return type_; }
    bool is_null() const { return type_ == Type::null; }
    bool is_number() const { return type_ == Type::number; }
    bool is_string() const { return type_ == Type::string; }
    bool is_object() const { return type_ == Type::object; }
    bool is_array() const { return type_ == Type::array; }
    double number() const { return number_; }
    bool boolean() const { return bool_; }
    const std::string &string() const { return string_; }
    const std::vector<Json> &items() const { return array_; }
    const Object &fields() const { return object_; }

    /// The member `key` of an object, or nullptr.
    const Json *find(std::string_view key) const {
        if (type_ != Type::object) return nullptr;
        for (const auto &field : object_) if (field.first == key) return &field.second;
        return nullptr;
    }
    /// Sets (or replaces) the member `key` of an object.
    void set(const std::string &key, Json value) {
        for (auto &field : object_) if (field.first == key) { field.second = std::move(value); return; }
        object_.emplace_back(key, std::move(value));
    }

    /// Equal as JSON values (numbers by value, objects whatever their key order).
    bool operator==(const Json &other) const {
        if (type_ != other.type_) return false;
        switch (type_) {
        case Type::null: return true;
        case Type::boolean: return bool_ == other.bool_;
        case Type::number: return number_ == other.number_;
        case Type::string: return string_ == other.string_;
        case Type::array: return array_ == other.array_;
        case Type::object:
            if (object_.size() != other.object_.size()) return false;
            for (const auto &field : object_) {
                const Json *theirs = other.find(field.first);
                if (!theirs || !(*theirs == field.second)) return false;
            }
            return true;
        }
        return false;
    }
    bool operator!=(const Json &other) const { return !(*this == other); }

    /// Parses one JSON value (RFC 8259; nesting at most kMaxJsonDepth); throws WireError("malformedJSON").
    static Json parse(std::string_view text) {
        Parser parser{text, 0};
        Json value = parser.value(0);
        parser.skip_space();
        if (parser.at != text.size()) parser.fail("trailing characters after the JSON value");
        return value;
    }

    /// Compact JSON, keys sorted; throws std::invalid_argument for a non-finite number.
    std::string dump() const {
        std::string out;
        write(out);
        return out;
    }

private:
    Type type_ = Type::null;
    bool bool_ = false;
    double number_ = 0;
    std::string string_;
    std::vector<Json> array_;
    Object object_;

    void write(std::string &out) const {
        switch (type_) {
        case Type::null: out += "null"; break;
        case Type::boolean: out += bool_ ? "true" : "false"; break;
        case Type::number: write_number(out, number_); break;
        case Type::string: write_string(out, string_); break;
        case Type::array:
            out += '[';
            for (size_t i = 0; i < array_.size(); ++i) { if (i) out += ','; array_[i].write(out); }
            out += ']';
            break;
        case Type::object: {
            std::vector<const std::pair<std::string, Json> *> sorted;
            for (const auto &field : object_) sorted.push_back(&field);
            std::sort(sorted.begin(), sorted.end(), [](auto *a, auto *b) { return a->first < b->first; });
            out += '{';
            for (size_t i = 0; i < sorted.size(); ++i) {
                if (i) out += ',';
                write_string(out, sorted[i]->first);
                out += ':';
                sorted[i]->second.write(out);
            }
            out += '}';
            break;
        }
        }
    }

    static void write_number(std::string &out, double x) {
        if (!std::isfinite(x)) throw std::invalid_argument("JSON has no NaN or infinity (use null for an unbounded side)");
        char buffer[64];
        // Whole numbers up to 2^53 as integers (session ids, seeds); others shortest round-trip.
        if (x == std::floor(x) && std::fabs(x) <= 9007199254740991.0) {
            auto result = std::to_chars(buffer, buffer + sizeof buffer, static_cast<int64_t>(x));
            out.append(buffer, result.ptr);
        } else {
            auto result = std::to_chars(buffer, buffer + sizeof buffer, x);
            out.append(buffer, result.ptr);
        }
    }

    static void write_string(std::string &out, const std::string &s) {
        out += '"';
        for (unsigned char c : s) {
            switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    char escaped[8];
                    std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
                    out += escaped;
                } else {
                    out += static_cast<char>(c);
                }
            }
        }
        out += '"';
    }

    struct Parser {
        std::string_view text;
        size_t at;

        [[noreturn]] void fail(const std::string &why) const {
            throw WireError("malformedJSON", why + " at byte " + std::to_string(at));
        }
        void skip_space() { while (at < text.size() && (text[at] == ' ' || text[at] == '\t' || text[at] == '\n' || text[at] == '\r')) ++at; }
        bool consume(std::string_view word) {
            if (text.substr(at, word.size()) != word) return false;
            at += word.size();
            return true;
        }
        Json value(int depth) {
            if (depth > kMaxJsonDepth) fail("JSON nested deeper than " + std::to_string(kMaxJsonDepth));
            skip_space();
            if (at >= text.size()) fail("unexpected end of JSON");
            char c = text[at];
            if (c == '{') return object(depth);
            if (c == '[') return array(depth);
            if (c == '"') return Json(string());
            if (consume("true")) return Json(true);
            if (consume("false")) return Json(false);
            if (consume("null")) return Json();
            if (c == '-' || (c >= '0' && c <= '9')) return Json(number());
            fail(std::string("unexpected character '") + c + "'");
        }
        Json object(int depth) {
            ++at;
            Json result = Json::object();
            skip_space();
            if (at < text.size() && text[at] == '}') { ++at; return result; }
            while (true) {
                skip_space();
                if (at >= text.size() || text[at] != '"') fail("expected a string key");
                std::string key = string();
                if (result.find(key)) fail("duplicate key \"" + key + "\"");
                skip_space();
                if (at >= text.size() || text[at] != ':') fail("expected ':'");
                ++at;
                result.object_.emplace_back(std::move(key), value(depth + 1));
                skip_space();
                if (at < text.size() && text[at] == ',') { ++at; continue; }
                if (at < text.size() && text[at] == '}') { ++at; return result; }
                fail("expected ',' or '}'");
            }
        }
        Json array(int depth) {
            ++at;
            Json result = Json::array();
            skip_space();
            if (at < text.size() && text[at] == ']') { ++at; return result; }
            while (true) {
                result.array_.push_back(value(depth + 1));
                skip_space();
                if (at < text.size() && text[at] == ',') { ++at; continue; }
                if (at < text.size() && text[at] == ']') { ++at; return result; }
                fail("expected ',' or ']'");
            }
        }
        double number() {
            size_t start = at;
            if (text[at] == '-') ++at;
            if (at >= text.size() || !(text[at] >= '0' && text[at] <= '9')) fail("bad number");
            if (text[at] == '0') ++at; else while (at < text.size() && text[at] >= '0' && text[at] <= '9') ++at;
            if (at < text.size() && text[at] == '.') {
                ++at;
                if (at >= text.size() || !(text[at] >= '0' && text[at] <= '9')) fail("bad number");
                while (at < text.size() && text[at] >= '0' && text[at] <= '9') ++at;
            }
            if (at < text.size() && (text[at] == 'e' || text[at] == 'E')) {
                ++at;
                if (at < text.size() && (text[at] == '+' || text[at] == '-')) ++at;
                if (at >= text.size() || !(text[at] >= '0' && text[at] <= '9')) fail("bad number");
                while (at < text.size() && text[at] >= '0' && text[at] <= '9') ++at;
            }
            double x = 0;
            auto result = std::from_chars(text.data() + start, text.data() + at, x);
            if (result.ec != std::errc() || !std::isfinite(x)) fail("number out of range");
            return x;
        }
        unsigned hex4() {
            if (at + 4 > text.size()) fail("bad \\u escape");
            unsigned value = 0;
            for (int i = 0; i < 4; ++i) {
                char c = text[at++];
                value <<= 4;
                if (c >= '0' && c <= '9') value |= unsigned(c - '0');
                else if (c >= 'a' && c <= 'f') value |= unsigned(c - 'a' + 10);
                else if (c >= 'A' && c <= 'F') value |= unsigned(c - 'A' + 10);
                else fail("bad \\u escape");
            }
            return value;
        }
        std::string string() {
            ++at;
            std::string out;
            while (true) {
                if (at >= text.size()) fail("unterminated string");
                unsigned char c = static_cast<unsigned char>(text[at++]);
                if (c == '"') return out;
                if (c < 0x20) fail("control character in a string");
                if (c != '\\') { out += static_cast<char>(c); continue; }
                if (at >= text.size()) fail("unterminated escape");
                char e = text[at++];
                switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    unsigned code = hex4();
                    if (code >= 0xD800 && code <= 0xDBFF) {
                        if (!(consume("\\u"))) fail("unpaired surrogate");
                        unsigned low = hex4();
                        if (low < 0xDC00 || low > 0xDFFF) fail("unpaired surrogate");
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                    } else if (code >= 0xDC00 && code <= 0xDFFF) {
                        fail("unpaired surrogate");
                    }
                    append_utf8(out, code);
                    break;
                }
                default: fail(std::string("bad escape \\") + e);
                }
            }
        }
        static void append_utf8(std::string &out, unsigned code) {
            if (code < 0x80) out += char(code);
            else if (code < 0x800) { out += char(0xC0 | (code >> 6)); out += char(0x80 | (code & 0x3F)); }
            else if (code < 0x10000) { out += char(0xE0 | (code >> 12)); out += char(0x80 | ((code >> 6) & 0x3F)); out += char(0x80 | (code & 0x3F)); }
            else { out += char(0xF0 | (code >> 18)); out += char(0x80 | ((code >> 12) & 0x3F)); out += char(0x80 | ((code >> 6) & 0x3F)); out += char(0x80 | (code & 0x3F)); }
        }
    };
};

// ---------------------------------------------------------------------------------------------
// Data frames (PROTOCOL.md §3).

/// A decoded data frame.
struct Frame {
    Kind kind = Kind::step;
    uint16_t flags = 0;
    uint64_t session = 0;
    uint64_t sequence = 0;
    /// step: the robot's monotonic ns; action: validUntil; heartbeat reply: the echoed stamp.
    uint64_t timestamp = 0;
    uint32_t iterations = 0;
    double free_energy = 0;
    std::vector<double> values;
};

namespace detail {
template <typename T> inline void put(std::string &out, T value) {
    char bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));  // little-endian hosts only (checked below)
    out.append(bytes, sizeof(T));
}
template <typename T> inline T get(const unsigned char *data, size_t offset) {
    T value;
    std::memcpy(&value, data + offset, sizeof(T));
    return value;
}
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "pckit_client.hpp encodes frames for little-endian hosts");

inline const char *kind_name(uint8_t kind) {
    static const char *const names[] = {"?", "hello", "welcome", "step", "action", "reset", "bye", "heartbeat", "error", "telemetry"};
    return kind >= 1 && kind <= 9 ? names[kind] : "?";
}
}  // namespace detail

/// Encodes a data frame; values are narrowed to float32 unless `flags` has kFloat64.
inline std::string encode_frame(Kind kind, uint64_t session, uint64_t sequence, const double *values, size_t count,
                                uint16_t flags = 0, uint64_t timestamp = 0, uint32_t iterations = 0, double free_energy = 0) {
    if (count > kMaxValues) throw std::invalid_argument(std::to_string(count) + " values exceed the limit of 4096");
    if (count > 0 && values == nullptr) throw std::invalid_argument("values is null");
    std::string out;
    out.reserve(kHeaderBytes + count * 8);
    out.append("PCKW", 4);
    detail::put<uint8_t>(out, kMajor);
    detail::put<uint8_t>(out, static_cast<uint8_t>(kind));
    detail::put<uint16_t>(out, flags);
    detail::put<uint64_t>(out, session);
    detail::put<uint64_t>(out, sequence);
    detail::put<uint64_t>(out, timestamp);
    detail::put<uint32_t>(out, static_cast<uint32_t>(count));
    detail::put<uint32_t>(out, iterations);
    detail::put<double>(out, free_energy);
    for (size_t i = 0; i < count; ++i) {
        if (flags & kFloat64) detail::put<double>(out, values[i]);
        else detail::put<float>(out, static_cast<float>(values[i]));
    }
    return out;
}

/// Whether a payload is a data frame (starts with "PCKW").
inline bool is_frame(const void *data, size_t size) { return size >= 4 && std::memcmp(data, "PCKW", 4) == 0; }

/// Decodes and checks a data frame in the protocol's order (size, magic, length, version, kind,
/// count, exact length, finite values); throws WireError naming the first broken rule.
inline Frame decode_frame(const void *payload, size_t size) {
    const auto *data = static_cast<const unsigned char *>(payload);
    if (size > kMaxMessageBytes) throw WireError("tooLarge", "message of " + std::to_string(size) + " bytes exceeds 65536");
    if (!is_frame(data, size)) throw WireError("badMagic", "a data frame starts with PCKW");
    if (size < kHeaderBytes) throw WireError("malformedFrame", "frame of " + std::to_string(size) + " bytes is shorter than the 48-byte header");
    uint8_t major = data[4], kind = data[5];
    if (major != kMajor) throw WireError("unsupportedVersion", "protocol major version " + std::to_string(major) + " is not supported");
    if (kind < 1 || kind > 9) throw WireError("unknownKind", "unknown message kind " + std::to_string(kind));
    if (kind == 1 || kind == 2 || kind == 5 || kind == 6 || kind == 8)
        throw WireError("unexpectedKind", std::string("kind ") + detail::kind_name(kind) + " is a JSON control message");
    Frame frame;
    frame.kind = static_cast<Kind>(kind);
    frame.flags = detail::get<uint16_t>(data, 6);
    frame.session = detail::get<uint64_t>(data, 8);
    frame.sequence = detail::get<uint64_t>(data, 16);
    frame.timestamp = detail::get<uint64_t>(data, 24);
    uint32_t count = detail::get<uint32_t>(data, 32);
    frame.iterations = detail::get<uint32_t>(data, 36);
    frame.free_energy = detail::get<double>(data, 40);
    if (count > kMaxValues) throw WireError("tooManyValues", "count " + std::to_string(count) + " exceeds 4096");
    size_t width = (frame.flags & kFloat64) ? 8 : 4;
    if (size != kHeaderBytes + width * count)
        throw WireError("frameSizeMismatch", "frame has " + std::to_string(size) + " bytes but announces " + std::to_string(count) + " values");
    frame.values.resize(count);
    for (uint32_t i = 0; i < count; ++i) {
        double value = width == 8 ? detail::get<double>(data, kHeaderBytes + 8 * i) : double(detail::get<float>(data, kHeaderBytes + 4 * i));
        if (!std::isfinite(value)) throw WireError("nonFiniteValue", "value[" + std::to_string(i) + "] is not finite");
        frame.values[i] = value;
    }
    return frame;
}

// ---------------------------------------------------------------------------------------------
// Control messages (PROTOCOL.md §4).

namespace detail {
inline bool known_kind(const std::string &kind) {
    for (const char *name : {"hello", "welcome", "step", "action", "reset", "bye", "heartbeat", "error", "telemetry"})
        if (kind == name) return true;
    return false;
}
/// A whole number in [low, high] (JSON integers may be written 7 or 7.0).
inline uint64_t integer_field(const Json &message, const char *name, uint64_t low, uint64_t high, bool required = true) {
    const Json *field = message.find(name);
    if (!field) {
        if (required) throw WireError("malformedJSON", std::string("missing field \"") + name + "\"");
        return 0;
    }
    if (!field->is_number()) throw WireError("malformedJSON", std::string("field \"") + name + "\" must be a number");
    double x = field->number();
    if (x != std::floor(x) || x < double(low) || x > double(high))
        throw WireError("invalidMessage", std::string("field \"") + name + "\" must be a whole number in " + std::to_string(low) + "…" + std::to_string(high));
    return static_cast<uint64_t>(x);
}
inline double number_field(const Json &message, const char *name) {
    const Json *field = message.find(name);
    if (!field || !field->is_number()) throw WireError("malformedJSON", std::string("field \"") + name + "\" must be a number");
    return field->number();
}
}  // namespace detail

/// Decodes and checks a JSON control message: an object with a known string `kind`; the integer
/// fields a welcome, reset, bye or error carries are whole numbers in range; a welcome's numbers
/// are present and sane. Throws WireError.
inline Json decode_control(const void *payload, size_t size) {
    if (size > kMaxMessageBytes) throw WireError("tooLarge", "message of " + std::to_string(size) + " bytes exceeds 65536");
    const char *text = static_cast<const char *>(payload);
    if (size == 0 || text[0] != '{') throw WireError("badMagic", "a control message starts with '{'");
    Json message = Json::parse(std::string_view(text, size));
    const Json *kind = message.find("kind");
    if (!kind || !kind->is_string()) throw WireError("malformedJSON", "a control message needs a string \"kind\"");
    if (!detail::known_kind(kind->string())) throw WireError("malformedJSON", "unknown kind \"" + kind->string() + "\"");
    const std::string &name = kind->string();
    if (name == "welcome") {
        detail::integer_field(message, "session", 1, kMaxSessionId);
        detail::integer_field(message, "observationDimension", 1, kMaxValues);
        detail::integer_field(message, "actionDimension", 1, kMaxValues);
        for (const char *field : {"heartbeatInterval", "idleTimeout"}) {
            double x = detail::number_field(message, field);
            if (!(x > 0)) throw WireError("invalidMessage", std::string(field) + " must be > 0");
        }
        const Json *protocol = message.find("protocol");
        if (!protocol || !protocol->is_string()) throw WireError("malformedJSON", "welcome needs a string \"protocol\"");
        if (const Json *validity = message.find("actionValidity")) {
            if (!validity->is_number() || !(validity->number() > 0) || validity->number() > kMaxActionValidity)
                throw WireError("invalidMessage", "actionValidity must be seconds in (0, 60]");
        }
        if (const Json *endpoint = message.find("endpoint")) {
            if (!endpoint->is_string()) throw WireError("malformedJSON", "endpoint must be a string");
        }
    } else if (name == "reset") {
        detail::integer_field(message, "session", 0, kMaxSessionId);
        detail::integer_field(message, "seed", 0, kMaxSeed);
    } else if (name == "bye") {
        detail::integer_field(message, "session", 0, kMaxSessionId);
    } else if (name == "error") {
        const Json *code = message.find("code");
        const Json *text_field = message.find("message");
        if (!code || !code->is_string() || !text_field || !text_field->is_string())
            throw WireError("malformedJSON", "an error needs string \"code\" and \"message\"");
        detail::integer_field(message, "session", 0, kMaxSessionId, false);
        detail::integer_field(message, "sequence", 0, std::numeric_limits<uint64_t>::max(), false);
    }
    return message;
}

/// A box space; infinite bounds are sent as null.
struct Space {
    std::vector<double> low, high;
    Json to_json() const {
        auto side = [](const std::vector<double> &xs) {
            std::vector<Json> items;
            for (double x : xs) items.push_back(std::isfinite(x) ? Json(x) : Json());
            return Json::array(std::move(items));
        };
        return Json::object({{"low", side(low)}, {"high", side(high)}});
    }
};

/// Options of a RemoteAgent (the hello's fields and the retry policy).
struct ClientOptions {
    std::string robot = "cpp-robot";
    /// Seconds between steps, finite and > 0.
    double control_period = 0.05;
    /// Actions back as float64 (else float32, the protocol's default).
    bool float64 = false;
    /// Seconds each action stays valid after its step's stamp; 0: the server's default, 3 × control_period.
    double action_validity = 0;
    /// Seconds to wait for each reply.
    double timeout = 1.0;
    /// Resends on a fresh socket before ServerLost.
    int retries = 3;
};

/// Nanoseconds on the robot's monotonic clock (std::chrono::steady_clock), the clock of validUntil.
inline uint64_t monotonic_ns() {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::steady_clock::now().time_since_epoch()).count());
}

/// A random 16-byte routing id whose first byte is not 0 (libzmq reserves those).
inline std::string new_routing_id() {
    std::random_device device;
    std::string id(16, '\0');
    do {
        for (auto &byte : id) byte = static_cast<char>(device() & 0xFF);
    } while (id[0] == 0);
    return id;
}

/// A PCKit agent served by `pcctl serve`, driven one observation at a time (see the top of this file).
class RemoteAgent {
public:
    /// @param agent_json the hello's agent object, e.g. {"agent": "predictiveController", "task": "pendulum"}.
    /// @throws std::invalid_argument for spaces, options or agent JSON that no server would accept.
    RemoteAgent(zmq::context_t &context, std::string endpoint, const Space &observation_space, const Space &action_space,
                const std::string &agent_json = "{}", ClientOptions options = {})
        : context_(context), endpoint_(endpoint), initial_endpoint_(std::move(endpoint)), options_(std::move(options)),
          routing_id_(new_routing_id()), observation_dimension_(observation_space.low.size()) {
        for (const Space *space : {&observation_space, &action_space}) {
            if (space->low.size() != space->high.size() || space->low.empty() || space->low.size() > kMaxValues)
                throw std::invalid_argument("a space needs 1…4096 low and as many high bounds");
            for (size_t i = 0; i < space->low.size(); ++i)
                if (std::isnan(space->low[i]) || std::isnan(space->high[i]) || space->low[i] > space->high[i])
                    throw std::invalid_argument("space bound " + std::to_string(i) + " is not an interval");
        }
        if (!(std::isfinite(options_.control_period) && options_.control_period > 0))
            throw std::invalid_argument("control_period must be finite and > 0");
        if (options_.action_validity != 0 && !(options_.action_validity > 0 && options_.action_validity <= kMaxActionValidity))
            throw std::invalid_argument("action_validity must be 0 (server default) or seconds in (0, 60]");
        if (options_.robot.size() > kMaxRobotNameBytes) throw std::invalid_argument("robot name over 256 bytes");
        if (!(options_.timeout > 0) || options_.retries < 0) throw std::invalid_argument("timeout must be > 0 and retries ≥ 0");
        Json agent;
        try { agent = Json::parse(agent_json); } catch (const WireError &error) {
            throw std::invalid_argument(std::string("agent_json is not JSON: ") + error.what());
        }
        if (!agent.is_object()) throw std::invalid_argument("agent_json must be a JSON object");
        hello_ = Json::object({{"kind", "hello"}, {"protocol", kProtocolVersion}, {"robot", options_.robot},
                               {"observationSpace", observation_space.to_json()}, {"actionSpace", action_space.to_json()},
                               {"controlPeriod", options_.control_period}, {"scalar", options_.float64 ? "float64" : "float32"},
                               {"agent", agent}});
        if (options_.action_validity > 0) hello_.set("actionValidity", options_.action_validity);
    }

    ~RemoteAgent() {
        try { close(); } catch (...) {}
    }
    RemoteAgent(const RemoteAgent &) = delete;
    RemoteAgent &operator=(const RemoteAgent &) = delete;

    /// Says hello (through the initial endpoint) and returns the welcome. Throws RemoteError, ServerLost, WireError.
    const Json &connect() {
        if (endpoint_ != initial_endpoint_) { endpoint_ = initial_endpoint_; close_socket(); }
        Json welcome = control(hello_);
        if (welcome.find("kind")->string() != "welcome")
            throw RemoteError("unexpectedReply", "hello answered by " + welcome.find("kind")->string());
        if (welcome.find("observationDimension")->number() != double(observation_dimension_))
            throw WireError("invalidMessage", "welcome's observationDimension differs from the hello's");
        if (const Json *redirect = welcome.find("endpoint"); redirect && redirect->string() != endpoint_) {
            endpoint_ = redirect->string();
            close_socket();
        }
        welcome_ = std::move(welcome);
        session_ = static_cast<uint64_t>(welcome_.find("session")->number());
        action_dimension_ = static_cast<size_t>(welcome_.find("actionDimension")->number());
        return welcome_;
    }

    /// Sends one observation and returns the action (action dimension values, already clipped by
    /// the server). Says hello first when not connected, and again when the server lost the session.
    std::vector<double> step(const std::vector<double> &observation) {
        if (session_ == 0) connect();
        if (observation.size() != observation_dimension_)
            throw std::invalid_argument("observation has " + std::to_string(observation.size()) + " values, expected " +
                                        std::to_string(observation_dimension_));
        for (size_t i = 0; i < observation.size(); ++i)
            if (!std::isfinite(observation[i])) throw std::invalid_argument("observation[" + std::to_string(i) + "] is not finite");
        ++sequence_;
        for (int attempt = 0; attempt < 2; ++attempt) {
            std::string frame = encode_frame(Kind::step, session_, sequence_, observation.data(), observation.size(),
                                             options_.float64 ? kFloat64 : 0, monotonic_ns());
            std::string reply;
            try {
                reply = request(frame, "step " + std::to_string(sequence_));
            } catch (const ServerLost &) {
                if (endpoint_ == initial_endpoint_) throw;
                reconnect();  // the broker's worker is gone: start again through the broker
                continue;
            }
            if (is_frame(reply.data(), reply.size())) {
                Frame action = decode_frame(reply.data(), reply.size());
                if (action.kind != Kind::action || action.sequence != sequence_ || action.session != session_ ||
                    action.values.size() != action_dimension_)
                    throw RemoteError("unexpectedReply", "step " + std::to_string(sequence_) + " answered by " +
                                                             detail::kind_name(static_cast<uint8_t>(action.kind)) + " " +
                                                             std::to_string(action.sequence));
                last_ = std::move(action);
                has_action_ = true;
                return last_.values;
            }
            Json error = decode_control(reply.data(), reply.size());
            std::string code = error.find("code") ? error.find("code")->string() : "";
            if (code == "unknownSession") { reconnect(); continue; }
            throw RemoteError(code, error.find("message") ? error.find("message")->string() : reply);
        }
        throw ServerLost("step " + std::to_string(sequence_) + ": the session could not be re-established");
    }

    /// Starts a new episode in the same session (the agent reseeds with `seed`, 0…2^53 − 1).
    void reset(uint64_t seed) {
        if (seed > kMaxSeed) throw std::invalid_argument("reset seed " + std::to_string(seed) + " is outside 0…2^53 − 1");
        if (session_ == 0) connect();
        try {
            control(Json::object({{"kind", "reset"}, {"session", session_}, {"seed", seed}}));
        } catch (const RemoteError &error) {
            if (error.code != "unknownSession") throw;
            reconnect();
            control(Json::object({{"kind", "reset"}, {"session", session_}, {"seed", seed}}));
        }
        sequence_ = 0;
    }

    /// Keeps an idle session alive; returns the round trip in seconds on the monotonic clock.
    double heartbeat() {
        ++sequence_;
        uint64_t sent = monotonic_ns();
        std::string reply = request(encode_frame(Kind::heartbeat, session_, sequence_, nullptr, 0, 0, sent), "heartbeat");
        if (!is_frame(reply.data(), reply.size())) {
            Json error = decode_control(reply.data(), reply.size());
            throw RemoteError(error.find("code") ? error.find("code")->string() : "", reply);
        }
        Frame echo = decode_frame(reply.data(), reply.size());
        if (echo.kind != Kind::heartbeat || echo.timestamp != sent) throw RemoteError("unexpectedReply", "heartbeat not echoed");
        return double(monotonic_ns() - sent) * 1e-9;
    }

    /// Says bye (best effort, no retries) and closes the socket.
    void close() {
        if (session_ != 0) {
            int saved = options_.retries;
            options_.retries = 0;
            try { control(Json::object({{"kind", "bye"}, {"session", session_}})); } catch (const std::exception &) {}
            options_.retries = saved;
            session_ = 0;
        }
        close_socket();
    }

    /// Whether the server speaks protocol ≥ 1.1 (its actions carry validUntil).
    bool speaks_valid_until() const {
        const Json *protocol = welcome_.find("protocol");
        if (!protocol || !protocol->is_string()) return false;
        int major = 0, minor = 0;
        if (std::sscanf(protocol->string().c_str(), "%d.%d", &major, &minor) != 2) return false;
        return major > 1 || (major == 1 && minor >= 1);
    }
    /// The last action's validUntil on monotonic_ns()'s clock; 0 before the first action or from a 1.0 server.
    uint64_t valid_until_ns() const { return has_action_ && speaks_valid_until() ? last_.timestamp : 0; }
    /// Whether the last action may still be applied now (PROTOCOL.md §9, rule 1): false before the
    /// first action and once the clock has passed validUntil; the robot then applies its safe action.
    bool action_valid(uint64_t now_ns = monotonic_ns()) const {
        if (!has_action_) return false;
        if (!speaks_valid_until()) return true;  // 1.0: only the robot's own deadline applies
        return now_ns <= last_.timestamp;
    }
    /// The last action frame (flags, iterations, free energy).
    const Frame &last_frame() const { return last_; }
    const Json &welcome() const { return welcome_; }
    uint64_t session() const { return session_; }
    const std::string &routing_id() const { return routing_id_; }
    /// Requests resent after a timeout, and hellos said again after a lost session.
    int retried() const { return retried_; }
    int reconnects() const { return reconnects_; }

private:
    zmq::context_t &context_;
    std::string endpoint_, initial_endpoint_;
    ClientOptions options_;
    std::string routing_id_;
    size_t observation_dimension_;
    size_t action_dimension_ = 0;
    Json hello_, welcome_;
    uint64_t session_ = 0, sequence_ = 0;
    Frame last_;
    bool has_action_ = false;
    int retried_ = 0, reconnects_ = 0;
    std::unique_ptr<zmq::socket_t> socket_;

    void open() {
        close_socket();
        auto socket = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::req);
        socket->set(zmq::sockopt::linger, 0);
        socket->set(zmq::sockopt::routing_id, zmq::const_buffer(routing_id_.data(), routing_id_.size()));
        socket->set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(kMaxMessageBytes));
        socket->connect(endpoint_);
        socket_ = std::move(socket);
    }
    void close_socket() { socket_.reset(); }

    void reconnect() {
        session_ = 0;
        ++reconnects_;
        connect();
    }

    /// One request, one reply; on timeout reopen the socket with the same routing id and resend (Lazy Pirate).
    std::string request(const std::string &payload, const std::string &what) {
        for (int attempt = 0; attempt <= options_.retries; ++attempt) {
            if (!socket_) open();
            socket_->send(zmq::buffer(payload), zmq::send_flags::none);
            zmq::pollitem_t item{static_cast<void *>(*socket_), 0, ZMQ_POLLIN, 0};
            zmq::poll(&item, 1, std::chrono::milliseconds(static_cast<long>(options_.timeout * 1000)));
            if (item.revents & ZMQ_POLLIN) {
                zmq::message_t reply;
                if (!socket_->recv(reply, zmq::recv_flags::none)) throw ServerLost("receive failed");
                if (reply.more()) throw WireError("malformedFrame", "a reply is one frame");
                return std::string(static_cast<const char *>(reply.data()), reply.size());
            }
            close_socket();  // a REQ socket that timed out cannot send again
            ++retried_;
        }
        throw ServerLost("no reply to " + what + " from " + endpoint_ + " after " + std::to_string(options_.retries + 1) +
                         " attempts of " + std::to_string(options_.timeout) + " s");
    }

    Json control(const Json &message) {
        std::string reply = request(message.dump(), message.find("kind")->string());
        if (is_frame(reply.data(), reply.size())) throw RemoteError("unexpectedReply", "a control message answered by a data frame");
        Json decoded = decode_control(reply.data(), reply.size());
        if (decoded.find("kind")->string() == "error")
            throw RemoteError(decoded.find("code")->string(), decoded.find("message")->string());
        return decoded;
    }
};

}  // namespace pckit

#endif  // PCKIT_CLIENT_HPP
