#include "raft/storage/file_log_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "raft/storage/disk_format.hpp"
#include "raft/storage/snapshot_file.hpp"

namespace orcraft::raft {

std::unique_ptr<LogStore> LogStore::open(const std::string& dir, const LogStoreOptions& options) {
    return std::make_unique<storage::FileLogStore>(dir, options);
}

namespace storage {

FileLogStore::FileLogStore(const std::string& dir, const LogStoreOptions& options)
    : dir_(dir), options_(options), syncer_(options.sync) {
    lock_directory();
    Recovered found = recover(dir_);
    if (found.fresh) {
        initialize();
        found = recover(dir_);
    }
    repair(found);
    adopt(found);
    if (found.log_behind_snapshot) {
        spdlog::warn(
            "raft storage: {}: the log ends at index {}, before the snapshot at index {}; it "
            "restarts after the snapshot",
            dir_, found.last_index, snapshot_meta_.index);
        restart_log_after(snapshot_meta_, snapshot_name_, hard_state_);
    }
    spdlog::info(
        "raft storage: opened {}: snapshot index {} term {}, log {}, term {} vote {} commit {}",
        dir_, snapshot_meta_.index, snapshot_meta_.term, describe_log(), hard_state_.term,
        hard_state_.vote, hard_state_.commit);
}

void FileLogStore::lock_directory() {
    struct stat st {};
    if (::stat(dir_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        throw StorageError("raft storage: " + dir_ + " is not a directory");
    }
    lock_ = File(join_path(dir_, "LOCK"), O_RDWR | O_CREAT);
    if (::flock(lock_.fd(), LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        throw StorageError("raft storage: cannot lock " + lock_.path() + ": " +
                           (err == EWOULDBLOCK ? std::string("another process uses this directory")
                                               : std::string(std::strerror(err))));
    }
}

void FileLogStore::initialize() {
    // The first metadata record appears atomically (rename), so a crash here leaves either
    // an empty directory or a valid store.
    MetaRecord first;
    first.sequence = 1;
    const std::string path = join_path(dir_, kMetaFileNames[0]);
    write_new_file(path + ".tmp", encode_meta(first), syncer_);
    rename_file(path + ".tmp", path);
    syncer_.directory(dir_);
    spdlog::info("raft storage: initialized an empty store in {}", dir_);
}

void FileLogStore::repair(Recovered& found) {
    if (found.meta.damaged_other) {
        spdlog::warn("raft storage: unusable metadata copy {}; using {} (sequence {})",
                     *found.meta.damaged_other, join_path(dir_, kMetaFileNames[found.meta.slot]),
                     found.meta.record.sequence);
    }
    for (const std::string& path : found.leftovers) {
        spdlog::info("raft storage: removing {}, left over by an interrupted operation", path);
    }
    remove_files(found.leftovers);

    if (!found.torn) return;
    const TornTail& tail = found.torn->tail;
    const File f(found.torn->path, O_WRONLY);
    SegmentInfo& seg = found.segments.back();
    if (tail.header) {
        f.truncate(0);
        f.write_at(0, encode_segment_header(seg.sequence));
        seg.size = kSegmentHeaderSize;
    } else {
        f.truncate(tail.offset);
    }
    syncer_.full(f);
    std::string claim;
    if (tail.claim && tail.claim->count > 0) {
        claim = fmt::format(" (a batch claiming entries {}..{})", tail.claim->first_index,
                            tail.claim->first_index + tail.claim->count - 1);
    }
    spdlog::warn(
        "raft storage: {}: dropped a torn tail of {} bytes at offset {}{}{}; the log "
        "now ends at index {}",
        found.torn->path, tail.bytes, tail.offset, tail.header ? " (segment header)" : "", claim,
        found.last_index);
}

void FileLogStore::adopt(Recovered& found) {
    meta_ = found.meta.record;
    meta_slot_ = found.meta.slot;
    snapshot_meta_ = found.snapshot.meta;
    snapshot_name_ = found.snapshot_name;
    hard_state_ = found.hard_state;
    {
        const std::lock_guard<std::mutex> lock(extents_mu_);
        segments_ = found.segments;
    }
    first_index_ = found.first_index;
    last_index_ = found.last_index;
    if (segments_.empty()) {
        start_segment(meta_.first_segment);
    } else {
        active_ = File(segments_.back().path, O_WRONLY);
        active_.preallocate(options_.segment_bytes);
    }
    restored_.hard_state = hard_state_;
    restored_.snapshot = std::move(found.snapshot);
    restored_.entries = std::move(found.entries);
    restored_.applied = snapshot_meta_.index;
}

void FileLogStore::release_restored() {
    restored_.snapshot.data.reset();
    restored_.entries = {};
}

std::shared_ptr<const std::string> FileLogStore::read_snapshot(const SnapshotMeta& meta) const {
    // Only dir_ is read here, and it never changes after construction; the file itself is
    // immutable once under its final name, and deleting it does not disturb an open reader.
    const std::string path = join_path(dir_, snapshot_file_name(meta.term, meta.index));
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return nullptr;  // replaced by a newer snapshot
    try {
        Snapshot snapshot = read_snapshot_file(path);
        if (snapshot.meta == meta) return snapshot.data;
        spdlog::warn("raft storage: {} does not describe the snapshot at index {} term {}", path,
                     meta.index, meta.term);
    } catch (const std::exception& e) {
        spdlog::warn("raft storage: cannot read the snapshot back: {}", e.what());
    }
    return nullptr;
}

std::vector<Entry> FileLogStore::read_entries(Index lo, Index hi, std::size_t max_bytes) const {
    std::vector<SegmentExtent> extents;
    {
        const std::lock_guard<std::mutex> lock(extents_mu_);
        extents.reserve(segments_.size());
        for (const SegmentInfo& seg : segments_)
            extents.push_back({seg.path, seg.size, seg.checkpoints});
    }
    return read_entries_back(extents, lo, hi, max_bytes);
}

template <typename Fn>
void FileLogStore::guarded(Fn&& fn) {
    if (failed_) {
        throw StorageError("raft storage: " + dir_ +
                           ": an earlier write failed; the store must be reopened");
    }
    try {
        fn();
    } catch (const StorageError&) {
        failed_ = true;  // what is on disk is unknown until open() recovers it
        throw;
    }
}

void FileLogStore::write(const std::optional<Snapshot>& snapshot, const std::vector<Entry>& entries,
                         const std::optional<HardState>& hard_state) {
    guarded([&] {
        check_fits(snapshot, entries);
        if (snapshot) {
            const std::string name = write_snapshot_file(dir_, *snapshot, syncer_);
            restart_log_after(snapshot->meta, name, hard_state.value_or(hard_state_));
            ++stats_.batches;
        }
        const bool new_hard_state = hard_state && *hard_state != hard_state_;
        if (!entries.empty() || new_hard_state) {
            append_batch(entries, hard_state.value_or(hard_state_));
        }
    });
}

void FileLogStore::check_fits(const std::optional<Snapshot>& snapshot,
                              const std::vector<Entry>& entries) const {
    // Checked before anything is written, against the log as it will be after the snapshot.
    const Index snapshot_index = snapshot ? snapshot->meta.index : snapshot_meta_.index;
    const Index last = snapshot ? snapshot->meta.index : last_index();
    if (snapshot && snapshot->meta.index <= snapshot_meta_.index) {
        throw std::invalid_argument(
            "raft storage: received snapshot at index " + std::to_string(snapshot->meta.index) +
            " is not after the current one at " + std::to_string(snapshot_meta_.index));
    }
    if (entries.empty()) return;
    const Index first = entries.front().index;
    std::size_t payload = kBatchHeaderSize;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        if (entries[i].index != first + i) {
            throw std::invalid_argument("raft storage: entries to write are not contiguous");
        }
        payload += kEntryHeaderSize + entries[i].data.size();
    }
    if (first <= snapshot_index || first > last + 1) {
        throw std::invalid_argument(
            "raft storage: entries starting at index " + std::to_string(first) +
            " do not fit a log with snapshot index " + std::to_string(snapshot_index) +
            " and last index " + std::to_string(last));
    }
    if (payload > kMaxRecordPayload) {
        throw std::invalid_argument("raft storage: a batch of " + std::to_string(payload) +
                                    " bytes is larger than one record may be");
    }
}

void FileLogStore::append_batch(const std::vector<Entry>& entries, const HardState& hard_state) {
    const std::string record = encode_batch_record(entries, hard_state);
    if (segments_.back().size >= options_.segment_bytes &&
        segments_.back().size > kSegmentHeaderSize) {
        start_segment(segments_.back().sequence + 1);
    }
    SegmentInfo& seg = segments_.back();
    active_.write_at(seg.size, record);
    syncer_.data(active_);
    {
        const std::lock_guard<std::mutex> lock(extents_mu_);
        if (!entries.empty()) {
            const Index first = entries.front().index;
            note_batch(seg.checkpoints, seg.size, first, first <= last_index_);
            seg.min_first_index = std::min(seg.min_first_index, first);
        }
        seg.size += record.size();
    }
    if (!entries.empty()) last_index_ = entries.back().index;
    hard_state_ = hard_state;
    ++stats_.batches;
    stats_.entries_written += entries.size();
    stats_.bytes_written += record.size();
}

void FileLogStore::start_segment(std::uint64_t sequence) {
    if (active_.is_open()) {
        // Only the last segment may end in preallocated zeros (segment_scan.hpp), so the
        // current one is cut to its valid size before another one follows it.
        active_.truncate(segments_.back().size);
        syncer_.full(active_);
    }
    const std::string path = join_path(dir_, segment_file_name(sequence));
    File f(path, O_WRONLY | O_CREAT | O_EXCL);
    f.write_at(0, encode_segment_header(sequence));
    f.preallocate(options_.segment_bytes);
    syncer_.full(f);
    syncer_.directory(dir_);
    {
        const std::lock_guard<std::mutex> lock(extents_mu_);
        segments_.push_back(
            SegmentInfo{sequence, path, kSegmentHeaderSize, SegmentInfo::kNoEntries, {}});
    }
    active_ = std::move(f);
}

void FileLogStore::restart_log_after(const SnapshotMeta& snapshot, const std::string& snapshot_name,
                                     const HardState& hard_state) {
    start_segment(segments_.back().sequence + 1);
    MetaRecord next = meta_;
    next.hard_state = hard_state;
    next.first_index = snapshot.index + 1;
    next.first_segment = segments_.back().sequence;
    next.snapshot_index = snapshot.index;
    next.snapshot_term = snapshot.term;
    store_next_meta(next);

    std::vector<std::string> obsolete;
    for (std::size_t i = 0; i + 1 < segments_.size(); ++i)
        obsolete.push_back(segments_[i].path);
    if (!snapshot_name_.empty() && snapshot_name_ != snapshot_name) {
        obsolete.push_back(join_path(dir_, snapshot_name_));
    }
    remove_files(obsolete);
    stats_.segments_deleted += segments_.size() - 1;
    {
        const std::lock_guard<std::mutex> lock(extents_mu_);
        segments_.erase(segments_.begin(), segments_.end() - 1);
    }

    snapshot_meta_ = snapshot;
    snapshot_name_ = snapshot_name;
    hard_state_ = hard_state;
    first_index_ = snapshot.index + 1;
    last_index_ = snapshot.index;
    spdlog::info("raft storage: {}: log restarts after snapshot index {} term {}", dir_,
                 snapshot.index, snapshot.term);
}

void FileLogStore::save_snapshot(const Snapshot& snapshot) {
    guarded([&] {
        const Index index = snapshot.meta.index;
        if (index <= snapshot_meta_.index) {
            spdlog::info("raft storage: {}: snapshot at index {} ignored, the current one is at {}",
                         dir_, index, snapshot_meta_.index);
            return;
        }
        if (index > last_index_) {
            throw std::invalid_argument("raft storage: cannot compact at index " +
                                        std::to_string(index) + ": the log holds entries " +
                                        std::to_string(snapshot_meta_.index + 1) + ".." +
                                        std::to_string(last_index_));
        }
        const std::string name = write_snapshot_file(dir_, snapshot, syncer_);

        // Segments [0, keep_from) may go when every entry they still contribute to the log is
        // at most `window_start` - 1: entries of earlier segments survive only below the lowest
        // first index of the later segments' batches.
        const Index window_start =
            index > options_.trailing_entries ? index - options_.trailing_entries + 1 : 1;
        std::size_t keep_from = 0;
        Index new_first = first_index_;
        Index suffix_min = SegmentInfo::kNoEntries;
        for (std::size_t j = segments_.size() - 1; j > 0; --j) {
            suffix_min = std::min(suffix_min, segments_[j].min_first_index);
            if (suffix_min <= window_start) {
                keep_from = j;
                new_first = suffix_min;
                break;
            }
        }

        MetaRecord next = meta_;
        next.hard_state = hard_state_;
        next.snapshot_index = index;
        next.snapshot_term = snapshot.meta.term;
        next.first_index = new_first;
        next.first_segment = segments_[keep_from].sequence;
        store_next_meta(next);

        std::vector<std::string> obsolete;
        for (std::size_t i = 0; i < keep_from; ++i)
            obsolete.push_back(segments_[i].path);
        if (!snapshot_name_.empty() && snapshot_name_ != name) {
            obsolete.push_back(join_path(dir_, snapshot_name_));
        }
        remove_files(obsolete);
        stats_.segments_deleted += keep_from;
        {
            const std::lock_guard<std::mutex> lock(extents_mu_);
            segments_.erase(segments_.begin(), segments_.begin() + static_cast<long>(keep_from));
        }
        first_index_ = new_first;
        snapshot_meta_ = snapshot.meta;
        snapshot_name_ = name;
        spdlog::info(
            "raft storage: {}: snapshot at index {} term {} saved; {} segment(s) deleted, "
            "log {}",
            dir_, index, snapshot.meta.term, keep_from, describe_log());
    });
}

void FileLogStore::store_next_meta(MetaRecord record) {
    record.sequence = meta_.sequence + 1;
    const int slot = 1 - meta_slot_;
    store_meta(dir_, slot, record, syncer_);
    meta_ = record;
    meta_slot_ = slot;
}

void FileLogStore::remove_files(const std::vector<std::string>& paths) {
    if (paths.empty()) return;
    for (const std::string& path : paths)
        remove_file(path);
    syncer_.directory(dir_);
}

std::string FileLogStore::describe_log() const {
    if (last_index_ < first_index_) return "empty";
    return fmt::format("{}..{}", first_index_, last_index_);
}

Index FileLogStore::first_index() const {
    return last_index_ >= first_index_ ? first_index_ : snapshot_meta_.index + 1;
}

Index FileLogStore::last_index() const {
    return std::max(last_index_, snapshot_meta_.index);
}

LogStoreStats FileLogStore::stats() const {
    LogStoreStats s = stats_;
    s.syncs = syncer_.count();
    return s;
}

}  // namespace storage
}  // namespace orcraft::raft
