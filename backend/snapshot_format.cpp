#include "backend/snapshot_format.hpp"

#include <xxhash.h>
#include <zstd.h>

#include "backend/command_bytes.hpp"

namespace orcraft::backend {

using wire::ByteReader;
using wire::ByteWriter;
using wire::EncodingError;

namespace {

constexpr std::uint8_t kTableRecord = 1;
constexpr std::uint8_t kRowsRecord = 2;
constexpr std::uint8_t kEndRecord = 3;

constexpr std::size_t kHeaderSize = 16;  // magic, version, flags
constexpr std::size_t kTrailerSize = 8;  // XXH3-64
// Records are compressed once this many bytes are pending.
constexpr std::size_t kCompressChunk = 256 * 1024;

constexpr std::uint8_t kColumnNullable = 1;
constexpr std::uint8_t kColumnAutoIncrement = 2;
constexpr std::uint8_t kColumnHasDefault = 4;

std::string encode_table(const SnapshotTable& t) {
    std::string out;
    ByteWriter w(out);
    w.bytes(t.name);
    w.varint(t.columns.size());
    for (const auto& c : t.columns) {
        w.bytes(c.name);
        w.bytes(c.type);
        w.u8(static_cast<std::uint8_t>((c.nullable ? kColumnNullable : 0) |
                                       (c.auto_increment ? kColumnAutoIncrement : 0) |
                                       (c.default_sql ? kColumnHasDefault : 0)));
        if (c.default_sql) {
            w.bytes(*c.default_sql);
        }
    }
    w.varint(t.primary_key.size());
    for (const auto& k : t.primary_key) {
        w.bytes(k);
    }
    w.varint(t.indexes.size());
    for (const auto& ix : t.indexes) {
        w.bytes(ix.name);
        w.u8(ix.unique ? 1 : 0);
        w.varint(ix.columns.size());
        for (const auto& c : ix.columns) {
            w.bytes(c);
        }
    }
    w.svarint(t.next_auto_increment);
    return out;
}

SnapshotTable decode_table(std::string_view payload) {
    ByteReader r(payload);
    SnapshotTable t;
    t.name = r.bytes();
    const std::size_t ncols = r.count(3);
    for (std::size_t i = 0; i < ncols; ++i) {
        SnapshotColumn c;
        c.name = r.bytes();
        c.type = r.bytes();
        const std::uint8_t flags = r.u8();
        if ((flags & ~(kColumnNullable | kColumnAutoIncrement | kColumnHasDefault)) != 0) {
            throw EncodingError("unknown column flags " + std::to_string(flags));
        }
        c.nullable = (flags & kColumnNullable) != 0;
        c.auto_increment = (flags & kColumnAutoIncrement) != 0;
        if ((flags & kColumnHasDefault) != 0) {
            c.default_sql = r.bytes();
        }
        t.columns.push_back(std::move(c));
    }
    const std::size_t npk = r.count(1);
    for (std::size_t i = 0; i < npk; ++i) {
        t.primary_key.push_back(r.bytes());
    }
    const std::size_t nidx = r.count(3);
    for (std::size_t i = 0; i < nidx; ++i) {
        SnapshotIndex ix;
        ix.name = r.bytes();
        ix.unique = r.u8() != 0;
        const std::size_t n = r.count(1);
        for (std::size_t k = 0; k < n; ++k) {
            ix.columns.push_back(r.bytes());
        }
        t.indexes.push_back(std::move(ix));
    }
    t.next_auto_increment = r.svarint();
    r.expect_end("table record");
    if (t.name.empty() || t.columns.empty()) {
        throw EncodingError("table record without a name or columns");
    }
    return t;
}

std::string encode_trailer(const SnapshotTrailer& t) {
    std::string out;
    ByteWriter w(out);
    w.varint(t.applied_index);
    w.u8(t.checksum.known ? 1 : 0);
    w.u64(t.checksum.index);
    w.u64(t.checksum.value);
    w.i64(t.last_stamp.unix_micros);
    w.u64(t.last_stamp.seed);
    w.bytes(t.source);
    w.varint(t.tables);
    w.varint(t.rows);
    return out;
}

SnapshotTrailer decode_trailer(std::string_view payload) {
    ByteReader r(payload);
    SnapshotTrailer t;
    t.applied_index = r.varint();
    t.checksum.known = r.u8() != 0;
    t.checksum.index = r.u64();
    t.checksum.value = r.u64();
    t.last_stamp.unix_micros = r.i64();
    t.last_stamp.seed = r.u64();
    t.source = r.bytes();
    t.tables = r.varint();
    t.rows = r.varint();
    r.expect_end("end record");
    return t;
}

void decode_rows(std::string_view payload, std::size_t columns, std::vector<Row>& rows) {
    ByteReader r(payload);
    const std::size_t n = r.count(columns);
    rows.reserve(rows.size() + n);
    for (std::size_t i = 0; i < n; ++i) {
        Row row;
        row.reserve(columns);
        for (std::size_t c = 0; c < columns; ++c) {
            row.push_back(r.value());
        }
        rows.push_back(std::move(row));
    }
    r.expect_end("rows record");
}

// Checks the frame around the compressed records; returns the compressed part.
std::string_view check_envelope(std::string_view data) {
    if (data.size() < kSnapshotMagic.size() ||
        data.substr(0, kSnapshotMagic.size()) != kSnapshotMagic) {
        throw SnapshotError("not an orcraft snapshot (bad magic)");
    }
    if (data.size() < kHeaderSize) {
        throw SnapshotError("snapshot truncated: " + std::to_string(data.size()) +
                            " bytes, shorter than its header");
    }
    ByteReader h(data.substr(kSnapshotMagic.size(), 8));
    const std::uint32_t version = h.u32();
    const std::uint32_t flags = h.u32();
    if (version != kSnapshotFormatVersion) {
        throw SnapshotError("snapshot format version " + std::to_string(version) +
                            " is not supported: this node reads version " +
                            std::to_string(kSnapshotFormatVersion) +
                            " (upgrade the node to install this snapshot)");
    }
    if (flags != 0) {
        throw SnapshotError("snapshot has unknown flags " + std::to_string(flags));
    }
    if (data.size() < kHeaderSize + kTrailerSize) {
        throw SnapshotError("snapshot truncated: " + std::to_string(data.size()) + " bytes");
    }
    const std::size_t body_end = data.size() - kTrailerSize;
    const std::uint64_t stored = ByteReader(data.substr(body_end)).u64();
    const std::uint64_t actual = XXH3_64bits(data.data(), body_end);
    if (stored != actual) {
        throw SnapshotError("snapshot checksum mismatch (the snapshot is corrupt or truncated)");
    }
    return data.substr(kHeaderSize, body_end - kHeaderSize);
}

}  // namespace

// ---- encoder ----

struct SnapshotEncoder::Stream {
    ZSTD_CCtx* cctx = nullptr;
    ~Stream() { ZSTD_freeCCtx(cctx); }
};

SnapshotEncoder::SnapshotEncoder(int level, std::string prefix, std::size_t expected_bytes)
    : stream_(std::make_unique<Stream>()), prefix_size_(prefix.size()), out_(std::move(prefix)) {
    out_.reserve(prefix_size_ + expected_bytes);
    stream_->cctx = ZSTD_createCCtx();
    if (stream_->cctx == nullptr) {
        throw std::bad_alloc();
    }
    ZSTD_CCtx_setParameter(stream_->cctx, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(stream_->cctx, ZSTD_c_checksumFlag, 1);
    out_.append(kSnapshotMagic);
    ByteWriter w(out_);
    w.u32(kSnapshotFormatVersion);
    w.u32(0);
}

SnapshotEncoder::~SnapshotEncoder() = default;

void SnapshotEncoder::record(std::uint8_t type, const std::string& payload) {
    ByteWriter w(pending_);
    w.u8(type);
    w.varint(payload.size());
    w.raw(payload);
    if (pending_.size() >= kCompressChunk) {
        compress(false);
    }
}

void SnapshotEncoder::compress(bool end) {
    ZSTD_inBuffer in{pending_.data(), pending_.size(), 0};
    const ZSTD_EndDirective mode = end ? ZSTD_e_end : ZSTD_e_continue;
    std::string chunk(ZSTD_CStreamOutSize(), '\0');
    for (;;) {
        ZSTD_outBuffer out{chunk.data(), chunk.size(), 0};
        const std::size_t left = ZSTD_compressStream2(stream_->cctx, &out, &in, mode);
        if (ZSTD_isError(left)) {
            throw SnapshotError(std::string("zstd compression failed: ") + ZSTD_getErrorName(left));
        }
        out_.append(chunk.data(), out.pos);
        if (end ? left == 0 : in.pos == in.size) {
            break;
        }
    }
    pending_.clear();
}

void SnapshotEncoder::table(const SnapshotTable& table) {
    if (table.name.empty() || table.columns.empty()) {
        throw SnapshotError("snapshot table without a name or columns");
    }
    record(kTableRecord, encode_table(table));
    columns_ = table.columns.size();
    in_table_ = true;
    ++tables_;
}

void SnapshotEncoder::rows(const std::vector<Row>& rows) {
    if (!in_table_) {
        throw SnapshotError("snapshot rows written before any table");
    }
    if (rows.empty()) {
        return;
    }
    std::string payload;
    ByteWriter w(payload);
    w.varint(rows.size());
    for (const auto& row : rows) {
        if (row.size() != columns_) {
            throw SnapshotError("snapshot row has " + std::to_string(row.size()) + " values for " +
                                std::to_string(columns_) + " columns");
        }
        for (const auto& v : row) {
            w.value(v);
        }
    }
    record(kRowsRecord, payload);
    rows_ += rows.size();
}

std::string SnapshotEncoder::finish(SnapshotTrailer trailer) {
    trailer.tables = tables_;
    trailer.rows = rows_;
    record(kEndRecord, encode_trailer(trailer));
    compress(true);
    const std::uint64_t hash = XXH3_64bits(out_.data() + prefix_size_, out_.size() - prefix_size_);
    ByteWriter w(out_);
    w.u64(hash);
    return std::move(out_);
}

// ---- decoder ----

struct SnapshotDecoder::Stream {
    ZSTD_DCtx* dctx = nullptr;
    ~Stream() { ZSTD_freeDCtx(dctx); }
};

SnapshotDecoder::SnapshotDecoder(std::string_view data) : stream_(std::make_unique<Stream>()) {
    compressed_ = check_envelope(data);
    stream_->dctx = ZSTD_createDCtx();
    if (stream_->dctx == nullptr) {
        throw std::bad_alloc();
    }
}

SnapshotDecoder::~SnapshotDecoder() = default;

bool SnapshotDecoder::fill() {
    if (frame_done_) {
        return false;
    }
    if (buf_pos_ > 0 && buf_pos_ >= buf_.size() / 2) {
        buf_.erase(0, buf_pos_);
        buf_pos_ = 0;
    }
    std::string chunk(ZSTD_DStreamOutSize(), '\0');
    ZSTD_inBuffer in{compressed_.data(), compressed_.size(), in_pos_};
    ZSTD_outBuffer out{chunk.data(), chunk.size(), 0};
    const std::size_t rc = ZSTD_decompressStream(stream_->dctx, &out, &in);
    if (ZSTD_isError(rc)) {
        throw SnapshotError(std::string("snapshot does not decompress: ") + ZSTD_getErrorName(rc));
    }
    const bool progressed = in.pos != in_pos_ || out.pos != 0;
    in_pos_ = in.pos;
    buf_.append(chunk.data(), out.pos);
    if (rc == 0) {
        frame_done_ = true;
        if (in_pos_ != compressed_.size()) {
            throw SnapshotError("snapshot has bytes after its compressed records");
        }
    } else if (!progressed && in_pos_ == compressed_.size()) {
        throw SnapshotError("snapshot's compressed records are truncated");
    }
    return true;
}

void SnapshotDecoder::ensure(std::size_t n) {
    while (buf_.size() - buf_pos_ < n) {
        if (!fill()) {
            throw SnapshotError("snapshot records end in the middle of a record");
        }
    }
}

bool SnapshotDecoder::next_record(std::uint8_t& type, std::string& payload) {
    while (buf_pos_ == buf_.size()) {
        if (!fill()) {
            return false;
        }
    }
    type = static_cast<std::uint8_t>(buf_[buf_pos_]);
    // The length varint: at most 10 bytes, possibly fewer left in the stream.
    std::uint64_t length = 0;
    std::size_t used = 0;
    for (int shift = 0;; shift += 7) {
        if (shift > 63) {
            throw SnapshotError("snapshot record length is malformed");
        }
        ensure(2 + used);
        const auto b = static_cast<std::uint8_t>(buf_[buf_pos_ + 1 + used]);
        ++used;
        length |= static_cast<std::uint64_t>(b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
            break;
        }
    }
    if (length > (std::uint64_t{1} << 40)) {
        throw SnapshotError("snapshot record of " + std::to_string(length) + " bytes");
    }
    const std::size_t total = 1 + used + static_cast<std::size_t>(length);
    ensure(total);
    payload.assign(buf_, buf_pos_ + 1 + used, static_cast<std::size_t>(length));
    buf_pos_ += total;
    return true;
}

std::optional<SnapshotTable> SnapshotDecoder::next_table() {
    if (ended_) {
        return std::nullopt;
    }
    std::uint8_t type = 0;
    std::string payload;
    for (;;) {
        if (has_lookahead_) {
            type = lookahead_type_;
            payload = std::move(lookahead_);
            has_lookahead_ = false;
        } else if (!next_record(type, payload)) {
            throw SnapshotError("snapshot ends without its end record");
        }
        if (type == kRowsRecord) {
            if (!in_table_) {
                throw SnapshotError("snapshot rows before any table");
            }
            continue;  // rows of the previous table the caller did not read
        }
        break;
    }
    try {
        if (type == kTableRecord) {
            SnapshotTable t = decode_table(payload);
            columns_ = t.columns.size();
            in_table_ = true;
            return t;
        }
        if (type == kEndRecord) {
            trailer_ = decode_trailer(payload);
            ended_ = true;
            in_table_ = false;
            std::string extra;
            std::uint8_t extra_type = 0;
            if (next_record(extra_type, extra)) {
                throw SnapshotError("snapshot has records after its end record");
            }
            return std::nullopt;
        }
    } catch (const EncodingError& e) {
        throw SnapshotError(std::string("snapshot record is malformed: ") + e.what());
    }
    throw SnapshotError("snapshot has a record of unknown type " + std::to_string(type));
}

bool SnapshotDecoder::next_rows(std::vector<Row>& rows) {
    rows.clear();
    if (!in_table_ || has_lookahead_) {
        return false;
    }
    std::uint8_t type = 0;
    std::string payload;
    if (!next_record(type, payload)) {
        throw SnapshotError("snapshot ends without its end record");
    }
    if (type != kRowsRecord) {
        has_lookahead_ = true;
        lookahead_type_ = type;
        lookahead_ = std::move(payload);
        return false;
    }
    try {
        decode_rows(payload, columns_, rows);
    } catch (const EncodingError& e) {
        throw SnapshotError(std::string("snapshot rows are malformed: ") + e.what());
    }
    return true;
}

SnapshotTrailer verify_snapshot(std::string_view data) {
    SnapshotDecoder d(data);
    std::uint64_t tables = 0;
    std::uint64_t rows = 0;
    std::vector<Row> batch;
    while (auto t = d.next_table()) {
        ++tables;
        if (t->primary_key.empty() && t->next_auto_increment != 0) {
            throw SnapshotError("table " + t->name + " has an AUTO_INCREMENT counter but no key");
        }
        while (d.next_rows(batch)) {
            rows += batch.size();
        }
    }
    const SnapshotTrailer& tr = d.trailer();
    if (tr.tables != tables || tr.rows != rows) {
        throw SnapshotError("snapshot end record counts " + std::to_string(tr.tables) +
                            " tables and " + std::to_string(tr.rows) + " rows, but it holds " +
                            std::to_string(tables) + " and " + std::to_string(rows));
    }
    return tr;
}

}  // namespace orcraft::backend
