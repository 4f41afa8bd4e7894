#!/bin/sh
# Entry point of the orcraft image.
#
#   (no arguments, or options only)  runs orcraft with the configuration at $ORCRAFT_CONFIG
#                                    (default /etc/orcraft/orcraft.conf.json); options are
#                                    passed on to orcraft
#   COMMAND [ARGS...]                runs that command instead (orcraft-client, sh, ...)
#
# The working directory is /var/lib/orcraft (the volume), so relative paths in the configuration
# (RaftDataDir "raft", SQLite3DataFile "orcraft.db") land in the volume.
set -eu

case "${1:-}" in
'' | -*)
    config=${ORCRAFT_CONFIG:-/etc/orcraft/orcraft.conf.json}
    if [ ! -r "$config" ]; then
        echo "docker-entrypoint: no readable configuration at $config;" \
            "mount one there or set ORCRAFT_CONFIG" >&2
        exit 1
    fi
    exec orcraft --config "$config" "$@"
    ;;
*)
    exec "$@"
    ;;
esac
