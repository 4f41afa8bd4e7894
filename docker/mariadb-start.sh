#!/bin/sh
# Runs MariaDB for an orcraft cluster, in the foreground.
#
# On first start it initialises the data directory. Every start it creates (or updates) the user
# `orcraft`@`%` with the password in $ORCRAFT_DB_PASSWORD and every privilege on the databases
# named orcraft_* (each orcraft node on MySQL has its own; orcraft creates it on first connect).
# SIGTERM or SIGINT shuts the server down cleanly. Used as the entry point of the image's
# `mariadb` stage, and by the network-namespace topology test, which runs the same setup.
#
# Environment:
#   ORCRAFT_DB_PASSWORD  required
#   MARIADB_DATADIR      data directory (default /var/lib/mysql)
#   MARIADB_RUNDIR       socket and pid file (default /run/mysqld)
#   MARIADB_PORT         TCP port (default 3306)
#   MARIADB_BIND         listen address (default 0.0.0.0: every interface)
#   MARIADB_USER         system user mariadbd runs as (default mysql when it exists, else root)
set -eu

: "${ORCRAFT_DB_PASSWORD:?ORCRAFT_DB_PASSWORD must be set}"
datadir=${MARIADB_DATADIR:-/var/lib/mysql}
rundir=${MARIADB_RUNDIR:-/run/mysqld}
port=${MARIADB_PORT:-3306}
bind=${MARIADB_BIND:-0.0.0.0}
if [ -z "${MARIADB_USER:-}" ]; then
    if id mysql >/dev/null 2>&1; then MARIADB_USER=mysql; else MARIADB_USER=root; fi
fi
socket=$rundir/mysqld.sock

log() { echo "mariadb-start: $*" >&2; }

mkdir -p "$datadir" "$rundir"
chown "$MARIADB_USER" "$datadir" "$rundir"

if [ ! -d "$datadir/mysql" ]; then
    log "initialising $datadir"
    mariadb-install-db --no-defaults --datadir="$datadir" --user="$MARIADB_USER" \
        --skip-test-db >/dev/null
fi

mariadbd --no-defaults --datadir="$datadir" --socket="$socket" --pid-file="$rundir/mysqld.pid" \
    --port="$port" --bind-address="$bind" --skip-name-resolve --user="$MARIADB_USER" \
    --max-allowed-packet=256M &
server=$!
stop() {
    log "shutting down"
    kill -TERM "$server" 2>/dev/null || true
}
trap stop TERM INT

tries=0
until mariadb-admin --no-defaults --socket="$socket" -uroot ping >/dev/null 2>&1; do
    if ! kill -0 "$server" 2>/dev/null; then
        log "mariadbd exited during start-up"
        wait "$server" || exit $?
        exit 1
    fi
    tries=$((tries + 1))
    if [ "$tries" -gt 600 ]; then
        log "mariadbd did not answer within 60 s"
        stop
        exit 1
    fi
    sleep 0.1
done

# The password as an SQL string literal: backslashes and quotes doubled.
quoted=$(printf '%s' "$ORCRAFT_DB_PASSWORD" | sed -e 's/\\/\\\\/g' -e "s/'/''/g")
mariadb --no-defaults --socket="$socket" -uroot <<SQL
CREATE USER IF NOT EXISTS 'orcraft'@'%' IDENTIFIED BY '$quoted';
ALTER USER 'orcraft'@'%' IDENTIFIED BY '$quoted';
GRANT ALL PRIVILEGES ON \`orcraft\\_%\`.* TO 'orcraft'@'%';
FLUSH PRIVILEGES;
SQL
log "ready on $bind:$port (user orcraft, databases orcraft_*)"

# wait returns early when a trapped signal arrives: wait again for the server to finish.
status=0
wait "$server" || status=$?
while kill -0 "$server" 2>/dev/null; do
    wait "$server" || status=$?
done
exit "$status"
