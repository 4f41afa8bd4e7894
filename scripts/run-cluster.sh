#!/usr/bin/env bash
# Starts, stops or shows a cluster of orcraft nodes on this machine, one process per
# configuration file, from the repository's root directory (the example configurations keep
# their data under var/).
#
#   scripts/run-cluster.sh start  [CONF_DIR]   build if needed, start every CONF_DIR/*.conf.json,
#                                              wait for a raft leader (default CONF_DIR:
#                                              conf/sqlite-3)
#   scripts/run-cluster.sh stop   [CONF_DIR]   stop the nodes (SIGTERM, then SIGKILL after 20 s)
#   scripts/run-cluster.sh status [CONF_DIR]   each node's process, state and health; the leader
#
# Logs and pid files: var/<name of CONF_DIR>/<node>.log and .pid.
# When a configuration uses a MySQL backend, a throwaway MariaDB (scripts/mariadb.sh) is started
# in var/mariadb on 127.0.0.1:33306 unless one already answers there, and stopped by `stop` when
# this script started it; ORCRAFT_DB_PASSWORD defaults to its password, "orcraft".
#
# ORCRAFT_BIN_DIR names a directory holding orcraft and orcraft-client to use instead of building
# them in build/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

command=${1:-}
conf_dir=${2:-conf/sqlite-3}
[[ "$command" =~ ^(start|stop|status)$ ]] || {
    sed -n '2,18s/^# \{0,1\}//p' "$0" >&2
    exit 2
}
[[ -d "$conf_dir" ]] || { echo "run-cluster: no directory $conf_dir" >&2; exit 2; }
conf_dir=${conf_dir%/}
name=$(basename "$conf_dir")
state_dir=var/$name
mariadb_dir=var/mariadb
mariadb_port=33306
export ORCRAFT_DB_PASSWORD=${ORCRAFT_DB_PASSWORD:-orcraft}

