#!/bin/sh
# Prints the Debian packages that provide the shared libraries the given executables load, one
# per line, sorted. The image's runtime stage installs exactly these, so a new library dependency
# of orcraft needs no change to the Dockerfile.
#
#   docker/runtime-packages.sh /usr/local/bin/orcraft /usr/local/bin/orcraft-client
set -eu
[ $# -ge 1 ] || { echo "usage: $0 EXECUTABLE..." >&2; exit 2; }

for exe in "$@"; do
    ldd "$exe"
done | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u | while read -r lib; do
    # With merged /usr, dpkg may know a library under /lib or under /usr/lib: try both.
    real=$(readlink -f "$lib")
    for candidate in "$lib" "$real" "/usr$lib" "${real#/usr}"; do
        if owner=$(dpkg -S "$candidate" 2>/dev/null); then
            echo "${owner%%:*}"
            continue 2
        fi
    done
    echo "runtime-packages: no package provides $lib" >&2
    exit 1
done | sort -u
