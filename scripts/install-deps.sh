#!/usr/bin/env bash
# Installs the Debian packages orcraft needs.
#   scripts/install-deps.sh          build and run a node
#   scripts/install-deps.sh --test   also what the test suite uses (MariaDB, network namespaces, clang tools)
set -euo pipefail

packages=(cmake g++ make pkg-config libmysqlcppconn-dev libsqlite3-dev libuv1-dev libspdlog-dev catch2
          nlohmann-json3-dev libhttp-parser-dev libzstd-dev libxxhash-dev curl ca-certificates)
if [[ "${1:-}" == "--test" ]]; then
    packages+=(mariadb-server mariadb-client iproute2 nftables iputils-ping procps clang-format)
fi

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
