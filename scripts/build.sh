#!/usr/bin/env bash
# Configures and builds orcraft.
#   scripts/build.sh [BUILD_DIR] [extra cmake arguments...]
# ORCRAFT_BUILD_TARGET names one target to build instead of everything (the run script builds only
# the orcraft binary).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
shift || true
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
target_args=()
[[ -n "${ORCRAFT_BUILD_TARGET:-}" ]] && target_args=(--target "$ORCRAFT_BUILD_TARGET")
cmake --build "$build" -j"$(nproc)" "${target_args[@]}"
