#!/usr/bin/env bash
# Installs what is needed, builds orcraft (warnings are errors), starts a throwaway MariaDB, runs the whole
# test suite with ctest, then runs it again in an AddressSanitizer + UndefinedBehaviorSanitizer build, and
# stops MariaDB. Exits non-zero on any failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/install-deps.sh" --test

jobs=$(nproc)
mariadb_dir="$root/var/test-mariadb"
mariadb_port=${ORCRAFT_TEST_MYSQL_PORT:-33306}
stop_mariadb() { "$root/scripts/mariadb.sh" stop "$mariadb_dir" >/dev/null 2>&1 || true; }
trap stop_mariadb EXIT

echo "== build (release, -Werror) ($(date -u +%T), ${SECONDS}s elapsed)"
"$root/scripts/build.sh" "$root/build" -DORCRAFT_WERROR=ON
echo "== build (ASan + UBSan) ($(date -u +%T), ${SECONDS}s elapsed)"
"$root/scripts/build.sh" "$root/build-asan" -DORCRAFT_WERROR=ON -DORCRAFT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug

echo "== throwaway MariaDB on 127.0.0.1:$mariadb_port ($(date -u +%T), ${SECONDS}s elapsed)"
rm -rf "$mariadb_dir"
eval "$("$root/scripts/mariadb.sh" start "$mariadb_dir" "$mariadb_port")"
export ORCRAFT_TEST_MARIADB_DIR="$mariadb_dir"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
echo "== tests under ASan + UBSan ($(date -u +%T), ${SECONDS}s elapsed)"
asan_status=0
ctest --test-dir "$root/build-asan" --output-on-failure -j"$jobs" -LE slow || asan_status=$?
echo "== all tests ($(date -u +%T), ${SECONDS}s elapsed)"
[[ $asan_status -eq 0 ]] || echo "(the ASan + UBSan run above FAILED; the suite fails whatever follows)"
ctest --test-dir "$root/build" --output-on-failure -j"$jobs"
exit $asan_status
