// Interfaces/cpp/pckit_client.hpp against the protocol's golden messages (Interfaces/protocol/golden,
// written from PROTOCOL.md by make_golden.py): every control message decodes to the manifest's
// values and re-encodes to the same JSON value; every frame decodes to the manifest's fields and
// re-encodes to the same bytes; validUntil is the step's stamp plus the welcome's validity; and
// each broken rule is refused with its protocol error code.
//
// Usage: test_pckit_client_golden Interfaces/protocol/golden
#include "pckit_client.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

namespace {

int failures = 0;

void check(bool ok, const std::string &what) {
    if (ok) return;
    ++failures;
    std::fprintf(stderr, "FAIL: %s\n", what.c_str());
}

std::string read(const std::string &path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) throw std::runtime_error("cannot read " + path);
    std::stringstream buffer;
    buffer << file.rdbuf();
    return buffer.str();
}

// The code of the WireError `body` throws, or "" when it throws none.
template <typename Body> std::string refusal(Body body) {
    try { body(); } catch (const pckit::WireError &error) { return error.code; }
    return "";
}

std::string header(uint8_t major, uint8_t kind, uint16_t flags, uint32_t count) {
    std::string frame = pckit::encode_frame(pckit::Kind::step, 1, 1, nullptr, 0, flags);
    frame[4] = static_cast<char>(major);
    frame[5] = static_cast<char>(kind);
    std::memcpy(&frame[32], &count, 4);
    return frame;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s Interfaces/protocol/golden\n", argv[0]);
        return 2;
    }
    const std::string directory = argv[1];
    pckit::Json manifest = pckit::Json::parse(read(directory + "/manifest.json"));
    const pckit::Json *control = manifest.find("control");
    const pckit::Json *frames = manifest.find("frames");
    check(control && frames && control->fields().size() >= 9 && frames->fields().size() >= 5, "manifest lists the messages");
    if (!control || !frames) return 1;

    int checked = 0;
    for (const auto &[name, expected] : control->fields()) {
        std::string bytes = read(directory + "/" + name);
        try {
            pckit::Json decoded = pckit::decode_control(bytes.data(), bytes.size());
            check(decoded == expected, name + " decodes to the manifest's values");
            std::string encoded = decoded.dump();
            check(pckit::Json::parse(encoded) == expected, name + " re-encodes to the same value: " + encoded);
            ++checked;
        } catch (const std::exception &error) {
            check(false, name + ": " + error.what());
        }
    }
    for (const auto &[name, expected] : frames->fields()) {
        std::string bytes = read(directory + "/" + name);
        try {
            pckit::Frame frame = pckit::decode_frame(bytes.data(), bytes.size());
            std::vector<pckit::Json> values;
            for (double v : frame.values) values.emplace_back(v);
            check(pckit::Json(pckit::detail::kind_name(static_cast<uint8_t>(frame.kind))) == *expected.find("kind"), name + " kind");
            check(double(frame.flags) == expected.find("flags")->number(), name + " flags");
            check(double(frame.session) == expected.find("session")->number(), name + " session");
            check(double(frame.sequence) == expected.find("sequence")->number(), name + " sequence");
            check(double(frame.timestamp) == expected.find("timestamp")->number(), name + " timestamp");
            check(double(frame.iterations) == expected.find("iterations")->number(), name + " iterations");
            check(frame.free_energy == expected.find("freeEnergy")->number(), name + " free energy");
            check(double(bytes.size()) == expected.find("length")->number(), name + " length");
            check(pckit::Json::array(values) == *expected.find("values"), name + " values");
            std::string encoded = pckit::encode_frame(frame.kind, frame.session, frame.sequence, frame.values.data(),
                                                      frame.values.size(), frame.flags, frame.timestamp, frame.iterations,
                                                      frame.free_energy);
            check(encoded == bytes, name + " re-encodes to the same bytes");
            ++checked;
        } catch (const std::exception &error) {
            check(false, name + ": " + error.what());
        }
    }

    // validUntil: action_f32 answers step_f32 with the welcome's actionValidity (0.15 s) added.
    std::string step = read(directory + "/step_f32.bin"), action = read(directory + "/action_f32.bin");
    std::string welcome = read(directory + "/welcome.json");
    double validity = pckit::decode_control(welcome.data(), welcome.size()).find("actionValidity")->number();
    uint64_t stamped = pckit::decode_frame(step.data(), step.size()).timestamp;
    check(pckit::decode_frame(action.data(), action.size()).timestamp == stamped + uint64_t(std::llround(validity * 1e9)),
          "action validUntil = step timestamp + actionValidity");

    // Every rule of §3 and §4, refused by its code.
    std::string good = pckit::encode_frame(pckit::Kind::action, 1, 1, std::vector<double>{0.5}.data(), 1);
    check(refusal([&] { pckit::decode_frame(good.data(), 47); }) == "malformedFrame", "47-byte frame");
    check(refusal([&] { pckit::decode_frame("PCK", 3); }) == "badMagic", "3-byte payload");
    check(refusal([&] { pckit::decode_frame("XCKW", 4); }) == "badMagic", "bad magic");
    std::string frame = header(2, 4, 0, 0);
    check(refusal([&] { pckit::decode_frame(frame.data(), frame.size()); }) == "unsupportedVersion", "major 2");
    frame = header(1, 42, 0, 0);
    check(refusal([&] { pckit::decode_frame(frame.data(), frame.size()); }) == "unknownKind", "kind 42");
    frame = header(1, 1, 0, 0);
    check(refusal([&] { pckit::decode_frame(frame.data(), frame.size()); }) == "unexpectedKind", "binary hello");
    frame = header(1, 4, 0, 4097);
    check(refusal([&] { pckit::decode_frame(frame.data(), frame.size()); }) == "tooManyValues", "4097 values");
    check(refusal([&] { pckit::decode_frame(good.data(), good.size() - 1); }) == "frameSizeMismatch", "short values");
    double nan = std::nan("");
    std::string with_nan = pckit::encode_frame(pckit::Kind::action, 1, 1, &nan, 1, pckit::kFloat64);
    check(refusal([&] { pckit::decode_frame(with_nan.data(), with_nan.size()); }) == "nonFiniteValue", "NaN value");
    std::string huge(pckit::kMaxMessageBytes + 1, '{');
    check(refusal([&] { pckit::decode_control(huge.data(), huge.size()); }) == "tooLarge", "65537 bytes");
    std::string deep = std::string(100, '[') + std::string(100, ']');
    deep = "{\"kind\":\"bye\",\"x\":" + deep + "}";
    check(refusal([&] { pckit::decode_control(deep.data(), deep.size()); }) == "malformedJSON", "nesting 100 deep");
    for (const char *bad : {"{\"kind\":7}", "{\"kind\":\"nonesuch\"}", "{\"kind\":\"bye\"", "{\"kind\":\"bye\",\"session\":\"1\"}",
                            "{\"kind\":\"error\",\"code\":1,\"message\":\"x\"}"}) {
        check(refusal([&] { pckit::decode_control(bad, std::strlen(bad)); }) == "malformedJSON", bad);
    }
    for (const char *bad : {"{\"kind\":\"reset\",\"session\":1,\"seed\":-1}", "{\"kind\":\"reset\",\"session\":1,\"seed\":0.5}",
                            "{\"kind\":\"reset\",\"session\":1,\"seed\":9007199254740992}",
                            "{\"kind\":\"welcome\",\"protocol\":\"1.1.0\",\"session\":0,\"observationDimension\":3,\"actionDimension\":1,\"heartbeatInterval\":1,\"idleTimeout\":10}",
                            "{\"kind\":\"welcome\",\"protocol\":\"1.1.0\",\"session\":5,\"observationDimension\":3,\"actionDimension\":1,\"heartbeatInterval\":1,\"idleTimeout\":10,\"actionValidity\":61}"}) {
        check(refusal([&] { pckit::decode_control(bad, std::strlen(bad)); }) == "invalidMessage", bad);
    }
    // JSON numbers: 7 and 7.0 are the same; escapes and non-ASCII round-trip.
    check(pckit::Json::parse("{\"a\":7}") == pckit::Json::parse("{\"a\":7.0}"), "7 equals 7.0");
    pckit::Json text = pckit::Json::parse("\"\\u00e9\\ud83d\\ude00 \\\"q\\\" \\n\"");
    check(pckit::Json::parse(text.dump()) == text && text.string() == "\xc3\xa9\xf0\x9f\x98\x80 \"q\" \n", "string escapes");

    if (failures) {
        std::fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    std::printf("pckit_client.hpp golden test: %d golden messages and every refusal checked\n", checked);
    return 0;
}
