#include "raft/transport/wire.hpp"

#include <xxhash.h>

#include <algorithm>
#include <cstring>

namespace orcraft::raft::wire {

namespace {

constexpr unsigned char kMagic0 = 'o';
constexpr unsigned char kMagic1 = 'R';
constexpr std::size_t kMaxVarint = 10;
constexpr std::uint8_t kFlagReject = 1;
constexpr std::uint8_t kFlagForce = 2;
constexpr std::uint8_t kFlagDone = 4;
constexpr std::uint8_t kKnownFlags = kFlagReject | kFlagForce | kFlagDone;
// Buffers above this size are released once empty instead of being kept for reuse.
constexpr std::size_t kKeepBufferBytes = 4 * 1024 * 1024;

void put_u32(char* p, std::uint32_t v) {
    for (int i = 0; i < 4; ++i)
        p[i] = static_cast<char>(v >> (8 * i));
}
void put_u64(char* p, std::uint64_t v) {
    for (int i = 0; i < 8; ++i)
        p[i] = static_cast<char>(v >> (8 * i));
}
std::uint32_t get_u32(const char* p) {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i)
        v |= std::uint32_t{static_cast<unsigned char>(p[i])} << (8 * i);
    return v;
}
std::uint64_t get_u64(const char* p) {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
        v |= std::uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
    return v;
}

std::uint64_t frame_checksum(const char* header, const char* payload, std::size_t n) {
    return XXH3_64bits_withSeed(payload, n, get_u64(header));
}

// Writes payloads through a raw pointer into space reserved in advance (sized by an upper
// bound), which avoids a capacity check per byte.
class Writer {
  public:
    explicit Writer(char* p) : p_(p) {}
    void u8(std::uint8_t v) { *p_++ = static_cast<char>(v); }
    void varint(std::uint64_t v) {
        while (v >= 0x80) {
            *p_++ = static_cast<char>((v & 0x7f) | 0x80);
            v >>= 7;
        }
        *p_++ = static_cast<char>(v);
    }
    void bytes(std::string_view s) {
        varint(s.size());
        if (!s.empty()) std::memcpy(p_, s.data(), s.size());
        p_ += s.size();
    }
    char* position() const { return p_; }

  private:
    char* p_;
};

constexpr std::size_t bytes_bound(std::size_t n) {
    return kMaxVarint + n;
}

// Reads a payload; the first problem sets error() and makes every later read return zero.
class Reader {
  public:
    explicit Reader(std::string_view s)
        : p_(reinterpret_cast<const unsigned char*>(s.data())), end_(p_ + s.size()) {}

    bool ok() const { return error_.empty(); }
    const std::string& error() const { return error_; }
    std::size_t remaining() const { return static_cast<std::size_t>(end_ - p_); }

    std::uint8_t u8(const char* what) {
        if (!ok()) return 0;
        if (p_ == end_) return fail(what, "truncated");
        return *p_++;
    }
    std::uint64_t varint(const char* what) {
        if (!ok()) return 0;
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < kMaxVarint; ++i) {
            if (p_ == end_) return fail(what, "truncated");
            const std::uint64_t b = *p_++;
            if (i == kMaxVarint - 1 && b > 1) return fail(what, "varint overflows 64 bits");
            v |= (b & 0x7f) << (7 * i);
            if ((b & 0x80) == 0) return v;
        }
        return fail(what, "varint longer than 10 bytes");
    }
    void bytes(const char* what, std::string& out) {
        const std::uint64_t n = varint(what);
        if (!ok()) return;
        if (n > remaining()) {
            fail(what, "length beyond the payload");
            return;
        }
        out.assign(reinterpret_cast<const char*>(p_), static_cast<std::size_t>(n));
        p_ += n;
    }
    // A count of items that each take at least `min_item_bytes`: bounded by what is left, so
    // that a forged count cannot make the decoder reserve huge amounts of memory.
    std::size_t count(const char* what, std::size_t min_item_bytes) {
        const std::uint64_t n = varint(what);
        if (!ok()) return 0;
        if (n > remaining() / min_item_bytes) return fail(what, "count beyond the payload");
        return static_cast<std::size_t>(n);
    }
    bool finish() {
        if (ok() && p_ != end_) fail("payload", "trailing bytes");
        return ok();
    }

