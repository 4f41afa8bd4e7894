#!/usr/bin/env bash
# Installs the Debian packages orcraft needs.
#   scripts/install-deps.sh          build and run a node
#   scripts/install-deps.sh --test   also what the test suite uses (MariaDB, network namespaces, clang tools)
#   scripts/install-deps.sh --bench  also what bench/compare-etcd.sh compares against (etcd)
set -euo pipefail

packages=(cmake g++ make pkg-config libmysqlcppconn-dev libsqlite3-dev libuv1-dev libspdlog-dev catch2
          nlohmann-json3-dev libhttp-parser-dev libzstd-dev libxxhash-dev curl ca-certificates)
for arg in "$@"; do
    case "$arg" in
        --test) packages+=(mariadb-server mariadb-client iproute2 nftables iputils-ping procps clang-format python3-yaml) ;;
        --bench) packages+=(etcd-server etcd-client procps) ;;
        *) echo "usage: $0 [--test] [--bench]" >&2; exit 2 ;;
    esac
done

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
apt_install() {
    $sudo apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}"
}
# A fresh machine may have empty or stale package lists: refresh them only when needed.
if ! apt_install; then
    $sudo apt-get update -q -o DPkg::Lock::Timeout=600
    apt_install
fi
