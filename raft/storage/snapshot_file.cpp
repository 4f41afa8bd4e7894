#include "raft/storage/snapshot_file.hpp"

#include <fcntl.h>

#include <charconv>
#include <cstdio>

#include "raft/core/conf_change.hpp"
#include "raft/storage/byte_codec.hpp"
#include "raft/storage/checksum.hpp"
#include "raft/storage/disk_format.hpp"
#include "raft/storage/log_store.hpp"

namespace orcraft::raft::storage {

namespace {

constexpr std::string_view kSnapshotMagic{"ORCRSNAP", 8};
// magic, version, manifest length, index, term, data length, data checksum, conf length
constexpr std::size_t kManifestFixed = 52;

std::string encode_manifest(const SnapshotMeta& meta, std::string_view data) {
    const std::string conf = encode_conf_state(meta.conf);
    std::string out(kSnapshotMagic);
    put_u32(out, kFormatVersion);
    put_u32(out, static_cast<std::uint32_t>(kManifestFixed + conf.size() + 8));
    put_u64(out, meta.index);
    put_u64(out, meta.term);
    put_u64(out, data.size());
    put_u64(out, checksum64(data));
    put_u32(out, static_cast<std::uint32_t>(conf.size()));
    out.append(conf);
    put_u64(out, checksum64(out));
    return out;
}

[[noreturn]] void damaged(const std::string& path, std::size_t offset, const std::string& what) {
    throw StorageError("raft storage: snapshot " + path + " is damaged at offset " +
                       std::to_string(offset) + ": " + what);
}

}  // namespace

std::string snapshot_file_name(Term term, Index index) {
    char name[80];
    std::snprintf(name, sizeof name, "snapshot-%020llu-%020llu.snap",
                  static_cast<unsigned long long>(term), static_cast<unsigned long long>(index));
    return name;
}

std::optional<SnapshotName> parse_snapshot_file_name(const std::string& name) {
    // snapshot-<20 digits>-<20 digits>.snap
    if (name.size() != 9 + 20 + 1 + 20 + 5 || !name.starts_with("snapshot-") ||
        !name.ends_with(".snap") || name[29] != '-') {
        return std::nullopt;
    }
    SnapshotName out;
    const char* p = name.data();
    if (std::from_chars(p + 9, p + 29, out.term).ptr != p + 29) return std::nullopt;
    if (std::from_chars(p + 30, p + 50, out.index).ptr != p + 50) return std::nullopt;
    return out;
}

std::string write_snapshot_file(const std::string& dir, const Snapshot& snapshot, Syncer& syncer) {
    const std::string_view data =
        snapshot.data ? std::string_view(*snapshot.data) : std::string_view();
    const std::string name = snapshot_file_name(snapshot.meta.term, snapshot.meta.index);
    const std::string final_path = join_path(dir, name);
    const std::string temp_path = final_path + ".tmp";
    {
        const File f(temp_path, O_WRONLY | O_CREAT | O_TRUNC);
        const std::string manifest = encode_manifest(snapshot.meta, data);
        f.write_at(0, manifest);
        f.write_at(manifest.size(), data);
        syncer.full(f);
    }
    rename_file(temp_path, final_path);
    syncer.directory(dir);
    return name;
}

Snapshot read_snapshot_file(const std::string& path) {
    std::string file = read_whole_file(path);
    const std::string_view v(file);
    if (v.size() < kManifestFixed + 8) damaged(path, 0, "shorter than a manifest");
    if (v.substr(0, kSnapshotMagic.size()) != kSnapshotMagic) damaged(path, 0, "bad magic");
    const std::uint32_t manifest_size = get_u32(v, 12);
    if (manifest_size < kManifestFixed + 8 || manifest_size > v.size()) {
        damaged(path, 12, "manifest length out of range");
    }
    if (get_u64(v, manifest_size - 8) != checksum64(v.substr(0, manifest_size - 8))) {
        damaged(path, 0, "manifest checksum mismatch");
    }
    const std::uint32_t version = get_u32(v, 8);
    if (version != kFormatVersion) {
        throw StorageError("raft storage: snapshot " + path + ": format version " +
                           std::to_string(version) + " is not supported");
    }
    Snapshot snap;
    snap.meta.index = get_u64(v, 16);
    snap.meta.term = get_u64(v, 24);
    const std::uint64_t data_size = get_u64(v, 32);
    const std::uint64_t data_sum = get_u64(v, 40);
    const std::uint32_t conf_size = get_u32(v, 48);
    if (kManifestFixed + conf_size + 8 != manifest_size) {
        damaged(path, 48, "configuration length disagrees with the manifest length");
    }
    auto conf = decode_conf_state(std::string(v.substr(kManifestFixed, conf_size)));
    if (!conf) damaged(path, kManifestFixed, "undecodable configuration");
    snap.meta.conf = std::move(*conf);
    if (v.size() - manifest_size != data_size) {
        damaged(path, std::min<std::size_t>(v.size(), manifest_size + data_size),
                "data is " + std::to_string(v.size() - manifest_size) + " bytes, manifest says " +
                    std::to_string(data_size));
    }
    if (checksum64(v.substr(manifest_size)) != data_sum) {
        damaged(path, manifest_size, "data checksum mismatch");
    }
    std::string data = std::move(file);  // no second copy of a possibly large snapshot
    data.erase(0, manifest_size);
    snap.data = std::make_shared<const std::string>(std::move(data));
    return snap;
}

}  // namespace orcraft::raft::storage