  private:
    std::uint64_t fail(const char* what, const char* why) {
        if (ok()) error_ = std::string(what) + ": " + why;
        p_ = end_;
        return 0;
    }

    const unsigned char* p_;
    const unsigned char* end_;
    std::string error_;
};

// Appends a frame whose payload is at most `bound` bytes and is written by `write_payload`.
template <typename Fn>
std::size_t append_frame(std::string& out, FrameType type, std::size_t bound, Fn write_payload) {
    const std::size_t start = out.size();
    out.resize(start + kHeaderBytes + bound);
    char* header = out.data() + start;
    Writer w(header + kHeaderBytes);
    write_payload(w);
    const std::size_t n = static_cast<std::size_t>(w.position() - (header + kHeaderBytes));
    out.resize(start + kHeaderBytes + n);
    header = out.data() + start;
    header[0] = static_cast<char>(kMagic0);
    header[1] = static_cast<char>(kMagic1);
    header[2] = static_cast<char>(kWireVersion);
    header[3] = static_cast<char>(type);
    seal_frame(header, n);
    return kHeaderBytes + n;
}

std::size_t message_bound(const Message& m) {
    std::size_t n = 2 + 9 * kMaxVarint + bytes_bound(m.context.size()) + kMaxVarint;
    for (const Entry& e : m.entries)
        n += 2 * kMaxVarint + 1 + bytes_bound(e.data.size());
    n += 2 * kMaxVarint;  // snapshot index, term
    n += kMaxVarint * (2 + m.snapshot.conf.voters.size() + m.snapshot.conf.learners.size());
    n += kMaxVarint + bytes_bound(m.chunk.size());
    return n;
}

void write_ids(Writer& w, const std::vector<NodeId>& ids) {
    w.varint(ids.size());
    for (NodeId id : ids)
        w.varint(id);
}

void read_ids(Reader& r, const char* what, std::vector<NodeId>& ids) {
    const std::size_t n = r.count(what, 1);
    ids.clear();
    ids.reserve(n);
    for (std::size_t i = 0; i < n && r.ok(); ++i)
        ids.push_back(r.varint(what));
}

}  // namespace

void seal_frame(char* frame, std::size_t payload_bytes) {
    put_u32(frame + 4, static_cast<std::uint32_t>(payload_bytes));
    put_u64(frame + 8, frame_checksum(frame, frame + kHeaderBytes, payload_bytes));
}

const char* to_string(Channel c) {
    return c == Channel::kSnapshot ? "snapshot" : "main";
}

std::size_t append_message_frame(std::string& out, const Message& m) {
    // Zero-length payloads never occur for messages; a fixed field order keeps decoding simple.
    return append_frame(out, FrameType::kMessage, message_bound(m), [&m](Writer& w) {
        w.u8(static_cast<std::uint8_t>(m.type));
        w.u8(static_cast<std::uint8_t>((m.reject ? kFlagReject : 0) | (m.force ? kFlagForce : 0) |
                                       (m.done ? kFlagDone : 0)));
        w.varint(m.from);
        w.varint(m.to);
        w.varint(m.term);
        // A kSnapshot has no use for `index`: its slot carries the snapshot's size.
        w.varint(m.type == MessageType::kSnapshot ? m.snapshot_bytes : m.index);
        w.varint(m.log_term);
        w.varint(m.commit);
        w.varint(m.reject_hint);
        w.varint(m.hint_term);
        w.varint(m.read_seq);
        w.bytes(m.context);
        w.varint(m.entries.size());
        for (const Entry& e : m.entries) {
            w.varint(e.index);
            w.varint(e.term);
            w.u8(static_cast<std::uint8_t>(e.type));
            w.bytes(e.data);
        }
        w.varint(m.snapshot.index);
        w.varint(m.snapshot.term);
        write_ids(w, m.snapshot.conf.voters);
        write_ids(w, m.snapshot.conf.learners);
        w.varint(m.offset);
        w.bytes(m.chunk);
    });
}

std::size_t append_hello_frame(std::string& out, const Hello& h) {
    const std::size_t bound = 1 + bytes_bound(h.cluster.size()) + kMaxVarint +
                              bytes_bound(h.identity.size()) + bytes_bound(h.http_url.size());
    return append_frame(out, FrameType::kHello, bound, [&h](Writer& w) {
        w.u8(static_cast<std::uint8_t>(h.channel));
        w.bytes(h.cluster);
        w.varint(h.id);
        w.bytes(h.identity);
        w.bytes(h.http_url);
    });
}

