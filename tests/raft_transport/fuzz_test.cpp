// A seeded mutation fuzzer of the frame decoder and the payload decoders, bounded in time and
// iterations so that it runs in every CI build (the sanitizer build turns memory errors and
// undefined behaviour into failures). Environment:
//   ORCRAFT_FUZZ_SECONDS     time budget (default 3)
//   ORCRAFT_FUZZ_ITERATIONS  iteration budget (default 2,000,000)
//   ORCRAFT_FUZZ_SEED        seed (default fixed; the seed is printed so a failure can be replayed)
// Each iteration builds a stream of valid frames and then either keeps it (it must decode back
// to exactly what was encoded, whatever the split points), or damages it: bit flips, random
// bytes, insertions, deletions, truncation, edited payloads with a recomputed checksum (so that
// the payload decoders see the damage), or a stream of random bytes.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <random>

#include "harness.hpp"

using namespace orcraft::raft;
using namespace orcraft::raft::test;
using wire::FrameDecoder;

namespace {

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') return fallback;
    return std::strtoull(v, nullptr, 10);
}

class Fuzzer {
  public:
    explicit Fuzzer(std::uint64_t seed) : rng_(seed) {}

    std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : rng_() % n; }
    bool chance(int percent) { return below(100) < static_cast<std::uint64_t>(percent); }

    // Numbers of every varint length, and the edges.
    std::uint64_t number() {
        switch (below(4)) {
            case 0:
                return below(3);
            case 1:
                return below(1000);
            case 2:
                return rng_() >> below(64);
            default:
                return ~std::uint64_t{0} - below(2);
        }
    }
    std::string bytes(std::size_t max) {
        std::string s(static_cast<std::size_t>(below(max + 1)), '\0');
        for (char& c : s)
            c = static_cast<char>(rng_());
        return s;
    }

    Message message() {
        Message m;
        m.type = static_cast<MessageType>(below(13));
        m.from = number();
        m.to = number();
        m.term = number();
        m.index = number();
        m.log_term = number();
        m.commit = number();
        m.reject = chance(50);
        m.reject_hint = number();
        m.hint_term = number();
        m.read_seq = number();
        if (chance(30)) m.context = bytes(40);
        m.force = chance(50);
        const std::size_t entries = chance(50) ? below(6) : 0;
        for (std::size_t i = 0; i < entries; ++i) {
            m.entries.push_back(
                Entry{number(), number(), static_cast<EntryType>(below(3)), bytes(64)});
        }
        m.snapshot.index = number();
        m.snapshot.term = number();
        for (std::size_t i = below(4); i > 0; --i)
            m.snapshot.conf.voters.push_back(number());
        for (std::size_t i = below(3); i > 0; --i)
            m.snapshot.conf.learners.push_back(number());
        m.offset = number();
        if (chance(30)) m.chunk = bytes(300);
        m.done = chance(50);
        if (m.type == MessageType::kSnapshot) {
            // A snapshot chunk carries the snapshot's size where other messages carry `index`.
            m.snapshot_bytes = m.index;
            m.index = 0;
        }
        return m;
    }

    // A stream of 1-4 valid frames; `messages` receives the message frames in order.
    std::string valid_stream(std::vector<Message>& messages) {
        std::string out;
        for (std::size_t n = 1 + below(4); n > 0; --n) {
            switch (below(6)) {
                case 0:
                    wire::append_hello_frame(out,
                                             wire::Hello{bytes(20), number(), bytes(30), bytes(40),
                                                         static_cast<wire::Channel>(below(2))});
                    break;
                case 1:
                    wire::append_welcome_frame(out, wire::Welcome{number(), bytes(30), bytes(40)});
                    break;
                case 2:
                    wire::append_refusal_frame(out, wire::Refusal{bytes(60)});
                    break;
                default:
                    messages.push_back(message());
                    wire::append_message_frame(out, messages.back());
            }
        }
        return out;
    }

    // Damages `s` in place.
    void mutate(std::string& s) {
        if (s.empty()) {
            s = bytes(64);
            return;
        }
        switch (below(7)) {
            case 0:  // bit flips
                for (std::size_t n = 1 + below(8); n > 0; --n) {
                    s[below(s.size())] ^= static_cast<char>(1u << below(8));
                }
                break;
            case 1:  // random bytes
                for (std::size_t n = 1 + below(8); n > 0; --n) {
                    s[below(s.size())] = static_cast<char>(rng_());
                }
                break;
            case 2:
                s.insert(below(s.size() + 1), bytes(16));
                break;
            case 3: {
                const std::size_t at = below(s.size());
                s.erase(at, 1 + below(16));
                break;
            }
            case 4:
                s.resize(below(s.size()));
                break;
            case 5: {  // the payload of the first frame edited, checksum recomputed
                if (s.size() <= wire::kHeaderBytes) break;
                const std::size_t payload = s.size() - wire::kHeaderBytes;
                std::size_t length = 0;
                for (int i = 0; i < 4; ++i) {
                    length |= std::size_t{static_cast<unsigned char>(s[4 + i])} << (8 * i);
                }
                length = std::min(length, payload);
                for (std::size_t n = 1 + below(4); n > 0 && length > 0; --n) {
                    s[wire::kHeaderBytes + below(length)] = static_cast<char>(rng_());
                }
                // Sometimes a shorter or longer payload with a matching length field.
                if (chance(30)) length = below(length + 8);
                length = std::min(length, payload);
                wire::seal_frame(s.data(), length);
                break;
            }
            default:
                s = bytes(200);  // noise, sometimes starting like a frame
                if (chance(50) && s.size() >= 4) {
                    s[0] = 'o';
                    s[1] = 'R';
                    s[2] = static_cast<char>(wire::kWireVersion);
                    s[3] = static_cast<char>(1 + below(4));
                }
        }
    }

    // Cut points: the stream is fed in random pieces.
    std::vector<std::size_t> pieces(std::size_t total) {
        std::vector<std::size_t> out;
        while (total > 0) {
            const std::size_t n = 1 + below(chance(50) ? 8 : total);
            out.push_back(std::min(n, total));
            total -= out.back();
        }
        return out;
    }

  private:
    std::mt19937_64 rng_;
};

