#include "raft/storage/recovery.hpp"

#include <algorithm>
#include <map>

#include "raft/storage/log_store.hpp"
#include "raft/storage/posix_file.hpp"
#include "raft/storage/snapshot_file.hpp"

namespace orcraft::raft::storage {

namespace {

[[noreturn]] void refuse(const std::string& what) {
    throw StorageError("raft storage: " + what);
}

// The log as replayed so far. Entries at or below the snapshot index are only counted, not
// kept: the core needs the entries after the snapshot only.
class Replay {
  public:
    explicit Replay(const SnapshotMeta& snap) : snap_(snap) {}

    void apply(const std::string& path, const ScannedBatch& scanned) {
        const BatchView& b = scanned.batch;
        hard_state_ = b.hard_state;
        if (b.entries.empty()) return;
        const Index first = b.first_index;
        if (!any_) {
            any_ = true;
            start_ = first;
            last_ = first - 1;
        } else if (first > last_ + 1) {
            refuse("segment " + path + " is damaged at offset " + std::to_string(scanned.offset) +
                   ": batch starts at index " + std::to_string(first) +
                   " but the log ends at index " + std::to_string(last_) + " (entries missing)");
        }
        if (first <= last_) truncate_from(first);
        if (first < start_) start_ = first;  // a truncation below the first batch of this segment
        for (const EntryView& e : b.entries) {
            if (e.index == snap_.index) term_at_snapshot_ = e.term;
            if (e.index > snap_.index) {
                entries_.push_back(Entry{e.index, e.term, e.type, std::string(e.data)});
            }
        }
        last_ = b.entries.back().index;
    }

    bool any() const { return any_; }
    Index start() const { return start_; }
    Index last() const { return last_; }
    std::optional<Term> term_at_snapshot() const { return term_at_snapshot_; }
    const std::optional<HardState>& hard_state() const { return hard_state_; }
    std::vector<Entry>& entries() { return entries_; }

  private:
    void truncate_from(Index first) {
        if (first <= snap_.index) term_at_snapshot_.reset();
        if (!entries_.empty() && first <= entries_.back().index) {
            const Index front = entries_.front().index;
            entries_.resize(first > front ? first - front : 0);
        }
    }

