// The test state machine of raft_testnode: an append-only list of values (unique ids chosen by
// the tests) kept in one file together with the applied index.
//
// File format, one record per line: "V <index> <value>" (a value applied at index), "M <index>"
// (a marker: the applied index advanced), "S <index>" (the list was replaced by a snapshot at
// index; the values follow as "V 0 <value>" lines). A batch of entries is one write() call.
// There is no fsync: the tests kill processes, not machines, and the page cache survives a
// killed process. A torn last line (no newline) is dropped when the file is loaded.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "raft/node/state_machine.hpp"

namespace orcraft::raft::testnode {

class FileListStateMachine : public StateMachine {
  public:
    // Loads (or creates) the file at `path`.
    explicit FileListStateMachine(std::string path);
    ~FileListStateMachine() override;

    Index applied_index() override;
    std::string apply(const Entry& entry) override;
    void apply_marker(Index index, Term term) override;
    std::vector<std::string> apply_batch(const std::vector<Entry>& entries) override;
    std::shared_ptr<const std::string> snapshot(Index& index) override;
    void restore(const SnapshotMeta& meta, const std::string& data) override;

    // The values and the applied index (any thread).
    std::pair<Index, std::vector<std::string>> contents() const;

  private:
    void append(const std::string& lines);

    std::string path_;
    int fd_ = -1;
    mutable std::mutex mu_;
    std::vector<std::string> values_;
    Index applied_ = 0;
};

}  // namespace orcraft::raft::testnode
