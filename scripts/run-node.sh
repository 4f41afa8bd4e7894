#!/usr/bin/env bash
# Installs what is needed, builds orcraft and starts a single node on SQLite at 127.0.0.1:3000.
# The configuration is conf/single-node.conf.json; data goes to var/ in the checkout.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
ORCRAFT_BUILD_TARGET=orcraft "$root/scripts/build.sh" "$root/build"
cd "$root"
mkdir -p var
exec "$root/build/server/orcraft" --config "${ORCRAFT_CONFIG:-conf/single-node.conf.json}"