    SnapshotMeta snap_;
    bool any_ = false;
    Index start_ = 0;
    Index last_ = 0;
    std::optional<Term> term_at_snapshot_;
    std::optional<HardState> hard_state_;
    std::vector<Entry> entries_;
};

void recover_log(const std::string& dir, const std::map<std::uint64_t, std::string>& segment_names,
                 const std::vector<std::string>& snapshot_names, Recovered& r) {
    const MetaRecord& m = r.meta.record;

    // The snapshot the metadata names; any other snapshot file is left over from an
    // interrupted snapshot write (newer) or deletion (older).
    if (m.snapshot_index > 0) {
        r.snapshot_name = snapshot_file_name(m.snapshot_term, m.snapshot_index);
        const std::string path = join_path(dir, r.snapshot_name);
        if (!file_exists(path)) {
            refuse("snapshot " + path + " named by the metadata is missing");
        }
        r.snapshot = read_snapshot_file(path);
        if (r.snapshot.meta.index != m.snapshot_index || r.snapshot.meta.term != m.snapshot_term) {
            refuse("snapshot " + path + " holds index " + std::to_string(r.snapshot.meta.index) +
                   " term " + std::to_string(r.snapshot.meta.term) + ", not what its name says");
        }
    } else {
        r.snapshot.data = std::make_shared<const std::string>();
    }
    for (const std::string& name : snapshot_names) {
        if (name != r.snapshot_name) r.leftovers.push_back(join_path(dir, name));
    }

    // Segments before the first one are left over from an interrupted deletion; the rest
    // must follow one another without a gap.
    std::vector<std::pair<std::uint64_t, std::string>> log_segments;
    for (const auto& [seq, name] : segment_names) {
        if (seq < m.first_segment) {
            r.leftovers.push_back(join_path(dir, name));
        } else {
            const std::uint64_t expected = m.first_segment + log_segments.size();
            if (seq != expected) {
                refuse("segment " + join_path(dir, segment_file_name(expected)) +
                       " is missing (found " + name + " after it)");
            }
            log_segments.emplace_back(seq, join_path(dir, name));
        }
    }

    // A segment is created and synced before the metadata names it, so only a brand-new
    // store (the first metadata record, written just before the first segment) may lack it.
    if (log_segments.empty() && m.sequence != 1) {
        refuse("segment " + join_path(dir, segment_file_name(m.first_segment)) +
               " named by the metadata is missing");
    }

    Replay replay(r.snapshot.meta);
    for (std::size_t i = 0; i < log_segments.size(); ++i) {
        const auto& [seq, path] = log_segments[i];
        const bool is_last = i + 1 == log_segments.size();
        const SegmentScan scan = scan_segment(path, seq, is_last);
        SegmentInfo info{seq, path, scan.valid_end, SegmentInfo::kNoEntries, {}};
        for (const ScannedBatch& b : scan.batches) {
            const bool truncates = replay.any() && b.batch.first_index <= replay.last();
            replay.apply(path, b);
            if (!b.batch.entries.empty()) {
                info.min_first_index = std::min(info.min_first_index, b.batch.first_index);
                note_batch(info.checkpoints, b.offset, b.batch.first_index, truncates);
            }
        }
        if (scan.torn) r.torn = TornSegment{path, *scan.torn};
        r.segments.push_back(std::move(info));
    }

    r.hard_state = replay.hard_state().value_or(m.hard_state);
    const Index snap = r.snapshot.meta.index;
    if (!replay.any()) {
        r.first_index = m.first_index;
        r.last_index = m.first_index - 1;
    } else {
        r.first_index = replay.start();
        r.last_index = replay.last();
        if (r.first_index != m.first_index) {
            refuse("the log in " + dir + " starts at index " + std::to_string(r.first_index) +
                   " but the metadata says " + std::to_string(m.first_index) +
                   " (a segment is missing or damaged)");
        }
    }
    if (r.last_index >= snap) {
        if (r.first_index > snap + 1) {
            refuse("the log in " + dir + " starts at index " + std::to_string(r.first_index) +
                   ", after the snapshot at index " + std::to_string(snap) + " (entries missing)");
        }
        if (replay.term_at_snapshot() && *replay.term_at_snapshot() != r.snapshot.meta.term) {
            refuse("the log in " + dir + " has term " + std::to_string(*replay.term_at_snapshot()) +
                   " at the snapshot index " + std::to_string(snap) + ", the snapshot has term " +
                   std::to_string(r.snapshot.meta.term));
        }
        r.entries = std::move(replay.entries());
    } else {
        r.log_behind_snapshot = true;
    }
    r.hard_state.commit = std::max(r.hard_state.commit, snap);
}

}  // namespace

Recovered recover(const std::string& dir) {
    Recovered r;
    std::map<std::uint64_t, std::string> segment_names;
    std::vector<std::string> snapshot_names;
    for (const std::string& name : list_files(dir)) {
        if (name.ends_with(".tmp")) {
            r.leftovers.push_back(join_path(dir, name));
        } else if (const auto seq = parse_segment_file_name(name)) {
            segment_names.emplace(*seq, name);
        } else if (parse_snapshot_file_name(name)) {
            snapshot_names.push_back(name);
        }
    }

    auto meta = load_meta(dir);
    if (!meta) {
        if (!segment_names.empty() || !snapshot_names.empty()) {
            refuse("metadata files " + join_path(dir, "meta.1") + " and " +
                   join_path(dir, "meta.2") + " are missing but log files exist");
        }
        r.fresh = true;
        return r;
    }
    r.meta = *meta;
    try {
        recover_log(dir, segment_names, snapshot_names, r);
    } catch (const StorageError& e) {
        // Damage found while using the older metadata copy is best read with the reason why
        // the newer one was not used.
        if (!r.meta.damaged_other) throw;
        throw StorageError(std::string(e.what()) + " (state read from " +
                           join_path(dir, kMetaFileNames[r.meta.slot]) +
                           " because of the unusable copy " + *r.meta.damaged_other + ")");
    }
    return r;
}

}  // namespace orcraft::raft::storage