struct Outcome {
    std::vector<Message> messages;  // decoded message frames
    bool failed = false;
};

// Feeds `stream` in `pieces` and decodes every frame, as a connection would.
Outcome run_decoder(const std::string& stream, const std::vector<std::size_t>& pieces,
                    std::size_t max_payload) {
    Outcome out;
    FrameDecoder decoder(max_payload);
    std::size_t at = 0;
    for (std::size_t n : pieces) {
        decoder.feed(stream.data() + at, n);
        at += n;
        wire::Frame frame;
        for (;;) {
            const auto status = decoder.next(frame);
            if (status == FrameDecoder::Status::kNeedMore) break;
            if (status == FrameDecoder::Status::kError) {
                out.failed = true;
                REQUIRE_FALSE(decoder.error().empty());
                REQUIRE(decoder.next(frame) == FrameDecoder::Status::kError);
                return out;
            }
            std::string error;
            switch (frame.type) {
                case wire::FrameType::kHello: {
                    wire::Hello h;
                    (void)wire::decode_hello(frame.payload, h, error);
                    break;
                }
                case wire::FrameType::kWelcome: {
                    wire::Welcome w;
                    (void)wire::decode_welcome(frame.payload, w, error);
                    break;
                }
                case wire::FrameType::kRefusal: {
                    wire::Refusal r;
                    (void)wire::decode_refusal(frame.payload, r, error);
                    break;
                }
                case wire::FrameType::kMessage: {
                    Message m;
                    if (wire::decode_message(frame.payload, m, error)) {
                        // Whatever decodes must encode to something that decodes the same.
                        const std::string again = wire::encode_message(m);
                        Message m2;
                        REQUIRE(wire::decode_message(
                            std::string_view(again).substr(wire::kHeaderBytes), m2, error));
                        REQUIRE(same_message(m, m2));
                        out.messages.push_back(std::move(m));
                    } else {
                        REQUIRE_FALSE(error.empty());
                    }
                    break;
                }
            }
        }
    }
    return out;
}

}  // namespace

TEST_CASE("fuzz: the frame decoder survives damaged streams and round-trips valid ones") {
    const std::uint64_t seed = env_or("ORCRAFT_FUZZ_SEED", 0x6f52'7261'6674ull);
    const auto budget = std::chrono::seconds(env_or("ORCRAFT_FUZZ_SECONDS", 3));
    const std::uint64_t max_iterations = env_or("ORCRAFT_FUZZ_ITERATIONS", 2'000'000);
    INFO("ORCRAFT_FUZZ_SEED=" << seed);
    Fuzzer fz(seed);

    const auto until = std::chrono::steady_clock::now() + budget;
    std::uint64_t iterations = 0;
    std::uint64_t valid = 0;
    std::uint64_t rejected = 0;
    while (iterations < max_iterations) {
        if ((iterations & 63) == 0 && std::chrono::steady_clock::now() >= until) break;
        ++iterations;
        std::vector<Message> messages;
        std::string stream = fz.valid_stream(messages);
        // A small limit now and then, so that kTooLarge is exercised too.
        const std::size_t max_payload = fz.chance(10) ? fz.below(400) : (1u << 20);
        const bool keep = fz.chance(25);
        if (!keep) {
            for (std::size_t n = 1 + fz.below(3); n > 0; --n)
                fz.mutate(stream);
        }
        const Outcome out = run_decoder(stream, fz.pieces(stream.size()), max_payload);
        if (keep && max_payload == (1u << 20)) {
            ++valid;
            REQUIRE_FALSE(out.failed);
            REQUIRE(out.messages.size() == messages.size());
            for (std::size_t i = 0; i < messages.size(); ++i) {
                REQUIRE(same_message(out.messages[i], messages[i]));
            }
        } else if (out.failed) {
            ++rejected;
        }
    }
    WARN("fuzzed " << iterations << " streams (" << valid << " valid, " << rejected
                   << " rejected by the frame decoder), seed " << seed);
    CHECK(iterations > 0);
    CHECK(valid > 0);
    CHECK(rejected > 0);
}
