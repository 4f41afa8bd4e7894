// SqlStateMachine's snapshots: one-phase (snapshot(), on the calling thread) and two-phase
// (begin_snapshot() on the apply thread, the dump written on the runtime's snapshot thread), and
// restore(). Both forms encode the same dump with the same trailer, so their bytes are the same.

#include <spdlog/spdlog.h>

#include <atomic>

#include "backend/snapshot_format.hpp"
#include "backend/sql_state_machine.hpp"

namespace orcraft::backend {

namespace {

// Passes a dump on to the encoder and reports its progress after every batch of rows. When
// `cancelled` becomes true, the next table or batch of rows throws, which ends the dump early.
class ProgressWriter final : public SnapshotWriter {
  public:
    ProgressWriter(SnapshotEncoder& encoder, raft::StateMachine::SnapshotProgress* progress,
                   const std::atomic<bool>* cancelled = nullptr)
        : encoder_(encoder), progress_(progress), cancelled_(cancelled) {}
    void table(const SnapshotTable& table) override {
        check_cancelled();
        encoder_.table(table);
    }
    void rows(const std::vector<Row>& rows) override {
        check_cancelled();
        encoder_.rows(rows);
        if (progress_ != nullptr) progress_->report(encoder_.row_count(), encoder_.bytes_so_far());
    }

  private:
    void check_cancelled() const {
        if (cancelled_ != nullptr && cancelled_->load(std::memory_order_relaxed)) {
            throw std::runtime_error("the snapshot was cancelled");
        }
    }

    SnapshotEncoder& encoder_;
    raft::StateMachine::SnapshotProgress* progress_;
    const std::atomic<bool>* cancelled_;
};

std::shared_ptr<const std::string> finish_snapshot(SnapshotEncoder& encoder,
                                                   const SnapshotTrailer& trailer,
                                                   std::size_t prefix_size = 0) {
    auto data = std::make_shared<const std::string>(encoder.finish(trailer));
    spdlog::info(
        "state machine: snapshot at index {} from {} backend: {} tables, {} rows, {} bytes",
        trailer.applied_index, trailer.source, encoder.table_count(), encoder.row_count(),
        data->size() - prefix_size);
    return data;
}

// The second phase: the driver's pinned read transaction and the trailer values copied when it
// was opened; nothing of the state machine itself.
class SqlPendingSnapshot final : public raft::StateMachine::PendingSnapshot {
  public:
    SqlPendingSnapshot(std::unique_ptr<PendingDump> dump, SnapshotTrailer trailer,
                       std::shared_ptr<std::atomic<std::uint64_t>> last_bytes)
        : dump_(std::move(dump)),
          trailer_(std::move(trailer)),
          last_bytes_(std::move(last_bytes)) {}

    std::shared_ptr<const std::string> write(
        raft::StateMachine::SnapshotProgress& progress) override {
        return write_after({}, progress);
    }

    // The snapshot is encoded straight after the runtime's frame, and into room reserved for a
    // quarter more than the last one: the whole snapshot is copied only if it outgrows that room.
    std::shared_ptr<const std::string> write_after(
        std::string prefix, raft::StateMachine::SnapshotProgress& progress) override {
        const std::uint64_t last = last_bytes_->load(std::memory_order_relaxed);
        const std::size_t prefix_size = prefix.size();
        SnapshotEncoder encoder(SnapshotEncoder::kDefaultLevel, std::move(prefix), last + last / 4);
        ProgressWriter writer(encoder, &progress, &cancelled_);
        dump_->write(writer);
        // The read transaction is done with: end it before compressing the last records.
        dump_.reset();
        auto data = finish_snapshot(encoder, trailer_, prefix_size);
        last_bytes_->store(data->size() - prefix_size, std::memory_order_relaxed);
        return data;
    }

    void cancel() override { cancelled_.store(true, std::memory_order_relaxed); }