std::size_t append_welcome_frame(std::string& out, const Welcome& wel) {
    const std::size_t bound =
        kMaxVarint + bytes_bound(wel.identity.size()) + bytes_bound(wel.http_url.size());
    return append_frame(out, FrameType::kWelcome, bound, [&wel](Writer& w) {
        w.varint(wel.id);
        w.bytes(wel.identity);
        w.bytes(wel.http_url);
    });
}

std::size_t append_refusal_frame(std::string& out, const Refusal& r) {
    return append_frame(out, FrameType::kRefusal, bytes_bound(r.reason.size()),
                        [&r](Writer& w) { w.bytes(r.reason); });
}

bool decode_message(std::string_view payload, Message& m, std::string& error) {
    Reader r(payload);
    const std::uint8_t type = r.u8("message type");
    if (r.ok() && type > static_cast<std::uint8_t>(MessageType::kReadIndexResp)) {
        error = "unknown message type " + std::to_string(type);
        return false;
    }
    m.type = static_cast<MessageType>(type);
    const std::uint8_t flags = r.u8("flags");
    if (r.ok() && (flags & ~kKnownFlags) != 0) {
        error = "unknown message flags " + std::to_string(flags);
        return false;
    }
    m.reject = (flags & kFlagReject) != 0;
    m.force = (flags & kFlagForce) != 0;
    m.done = (flags & kFlagDone) != 0;
    m.from = r.varint("from");
    m.to = r.varint("to");
    m.term = r.varint("term");
    m.index = r.varint("index");
    if (m.type == MessageType::kSnapshot) {
        m.snapshot_bytes = m.index;
        m.index = 0;
    } else {
        m.snapshot_bytes = 0;
    }
    m.log_term = r.varint("log_term");
    m.commit = r.varint("commit");
    m.reject_hint = r.varint("reject_hint");
    m.hint_term = r.varint("hint_term");
    m.read_seq = r.varint("read_seq");
    r.bytes("context", m.context);
    // An entry takes at least 4 bytes: index, term, type and an empty data length.
    const std::size_t n = r.count("entry count", 4);
    m.entries.clear();
    m.entries.reserve(n);
    for (std::size_t i = 0; i < n && r.ok(); ++i) {
        Entry& e = m.entries.emplace_back();
        e.index = r.varint("entry index");
        e.term = r.varint("entry term");
        const std::uint8_t et = r.u8("entry type");
        if (r.ok() && et > static_cast<std::uint8_t>(EntryType::kNoop)) {
            error = "unknown entry type " + std::to_string(et);
            return false;
        }
        e.type = static_cast<EntryType>(et);
        r.bytes("entry data", e.data);
    }
    m.snapshot.index = r.varint("snapshot index");
    m.snapshot.term = r.varint("snapshot term");
    read_ids(r, "snapshot voters", m.snapshot.conf.voters);
    read_ids(r, "snapshot learners", m.snapshot.conf.learners);
    m.offset = r.varint("offset");
    r.bytes("chunk", m.chunk);
    if (!r.finish()) {
        error = r.error();
        return false;
    }
    return true;
}

bool decode_hello(std::string_view payload, Hello& h, std::string& error) {
    Reader r(payload);
    const std::uint8_t channel = r.u8("channel");
    if (r.ok() && channel > static_cast<std::uint8_t>(Channel::kSnapshot)) {
        error = "unknown channel " + std::to_string(channel);
        return false;
    }
    h.channel = static_cast<Channel>(channel);
    r.bytes("cluster", h.cluster);
    h.id = r.varint("node id");
    r.bytes("identity", h.identity);
    r.bytes("http url", h.http_url);
    if (!r.finish()) {
        error = r.error();
        return false;
    }
    return true;
}

bool decode_welcome(std::string_view payload, Welcome& w, std::string& error) {
    Reader r(payload);
    w.id = r.varint("node id");
    r.bytes("identity", w.identity);
    r.bytes("http url", w.http_url);
    if (!r.finish()) {
        error = r.error();
        return false;
    }
    return true;
}

bool decode_refusal(std::string_view payload, Refusal& out, std::string& error) {
    Reader r(payload);
    r.bytes("reason", out.reason);
    if (!r.finish()) {
        error = r.error();
        return false;
    }
    return true;
}