shopt -s nullglob
configs=("$conf_dir"/*.conf.json)
[[ ${#configs[@]} -gt 0 ]] || { echo "run-cluster: no *.conf.json in $conf_dir" >&2; exit 2; }

bin_dir=${ORCRAFT_BIN_DIR:-$root/build}
orcraft=$bin_dir/orcraft
client=$bin_dir/orcraft-client
if [[ -z "${ORCRAFT_BIN_DIR:-}" ]]; then
    orcraft=$root/build/server/orcraft
    client=$root/build/client/orcraft-client
fi

node_of() { basename "$1" .conf.json; }
# The value of a string key in a configuration file (the examples keep one key per line).
key_of() { sed -n "s/^ *\"$2\": *\"\([^\"]*\)\".*/\1/p" "$1" | head -n 1; }
api_of() {
    local listen
    listen=$(key_of "$1" ListenAddress)
    [[ "$listen" == :* ]] && listen="127.0.0.1$listen"
    echo "http://$listen$(key_of "$1" URLPrefix)"
}
pid_of() {
    local file=$state_dir/$(node_of "$1").pid pid
    [[ -f "$file" ]] || return 1
    pid=$(cat "$file")
    kill -0 "$pid" 2>/dev/null || return 1
    # A killed process that nobody reaped yet (a zombie) is not running.
    [[ "$(ps -o stat= -p "$pid" 2>/dev/null)" != Z* ]] || return 1
    echo "$pid"
}
all_apis() {
    local list=() c
    for c in "${configs[@]}"; do list+=("$(api_of "$c")"); done
    (IFS=,; echo "${list[*]}")
}
uses_mysql() {
    local c backend
    for c in "${configs[@]}"; do
        backend=$(key_of "$c" BackendDB)
        [[ -z "$backend" || "$backend" == mysql ]] && return 0
    done
    return 1
}

build() {
    if [[ -n "${ORCRAFT_BIN_DIR:-}" ]]; then
        [[ -x "$orcraft" && -x "$client" ]] ||
            { echo "run-cluster: no orcraft and orcraft-client in $ORCRAFT_BIN_DIR" >&2; exit 1; }
        return
    fi
    "$root/scripts/install-deps.sh"
    ORCRAFT_BUILD_TARGET=orcraft "$root/scripts/build.sh" "$root/build"
    ORCRAFT_BUILD_TARGET=orcraft-client "$root/scripts/build.sh" "$root/build"
}

start() {
    build
    mkdir -p "$state_dir"
    if uses_mysql; then
        if (exec 3<>"/dev/tcp/127.0.0.1/$mariadb_port") 2>/dev/null; then
            echo "run-cluster: using the MariaDB that answers on 127.0.0.1:$mariadb_port"
        else
            "$root/scripts/install-deps.sh" --test
            "$root/scripts/mariadb.sh" start "$mariadb_dir" "$mariadb_port" >/dev/null
            touch "$state_dir/mariadb-started"
        fi
    fi
    local c node pid sqlite_file
    for c in "${configs[@]}"; do
        node=$(node_of "$c")
        if pid=$(pid_of "$c"); then
            echo "run-cluster: $node already runs (pid $pid)"
            continue
        fi
        # orcraft creates RaftDataDir but not the directory of the SQLite file.
        sqlite_file=$(key_of "$c" SQLite3DataFile)
        [[ -z "$sqlite_file" ]] || mkdir -p "$(dirname "$sqlite_file")"
        setsid "$orcraft" --config "$c" >>"$state_dir/$node.log" 2>&1 </dev/null &
        echo $! >"$state_dir/$node.pid"
        echo "run-cluster: started $node (pid $!, $(api_of "$c"), log $state_dir/$node.log)"
    done
    # Wait until every node answers; a node that stops (a bad configuration) says why in its log.
    local failed=0 tries
    for c in "${configs[@]}"; do
        node=$(node_of "$c")
        tries=0
        until "$client" --direct --api "$(api_of "$c")" --connect-timeout 1 api lb-check >/dev/null 2>&1; do
            if ! pid_of "$c" >/dev/null || [[ $tries -ge 100 ]]; then
                echo "run-cluster: $node is not answering; the end of $state_dir/$node.log:" >&2
                tail -n 5 "$state_dir/$node.log" | sed 's/^/    /' >&2
                failed=1
                break
            fi
            sleep 0.1
            tries=$((tries + 1))
        done
    done
    [[ $failed -eq 0 ]] || exit 1
    local leader
    if leader=$("$client" --api "$(all_apis)" --wait 30 raft-leader); then
        echo "run-cluster: leader $leader; try: $client --api $(all_apis) status"
    else
        echo "run-cluster: no leader within 30 s; see the logs in $state_dir" >&2
        exit 1
    fi
}

stop() {
    local c node pid waited
    for c in "${configs[@]}"; do
        node=$(node_of "$c")
        if pid=$(pid_of "$c"); then
            kill -TERM "$pid"
            waited=0
            while kill -0 "$pid" 2>/dev/null; do
                if [[ $waited -ge 200 ]]; then
                    echo "run-cluster: $node (pid $pid) did not stop within 20 s; killing it" >&2
                    kill -KILL "$pid" 2>/dev/null || true
                    break
                fi
                sleep 0.1
                waited=$((waited + 1))
            done
            echo "run-cluster: stopped $node"
        fi
        rm -f "$state_dir/$node.pid"
    done
    if [[ -f "$state_dir/mariadb-started" ]]; then
        "$root/scripts/mariadb.sh" stop "$mariadb_dir"
        rm -f "$state_dir/mariadb-started"
    fi
}

status() {
    local c node pid api state health
    printf '%-8s %-8s %-28s %-10s %s\n' node pid api raft-state health
    for c in "${configs[@]}"; do
        node=$(node_of "$c")
        api=$(api_of "$c")
        pid=$(pid_of "$c" || echo "-")
        state="-"
        health="-"
        if [[ "$pid" != "-" && -x "$client" ]]; then
            state=$("$client" --direct --api "$api" --timeout 2 api raft-state 2>/dev/null | tr -d '"') || state="-"
            health=$("$client" --direct --api "$api" --timeout 2 raft-health 2>&1 | sed 's/^orcraft-client: //') || true
        fi
        printf '%-8s %-8s %-28s %-10s %s\n' "$node" "$pid" "$api" "${state:--}" "${health:--}"
    done
    if [[ -x "$client" ]]; then
        echo "leader: $("$client" --api "$(all_apis)" raft-leader 2>&1 | sed 's/^orcraft-client: //')"
    fi
}

"$command"
