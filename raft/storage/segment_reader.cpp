#include "raft/storage/segment_reader.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <string>

#include <spdlog/spdlog.h>

#include "raft/storage/disk_format.hpp"
#include "raft/storage/log_store.hpp"
#include "raft/storage/posix_file.hpp"

namespace orcraft::raft::storage {

void note_batch(std::vector<Checkpoint>& checkpoints, std::uint64_t offset, Index first_index,
                bool truncates) {
    if (checkpoints.empty() || truncates ||
        offset >= checkpoints.back().offset + kCheckpointSpacing) {
        checkpoints.push_back({offset, first_index, truncates});
    }
}

namespace {

// Reads the records of one segment in order through a buffer, up to a limit.
class RecordCursor {
  public:
    RecordCursor(const File& file, std::uint64_t from, std::uint64_t end)
        : file_(file), at_(from), end_(end) {}

    // The next record, or nullopt at the end; damaged() tells whether it stopped early.
    std::optional<RecordView> next() {
        if (at_ >= end_) return std::nullopt;
        std::optional<RecordView> record;
        if (fill(kRecordHeaderSize)) {
            const std::uint64_t length = padded(peek_length()) + kRecordHeaderSize;
            if (fill(length)) record = read_record(buffered(), at_ - buffer_at_);
        }
        if (!record) {
            damaged_ = true;
            return std::nullopt;
        }
        offset_ = at_;
        at_ += record->size;
        return record;
    }
    bool damaged() const { return damaged_; }
    std::uint64_t offset() const { return offset_; }  // of the record next() returned last

  private:
    std::string_view buffered() const { return buffer_; }
    std::uint32_t peek_length() const {
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i)
            v |= std::uint32_t(static_cast<unsigned char>(buffer_[at_ - buffer_at_ + i]))
                 << (8 * i);
        return v;
    }
    // Makes [at_, at_ + need) available in the buffer; false if the segment ends before.
    bool fill(std::uint64_t need) {
        if (at_ + need > end_) return false;
        if (at_ >= buffer_at_ && at_ + need <= buffer_at_ + buffer_.size()) return true;
        const std::uint64_t want = std::min(std::max(need, kReadAhead), end_ - at_);
        buffer_.resize(want);
        std::uint64_t done = 0;
        while (done < want) {
            const ssize_t n = ::pread(file_.fd(), buffer_.data() + done, want - done,
                                      static_cast<off_t>(at_ + done));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            done += static_cast<std::uint64_t>(n);
        }
        buffer_.resize(done);
        buffer_at_ = at_;
        return done >= need;
    }

    static constexpr std::uint64_t kReadAhead = 256 * 1024;
    const File& file_;
    std::uint64_t at_;
    std::uint64_t end_;
    std::uint64_t offset_ = 0;
    std::string buffer_;
    std::uint64_t buffer_at_ = 0;
    bool damaged_ = false;
};

struct Position {
    std::size_t segment = 0;
    std::uint64_t offset = 0;
    auto operator<=>(const Position&) const = default;
};

// Collects entries lo.. as batches replay in file order.
class Collector {
  public:
    Collector(Index lo, Index hi, std::size_t max_bytes)
        : lo_(lo), hi_(hi), max_bytes_(max_bytes) {}

    // Returns false when the batch does not continue what was collected (entries missing).
    bool add(const BatchView& batch) {
        const Index first = batch.first_index;
        if (!out_.empty() && first <= out_.back().index) {
            // A truncating batch: what it replaces is not the log any more.
            while (!out_.empty() && out_.back().index >= first) {
                bytes_ -= entry_size(out_.back());
                out_.pop_back();
            }
            full_ = false;
        }
        if (full_) return true;
        for (const EntryView& e : batch.entries) {
            const Index want = lo_ + out_.size();
            if (e.index < want) continue;
            if (e.index > want) return false;  // a gap: not a log that holds lo
            if (e.index > hi_) {
                full_ = true;
                break;
            }
            Entry entry{e.index, e.term, e.type, std::string(e.data)};
            if (!out_.empty() && bytes_ + entry_size(entry) > max_bytes_) {
                full_ = true;
                break;
            }
            bytes_ += entry_size(entry);
            out_.push_back(std::move(entry));
        }
        if (!out_.empty() && out_.back().index == hi_) full_ = true;
        return true;
    }
    bool full() const { return full_; }
    Index last() const { return out_.empty() ? 0 : out_.back().index; }
    std::vector<Entry> take() { return std::move(out_); }

  private:
    Index lo_, hi_;
    std::size_t max_bytes_;
    std::size_t bytes_ = 0;
    bool full_ = false;
    std::vector<Entry> out_;
};

}  // namespace

std::vector<Entry> read_entries_back(const std::vector<SegmentExtent>& segments, Index lo, Index hi,
                                     std::size_t max_bytes) {
    if (lo > hi) return {};
    // Where to start: the last checkpoint (file order) whose first index is at most lo.
    std::optional<Position> start;
    std::vector<std::pair<Position, Index>> truncations;  // after the start, in file order
    for (std::size_t s = 0; s < segments.size(); ++s) {
        for (const Checkpoint& cp : segments[s].checkpoints) {
            if (cp.first_index <= lo) {
                start = Position{s, cp.offset};
                truncations.clear();
            } else if (cp.truncates && start) {
                truncations.push_back({Position{s, cp.offset}, cp.first_index});
            }
        }
    }
    if (!start) return {};

    Collector collector(lo, hi, max_bytes);
    // True once no truncating batch after `here` could replace collected entries.
    auto settled = [&](const Position& here) {
        if (!collector.full()) return false;
        for (const auto& [where, first] : truncations) {
            if (where > here && first <= collector.last()) return false;
        }
        return true;
    };
    for (std::size_t s = start->segment; s < segments.size(); ++s) {
        const SegmentExtent& seg = segments[s];
        std::optional<File> file;
        try {
            file.emplace(seg.path, O_RDONLY);
        } catch (const StorageError& e) {
            spdlog::warn("raft storage: reading entries back from index {}: {}", lo, e.what());
            return {};
        }
        const std::uint64_t from = s == start->segment ? start->offset : kSegmentHeaderSize;
        RecordCursor cursor(*file, from, seg.size);
        while (auto record = cursor.next()) {
            auto batch = decode_batch(record->payload);
            if (!batch) {
                spdlog::warn("raft storage: {}: undecodable batch at offset {}", seg.path,
                             cursor.offset());
                return {};
            }
            if (batch->entries.empty()) continue;
            if (!collector.add(*batch)) return {};
            if (settled(Position{s, cursor.offset()})) return collector.take();
        }
        if (cursor.damaged()) {
            spdlog::warn(
                "raft storage: {}: unreadable record after offset {} while reading "
                "entries back from index {}",
                seg.path, cursor.offset(), lo);
            return {};
        }
    }
    return collector.take();  // the log ends before hi
}

}  // namespace orcraft::raft::storage