// ---- FrameDecoder ----

FrameDecoder::FrameDecoder(std::size_t max_payload_bytes) : max_payload_(max_payload_bytes) {}

void FrameDecoder::reserve_tail(std::size_t tail) {
    if (begin_ == end_) begin_ = end_ = 0;
    if (cap_ - end_ >= tail) return;
    const std::size_t held = end_ - begin_;
    if (begin_ > 0 && cap_ - held >= tail) {
        std::memmove(buf_.get(), buf_.get() + begin_, held);
    } else {
        const std::size_t cap = std::max(held + tail, cap_ * 2);
        auto grown = std::make_unique_for_overwrite<char[]>(cap);
        if (held > 0) std::memcpy(grown.get(), buf_.get() + begin_, held);
        buf_ = std::move(grown);
        cap_ = cap;
    }
    begin_ = 0;
    end_ = held;
}

char* FrameDecoder::prepare(std::size_t at_least, std::size_t& available) {
    // A frame whose header was read needs its whole length: ask for it in one go.
    const std::size_t held = end_ - begin_;
    if (want_total_ > held) at_least = std::max(at_least, want_total_ - held);
    reserve_tail(at_least);
    available = cap_ - end_;
    return buf_.get() + end_;
}

void FrameDecoder::commit(std::size_t n) {
    end_ += std::min(n, cap_ - end_);
}

void FrameDecoder::feed(const char* data, std::size_t n) {
    std::size_t available = 0;
    char* p = prepare(n, available);
    if (n > 0) std::memcpy(p, data, n);
    commit(n);
}

FrameDecoder::Status FrameDecoder::fail(DecodeError code, std::string message) {
    error_code_ = code;
    error_ = std::move(message);
    return Status::kError;
}

FrameDecoder::Status FrameDecoder::next(Frame& out) {
    if (error_code_ != DecodeError::kNone) return Status::kError;
    const std::size_t held = end_ - begin_;
    const char* h = held > 0 ? buf_.get() + begin_ : nullptr;
    if (want_total_ == 0) {
        // The fixed header bytes are checked as soon as they arrive, so that a stream of
        // garbage fails at once instead of waiting for a full header.
        if ((held > 0 && static_cast<unsigned char>(h[0]) != kMagic0) ||
            (held > 1 && static_cast<unsigned char>(h[1]) != kMagic1)) {
            return fail(DecodeError::kBadMagic, "bad frame magic");
        }
        if (held > 2 && static_cast<std::uint8_t>(h[2]) != kWireVersion) {
            peer_version_ = static_cast<std::uint8_t>(h[2]);
            return fail(DecodeError::kBadVersion,
                        "unsupported wire version " + std::to_string(peer_version_) +
                            " (this node speaks " + std::to_string(kWireVersion) + ")");
        }
        if (held > 3) {
            const auto type = static_cast<std::uint8_t>(h[3]);
            if (type < static_cast<std::uint8_t>(FrameType::kHello) ||
                type > static_cast<std::uint8_t>(FrameType::kMessage)) {
                return fail(DecodeError::kBadType, "unknown frame type " + std::to_string(type));
            }
        }
        if (held < kHeaderBytes) {
            if (held == 0 && cap_ > kKeepBufferBytes) {
                buf_.reset();
                cap_ = begin_ = end_ = 0;
            }
            return Status::kNeedMore;
        }
        const std::size_t length = get_u32(h + 4);
        if (length > max_payload_) {
            return fail(DecodeError::kTooLarge, "frame of " + std::to_string(length) +
                                                    " bytes exceeds the limit of " +
                                                    std::to_string(max_payload_));
        }
        want_total_ = kHeaderBytes + length;
    }
    if (held < want_total_) return Status::kNeedMore;
    const char* payload = h + kHeaderBytes;
    const std::size_t length = want_total_ - kHeaderBytes;
    if (get_u64(h + 8) != frame_checksum(h, payload, length)) {
        return fail(DecodeError::kBadChecksum, "frame checksum mismatch");
    }
    out.type = static_cast<FrameType>(h[3]);
    out.payload = std::string_view(payload, length);
    begin_ += want_total_;
    want_total_ = 0;
    return Status::kFrame;
}

}  // namespace orcraft::raft::wire
