// The byte layout of segment files (docs/raft-storage.md, format version 1): a header naming the
// segment, then records. A record is one write() call: a 16-byte header (payload length, record
// type, checksum) and the payload padded to 8 bytes. The checksum (XXH3-64 seeded with the
// first 8 header bytes) covers the length, the type, the payload and the padding, so a torn or
// flipped byte anywhere in a record is detected and the record is dropped or refused as a unit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "raft/core/types.hpp"

namespace orcraft::raft::storage {

// Version 1 of every file the store writes (segments, metadata, snapshots).
inline constexpr std::uint32_t kFormatVersion = 1;

inline constexpr std::string_view kSegmentMagic{"ORCRLOG\0", 8};
inline constexpr std::size_t kSegmentHeaderSize = 32;
inline constexpr std::size_t kRecordHeaderSize = 16;
inline constexpr std::size_t kRecordAlignment = 8;
// Payload bytes before the entries of a batch: first index, count, flags, hard state.
inline constexpr std::size_t kBatchHeaderSize = 40;
// Bytes before each entry's data: term, type, padding, data length.
inline constexpr std::size_t kEntryHeaderSize = 16;
// Largest payload one record may carry (the length field is 32 bits; keep clear of the top).
inline constexpr std::size_t kMaxRecordPayload = std::size_t{1} << 31;

enum class RecordType : std::uint8_t { kBatch = 1 };

std::string encode_segment_header(std::uint64_t sequence);

struct SegmentHeader {
    std::uint32_t version = 0;
    std::uint64_t sequence = 0;
};
// The header at the start of `file`, or nullopt if it is short, has the wrong magic or fails
// its checksum. The version is returned as found (the caller refuses unknown versions).
std::optional<SegmentHeader> decode_segment_header(std::string_view file);

// A complete batch record (header, payload, padding): the log entries of one write() call and
// the hard state in force after it. `entries` may be empty (a hard-state-only batch).
std::string encode_batch_record(const std::vector<Entry>& entries, const HardState& hard_state);

struct RecordView {
    RecordType type = RecordType::kBatch;
    std::string_view payload;  // without padding
    std::size_t size = 0;      // header, payload and padding
};
// The record starting at `at` in `file` if it is complete, of a known type and its checksum
// matches; nullopt otherwise.
std::optional<RecordView> read_record(std::string_view file, std::size_t at);

struct EntryView {
    Index index = 0;
    Term term = 0;
    EntryType type = EntryType::kNormal;
    std::string_view data;
};

struct BatchView {
    Index first_index = 0;  // meaningful only when entries is not empty
    HardState hard_state;
    std::vector<EntryView> entries;
};
// Decodes a batch payload whose checksum has matched. nullopt if its structure is inconsistent
// (which, past a good checksum, means a bug or a deliberately forged file).
std::optional<BatchView> decode_batch(std::string_view payload);

// The first index and entry count a damaged batch claims, read without trusting its checksum,
// for the warning that reports a dropped torn tail. nullopt if even that much is missing.
struct BatchClaim {
    Index first_index = 0;
    std::uint32_t count = 0;
};
std::optional<BatchClaim> peek_batch_claim(std::string_view file, std::size_t at);

inline std::size_t padded(std::size_t n) {
    return (n + kRecordAlignment - 1) / kRecordAlignment * kRecordAlignment;
}

}  // namespace orcraft::raft::storage
