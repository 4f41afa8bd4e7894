#include "raft/node/address_book.hpp"

#include <charconv>
#include <cstring>

namespace orcraft::raft {

namespace {

constexpr std::string_view kMemberPrefix{
    "\xff"
    "orcraft-member\x01",
    16};
constexpr std::string_view kSnapshotMagic{"orcsnap1", 8};

void put_u16(std::string& out, std::uint16_t v) {
    out.push_back(static_cast<char>(v & 0xff));
    out.push_back(static_cast<char>(v >> 8));
}

void put_u32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i)
        out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void put_u64(std::string& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i)
        out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void put_str(std::string& out, const std::string& s) {
    put_u16(out, static_cast<std::uint16_t>(std::min<std::size_t>(s.size(), 0xffff)));
    out.append(s, 0, std::min<std::size_t>(s.size(), 0xffff));
}

// A cursor over bytes that fails (and stays failed) on a short read.
struct Reader {
    std::string_view in;
    bool ok = true;

    std::uint64_t uint(int bytes) {
        if (!ok || in.size() < static_cast<std::size_t>(bytes)) {
            ok = false;
            return 0;
        }
        std::uint64_t v = 0;
        for (int i = 0; i < bytes; ++i)
            v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[i])) << (8 * i);
        in.remove_prefix(static_cast<std::size_t>(bytes));
        return v;
    }
    std::string str() {
        auto n = static_cast<std::size_t>(uint(2));
        if (!ok || in.size() < n) {
            ok = false;
            return {};
        }
        std::string s(in.substr(0, n));
        in.remove_prefix(n);
        return s;
    }
};

void encode_peer(std::string& out, const PeerAddress& p) {
    put_u64(out, p.id);
    put_str(out, p.identity);
    put_str(out, p.host);
    put_u16(out, p.port);
}

std::optional<PeerAddress> decode_peer(Reader& r) {
    PeerAddress p;
    p.id = r.uint(8);
    p.identity = r.str();
    p.host = r.str();
    p.port = static_cast<std::uint16_t>(r.uint(2));
    if (!r.ok || p.id == kNoNode) return std::nullopt;
    return p;
}

}  // namespace

bool AddressBook::add(const PeerAddress& p) {
    if (p.id == kNoNode) return false;
    std::lock_guard lock(mu_);
    auto it = peers_.find(p.id);
    if (it != peers_.end() && it->second.identity == p.identity && it->second.host == p.host &&
        it->second.port == p.port) {
        return false;
    }
    peers_[p.id] = p;
    return true;
}

bool AddressBook::add_if_unknown(const PeerAddress& p) {
    if (p.id == kNoNode) return false;
    std::lock_guard lock(mu_);
    return peers_.emplace(p.id, p).second;
}

bool AddressBook::add_record(const PeerAddress& p) {
    if (p.id == kNoNode) return false;
    {
        std::lock_guard lock(mu_);
        auto it = peers_.find(p.id);
        if (it != peers_.end() && it->second.identity == p.identity) return false;
    }
    return add(p);
}

std::optional<PeerAddress> AddressBook::find(NodeId id) const {
    std::lock_guard lock(mu_);
    auto it = peers_.find(id);
    if (it == peers_.end()) return std::nullopt;
    return it->second;
}

std::vector<PeerAddress> AddressBook::lookup(const std::vector<NodeId>& ids) const {
    std::lock_guard lock(mu_);
    std::vector<PeerAddress> out;
    out.reserve(ids.size());
    for (NodeId id : ids) {
        auto it = peers_.find(id);
        if (it != peers_.end()) {
            out.push_back(it->second);
        } else {
            PeerAddress p;
            p.id = id;
            out.push_back(std::move(p));
        }
    }
    return out;
}

std::vector<PeerAddress> AddressBook::all() const {
    std::lock_guard lock(mu_);
    std::vector<PeerAddress> out;
    for (const auto& [id, p] : peers_)
        out.push_back(p);
    return out;
}

std::string AddressBook::encode() const {
    std::lock_guard lock(mu_);
    std::string out;
    put_u32(out, static_cast<std::uint32_t>(peers_.size()));
    for (const auto& [id, p] : peers_)
        encode_peer(out, p);
    return out;
}

bool AddressBook::merge_encoded(std::string_view bytes) {
    Reader r{bytes};
    auto n = r.uint(4);
    std::vector<PeerAddress> got;
    for (std::uint64_t i = 0; r.ok && i < n; ++i) {
        auto p = decode_peer(r);
        if (!p) return false;
        got.push_back(std::move(*p));
    }
    if (!r.ok || !r.in.empty()) return false;
    bool changed = false;
    for (const auto& p : got)
        changed |= add_record(p);
    return changed;
}

std::optional<PeerAddress> address_from_identity(NodeId id, const std::string& identity) {
    auto colon = identity.rfind(':');
    if (colon == std::string::npos || colon + 1 >= identity.size()) return std::nullopt;
    unsigned port = 0;
    const char* first = identity.data() + colon + 1;
    const char* last = identity.data() + identity.size();
    auto [ptr, ec] = std::from_chars(first, last, port);
    if (ec != std::errc{} || ptr != last || port == 0 || port > 65535) return std::nullopt;
    std::string host = identity.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    if (host.empty()) return std::nullopt;
    PeerAddress p;
    p.id = id;
    p.identity = identity;
    p.host = std::move(host);
    p.port = static_cast<std::uint16_t>(port);
    return p;
}

bool is_member_record(std::string_view data) {
    return data.size() >= kMemberPrefix.size() &&
           data.substr(0, kMemberPrefix.size()) == kMemberPrefix;
}

std::string encode_member_record(const PeerAddress& p) {
    std::string out(kMemberPrefix);
    encode_peer(out, p);
    return out;
}

std::optional<PeerAddress> decode_member_record(std::string_view data) {
    if (!is_member_record(data)) return std::nullopt;
    Reader r{data.substr(kMemberPrefix.size())};
    auto p = decode_peer(r);
    if (!p || !r.in.empty()) return std::nullopt;
    return p;
}

std::string snapshot_frame_prefix(const std::string& book) {
    std::string out;
    out.reserve(kSnapshotMagic.size() + 4 + book.size());
    out.append(kSnapshotMagic);
    put_u32(out, static_cast<std::uint32_t>(book.size()));
    out.append(book);
    return out;
}

std::string frame_snapshot(const std::string& book, const std::string& state) {
    std::string out = snapshot_frame_prefix(book);
    out.append(state);
    return out;
}

std::optional<SnapshotParts> unframe_snapshot(std::string_view data) {
    if (data.empty()) return SnapshotParts{};
    if (data.size() < kSnapshotMagic.size() + 4 || data.substr(0, 8) != kSnapshotMagic) {
        return std::nullopt;
    }
    Reader r{data.substr(kSnapshotMagic.size())};
    auto n = static_cast<std::size_t>(r.uint(4));
    if (!r.ok || r.in.size() < n) return std::nullopt;
    return SnapshotParts{r.in.substr(0, n), r.in.substr(n)};
}

}  // namespace orcraft::raft
