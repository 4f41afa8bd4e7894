#pragma once
// The portable snapshot byte format (docs/snapshots.md has the full layout):
//
//     "ORCRSNAP" | u32 format version | u32 flags (0) | zstd frame | u64 XXH3-64 of all before it
//
// The zstd frame holds a sequence of records, each `u8 type | varint length | payload`: one
// table record per table followed by its row records, then one end record (SnapshotTrailer)
// and nothing after it.
//
// SnapshotEncoder is the SnapshotWriter a driver's dump() writes to; records are compressed as
// they come, so the uncompressed snapshot never exists in memory as a whole. verify_snapshot()
// checks a complete snapshot (version, checksum, every record) without side effects;
// SnapshotDecoder then feeds a driver's restore(), decompressing as it goes.

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "backend/driver.hpp"
#include "backend/result_checksum.hpp"
#include "backend/snapshot_schema.hpp"

namespace orcraft::backend {

inline constexpr std::string_view kSnapshotMagic = "ORCRSNAP";
inline constexpr std::uint32_t kSnapshotFormatVersion = 1;

// A snapshot that cannot be used: unknown version, checksum mismatch (corrupt or truncated),
// malformed records. The message says which.
class SnapshotError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// What the end record says about the snapshot.
struct SnapshotTrailer {
    std::uint64_t applied_index = 0;  // the state's applied index
    ChecksumState checksum;           // the result checksum chain at applied_index
    Stamp last_stamp;                 // the last applied command's stamp
    std::string source;               // the backend that wrote it: "sqlite" or "mysql"
    std::uint64_t tables = 0;
    std::uint64_t rows = 0;
};

class SnapshotEncoder final : public SnapshotWriter {
  public:
    // `level`: zstd compression level. The output begins with `prefix`, which is not part of
    // the snapshot (the checksum starts after it): a caller that frames the snapshot puts its
    // frame there rather than copying the finished snapshot into one. `expected_bytes` (for
    // instance the previous snapshot's size) is reserved up front, so that the output does not
    // grow by copies; pages reserved and never written cost no memory.
    static constexpr int kDefaultLevel = 3;
    explicit SnapshotEncoder(int level = kDefaultLevel, std::string prefix = {},
                             std::size_t expected_bytes = 0);
    ~SnapshotEncoder() override;

    void table(const SnapshotTable& table) override;
    void rows(const std::vector<Row>& rows) override;

    // Writes the end record (tables and rows are counted here and override the trailer's) and
    // returns the complete snapshot, after the prefix. The encoder cannot be used afterwards.
    std::string finish(SnapshotTrailer trailer);

    std::uint64_t table_count() const { return tables_; }
    std::uint64_t row_count() const { return rows_; }
    // Bytes of snapshot produced so far (compressed, plus what waits to be compressed).
    std::uint64_t bytes_so_far() const { return out_.size() - prefix_size_ + pending_.size(); }

  private:
    void record(std::uint8_t type, const std::string& payload);
    void compress(bool end);

    struct Stream;
    std::unique_ptr<Stream> stream_;
    std::size_t prefix_size_ = 0;
    std::string out_;      // prefix, header and compressed bytes so far
    std::string pending_;  // records not yet compressed
    std::size_t columns_ = 0;
    bool in_table_ = false;
    std::uint64_t tables_ = 0;
    std::uint64_t rows_ = 0;
};

// Checks a complete snapshot: magic, format version (SnapshotError naming both versions when
// it is not kSnapshotFormatVersion), checksum, and every record down to each value. Returns
// its trailer. Throws SnapshotError.
SnapshotTrailer verify_snapshot(std::string_view data);

// Reads a snapshot that verify_snapshot() accepted. `data` must outlive the decoder. Throws
// SnapshotError (only for snapshots that were not verified).
class SnapshotDecoder final : public SnapshotReader {
  public:
    explicit SnapshotDecoder(std::string_view data);
    ~SnapshotDecoder() override;

    std::optional<SnapshotTable> next_table() override;
    bool next_rows(std::vector<Row>& rows) override;
    // Valid once next_table() returned nullopt.
    const SnapshotTrailer& trailer() const { return trailer_; }

  private:
    // Reads the next record's type and payload; false at the end of the decompressed stream.
    bool next_record(std::uint8_t& type, std::string& payload);
    // Decompresses one more step; false once the frame is complete.
    bool fill();
    void ensure(std::size_t n);

    struct Stream;
    std::unique_ptr<Stream> stream_;
    std::string_view compressed_;
    std::size_t in_pos_ = 0;
    std::string buf_;
    std::size_t buf_pos_ = 0;
    bool frame_done_ = false;

    std::size_t columns_ = 0;
    bool in_table_ = false;
    bool ended_ = false;
    // A record read ahead by next_rows() that belongs to what follows the current table.
    bool has_lookahead_ = false;
    std::uint8_t lookahead_type_ = 0;
    std::string lookahead_;
    SnapshotTrailer trailer_;
};

}  // namespace orcraft::backend
