// libFuzzer entry point for the frame decoder and payload decoders (built only with clang:
// target raft_transport_libfuzzer; run it with e.g. `-max_total_time=60`). The bounded CI fuzzer
// that g++ builds is fuzz_test.cpp.
//
// Input layout: byte 0 chooses the piece size the stream is fed in (1-256 bytes), byte 1 the
// payload limit (small limits exercise the size check); the rest is the stream. When byte 1 has
// its high bit set, the rest is instead one frame's type byte and payload, sent with a valid
// header and checksum, so that the fuzzer reaches the payload decoders.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "raft/transport/wire.hpp"

using namespace orcraft::raft;

namespace {

void decode_payload(const wire::Frame& frame) {
    std::string error;
    switch (frame.type) {
        case wire::FrameType::kHello: {
            wire::Hello h;
            (void)wire::decode_hello(frame.payload, h, error);
            return;
        }
        case wire::FrameType::kWelcome: {
            wire::Welcome w;
            (void)wire::decode_welcome(frame.payload, w, error);
            return;
        }
        case wire::FrameType::kRefusal: {
            wire::Refusal r;
            (void)wire::decode_refusal(frame.payload, r, error);
            return;
        }
        case wire::FrameType::kMessage: {
            Message m;
            if (!wire::decode_message(frame.payload, m, error)) return;
            // What decodes must survive a second round trip unchanged in size.
            const std::string again = wire::encode_message(m);
            Message m2;
            if (!wire::decode_message(std::string_view(again).substr(wire::kHeaderBytes), m2,
                                      error) ||
                wire::encode_message(m2) != again) {
                std::abort();
            }
            return;
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::size_t piece = 1 + data[0];
    const std::size_t max_payload = data[1] < 16 ? data[1] * 16u : (1u << 20);
    std::string sealed;
    const char* stream = reinterpret_cast<const char*>(data + 2);
    std::size_t n = size - 2;
    if ((data[1] & 0x80) != 0 && n > 0) {
        sealed = wire::encode_message(Message{});
        sealed.resize(wire::kHeaderBytes);
        sealed[3] = static_cast<char>(1 + stream[0] % 4);
        sealed.append(stream + 1, n - 1);
        wire::seal_frame(sealed.data(), n - 1);
        stream = sealed.data();
        n = sealed.size();
    }
    wire::FrameDecoder decoder(max_payload);
    for (std::size_t at = 0; at < n; at += piece) {
        decoder.feed(stream + at, std::min(piece, n - at));
        wire::Frame frame;
        for (;;) {
            const auto status = decoder.next(frame);
            if (status == wire::FrameDecoder::Status::kNeedMore) break;
            if (status == wire::FrameDecoder::Status::kError) return 0;
            decode_payload(frame);
        }
    }
    return 0;
}