  private:
    std::unique_ptr<PendingDump> dump_;
    SnapshotTrailer trailer_;
    std::shared_ptr<std::atomic<std::uint64_t>> last_bytes_;
    std::atomic<bool> cancelled_{false};
};

// A dump that could not begin (no session for it, an entry half applied): write() reports why,
// so that only this snapshot is given up, not the node.
class FailedSnapshot final : public raft::StateMachine::PendingSnapshot {
  public:
    explicit FailedSnapshot(std::string why) : why_(std::move(why)) {}
    std::shared_ptr<const std::string> write(raft::StateMachine::SnapshotProgress&) override {
        throw BackendError(why_);
    }

  private:
    std::string why_;
};

}  // namespace

std::shared_ptr<const std::string> SqlStateMachine::snapshot(raft::Index& index) {
    return write_snapshot(index, nullptr);
}

std::shared_ptr<const std::string> SqlStateMachine::snapshot_with_progress(
    raft::Index& index, SnapshotProgress& progress) {
    return write_snapshot(index, &progress);
}

SnapshotTrailer SqlStateMachine::trailer_at(std::uint64_t at) const {
    SnapshotTrailer trailer;
    trailer.applied_index = at;
    {
        std::lock_guard lock(mu_);
        // Called on the apply thread with nothing applied since the dump's read: the chain's
        // index is the dump's index (a driver reading a different index would be a bug, and the
        // chain is then marked unknown in the snapshot rather than wrong).
        const ChecksumState s = checksum_.state();
        if (s.index == at) {
            trailer.checksum = s;
        } else if (auto v = checksum_.at(at)) {
            trailer.checksum = ChecksumState{at, *v, true};
        } else {
            trailer.checksum = ChecksumState{at, 0, false};
        }
        trailer.last_stamp = last_stamp_;
    }
    trailer.source = std::string(driver_->kind());
    return trailer;
}

std::shared_ptr<const std::string> SqlStateMachine::write_snapshot(raft::Index& index,
                                                                   SnapshotProgress* progress) {
    SnapshotEncoder encoder;
    ProgressWriter writer(encoder, progress);
    const std::uint64_t at = driver_->dump(writer);
    auto data = finish_snapshot(encoder, trailer_at(at));
    index = at;
    return data;
}

std::unique_ptr<raft::StateMachine::PendingSnapshot> SqlStateMachine::begin_snapshot(
    raft::Index& index, SnapshotProgress& progress) {
    std::unique_ptr<PendingDump> dump;
    try {
        dump = driver_->begin_dump();
    } catch (const BackendError& e) {
        index = checksum().index;  // the applied index, without asking the failing backend
        return std::make_unique<FailedSnapshot>(e.what());
    }
    if (!dump) {
        // The driver dumps in one step only: the default, a snapshot taken here and now.
        return raft::StateMachine::begin_snapshot(index, progress);
    }
    index = dump->index();
    SnapshotTrailer trailer = trailer_at(index);
    return std::make_unique<SqlPendingSnapshot>(std::move(dump), std::move(trailer),
                                                last_snapshot_bytes_);
}

void SqlStateMachine::restore(const raft::SnapshotMeta& meta, const std::string& data) {
    // Check the whole snapshot before touching the backend: a corrupt, truncated or foreign
    // snapshot is refused with the backend unchanged.
    const SnapshotTrailer trailer = verify_snapshot(data);
    if (trailer.applied_index != meta.index) {
        throw SnapshotError("snapshot data is at index " + std::to_string(trailer.applied_index) +
                            " but raft describes it as index " + std::to_string(meta.index));
    }
    SnapshotDecoder decoder(data);
    driver_->restore(decoder, meta.index);
    {
        std::lock_guard lock(mu_);
        checksum_.reset(trailer.checksum);
        last_stamp_ = trailer.last_stamp;
    }
    save_checksum_file();
    spdlog::info(
        "state machine: installed snapshot at index {} (term {}) taken on a {} backend: {} tables, "
        "{} rows; result checksum {:016x} ({})",
        meta.index, meta.term, trailer.source, trailer.tables, trailer.rows, trailer.checksum.value,
        trailer.checksum.known ? "known" : "unknown");
}

}  // namespace orcraft::backend
