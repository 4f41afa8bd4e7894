#!/bin/sh
# A throwaway MariaDB server for tests and development: no systemd, no /etc/mysql, bound to
# 127.0.0.1, everything (data, socket, pid, error log) inside one directory.
#
#   scripts/mariadb.sh start DIR PORT           initialise DIR when new, start, wait until ready,
#                                               create user orcraft/orcraft; print `export` lines
#   scripts/mariadb.sh stop DIR                 shut down and wait for the process to exit
#                                               (does nothing when no server runs in DIR)
#   scripts/mariadb.sh restart-server DIR PORT  stop, then start on the same data
#   scripts/mariadb.sh env DIR PORT             print the `export` lines only
#
# Typical use:   eval "$(scripts/mariadb.sh start /tmp/orcraft-mariadb 33306)"
#                ... tests read ORCRAFT_TEST_MYSQL_HOST/_PORT/_USER/_PASSWORD/_SOCKET ...
#                scripts/mariadb.sh stop /tmp/orcraft-mariadb
#
# Only the export lines go to stdout; progress and errors go to stderr, so `eval` is safe.
# The user `orcraft`@`127.0.0.1` and `orcraft`@`localhost` (password `orcraft`) has every
# privilege, including creating and dropping databases, because the tests create one per case.
set -eu

usage() {
    echo "usage: $0 start DIR PORT | stop DIR | restart-server DIR PORT | env DIR PORT" >&2
    exit 2
}

find_bin() {
    for candidate in "$@"; do
        if command -v "$candidate" >/dev/null 2>&1; then
            command -v "$candidate"
            return 0
        fi
        for prefix in /usr/sbin /usr/bin /usr/local/sbin /usr/local/bin; do
            if [ -x "$prefix/$candidate" ]; then
                echo "$prefix/$candidate"
                return 0
            fi
        done
    done
    echo "mariadb.sh: none of [$*] found; install mariadb-server and mariadb-client" >&2
    exit 1
}

# Seconds since the epoch with a fraction, for deadlines measured in tenths of a second.
now_tenths() {
    date +%s%1N
}

server_pid() {
    # Prints the pid of the server running in $1, or nothing.
    if [ -f "$1/pid" ]; then
        pid=$(cat "$1/pid" 2>/dev/null || true)
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            echo "$pid"
        fi
    fi
}

print_env() {
    dir=$(cd "$1" && pwd)
    echo "export ORCRAFT_TEST_MYSQL_HOST=127.0.0.1"
    echo "export ORCRAFT_TEST_MYSQL_PORT=$2"
    echo "export ORCRAFT_TEST_MYSQL_USER=orcraft"
    echo "export ORCRAFT_TEST_MYSQL_PASSWORD=orcraft"
    echo "export ORCRAFT_TEST_MYSQL_SOCKET=$dir/sock"
    echo "export ORCRAFT_TEST_MYSQL_DIR=$dir"
}

fail_with_log() {
    echo "mariadb.sh: $1" >&2
    if [ -f "$2/error.log" ]; then
        echo "---- last lines of $2/error.log ----" >&2
        tail -n 30 "$2/error.log" >&2
        echo "------------------------------------" >&2
    fi
    exit 1
}

start() {
    dir=$1
    port=$2
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    install_db=$(find_bin mariadb-install-db mysql_install_db)
    mariadbd=$(find_bin mariadbd mysqld)
    admin=$(find_bin mariadb-admin mysqladmin)
    client=$(find_bin mariadb mysql)

    user_opt=""
    if [ "$(id -u)" = 0 ]; then
        user_opt="--user=root"
    fi

    if [ -n "$(server_pid "$dir")" ]; then
        echo "mariadb.sh: a server already runs in $dir (pid $(server_pid "$dir"))" >&2
        print_env "$dir" "$port"
        return 0
    fi

    if [ ! -d "$dir/data/mysql" ]; then
        echo "mariadb.sh: initialising $dir/data" >&2
        # shellcheck disable=SC2086
        if ! "$install_db" --no-defaults --datadir="$dir/data" $user_opt \
            --auth-root-authentication-method=normal --skip-test-db \
            >"$dir/install.log" 2>&1; then
            tail -n 30 "$dir/install.log" >&2
            echo "mariadb.sh: mariadb-install-db failed" >&2
            exit 1
        fi
    fi

    rm -f "$dir/sock" "$dir/pid"
    # max_allowed_packet leaves room for 16 MiB blobs (sent with their statement).
    # shellcheck disable=SC2086
    "$mariadbd" --no-defaults --datadir="$dir/data" --socket="$dir/sock" \
        --pid-file="$dir/pid" --port="$port" --bind-address=127.0.0.1 --skip-name-resolve \
        --log-error="$dir/error.log" --max-allowed-packet=256M \
        --innodb-buffer-pool-size=64M $user_opt \
        </dev/null >/dev/null 2>&1 &
    launched=$!

    deadline=$(($(now_tenths) + 300))
    while :; do
        if "$admin" --no-defaults --socket="$dir/sock" -uroot ping >/dev/null 2>&1; then
            break
        fi
        if ! kill -0 "$launched" 2>/dev/null; then
            fail_with_log "mariadbd exited during start-up" "$dir"
        fi
        if [ "$(now_tenths)" -ge "$deadline" ]; then
            kill "$launched" 2>/dev/null || true
            fail_with_log "mariadbd did not answer ping within 30 s" "$dir"
        fi
        sleep 0.1
    done

    if ! "$client" --no-defaults --socket="$dir/sock" -uroot >"$dir/setup.log" 2>&1 <<'SQL'; then
CREATE USER IF NOT EXISTS 'orcraft'@'127.0.0.1' IDENTIFIED BY 'orcraft';
CREATE USER IF NOT EXISTS 'orcraft'@'localhost' IDENTIFIED BY 'orcraft';
GRANT ALL PRIVILEGES ON *.* TO 'orcraft'@'127.0.0.1' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO 'orcraft'@'localhost' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL
        cat "$dir/setup.log" >&2
        fail_with_log "creating user orcraft failed" "$dir"
    fi
    echo "mariadb.sh: MariaDB ready on 127.0.0.1:$port (pid $(cat "$dir/pid"), dir $dir)" >&2
    print_env "$dir" "$port"
}

stop() {
    dir=$1
    if [ ! -d "$dir" ]; then
        return 0
    fi
    pid=$(server_pid "$dir")
    if [ -z "$pid" ]; then
        return 0
    fi
    admin=$(find_bin mariadb-admin mysqladmin)
    "$admin" --no-defaults --socket="$dir/sock" -uroot shutdown >/dev/null 2>&1 ||
        kill -TERM "$pid" 2>/dev/null || true
    deadline=$(($(now_tenths) + 300))
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$(now_tenths)" -ge "$deadline" ]; then
            echo "mariadb.sh: pid $pid did not exit within 30 s; killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.1
    done
    echo "mariadb.sh: MariaDB in $dir stopped" >&2
}

[ $# -ge 2 ] || usage
command=$1
case "$command" in
start)
    [ $# -eq 3 ] || usage
    start "$2" "$3"
    ;;
stop)
    [ $# -eq 2 ] || usage
    stop "$2"
    ;;
restart-server)
    [ $# -eq 3 ] || usage
    stop "$2"
    start "$2" "$3"
    ;;
env)
    [ $# -eq 3 ] || usage
    print_env "$2" "$3"
    ;;
*)
    usage
    ;;
esac
