#!/usr/bin/env bash
# The docker-compose.yml topology without Docker: four network namespaces on one bridge, with the
# compose file's addresses and host names, running the same configuration files
# (docker/conf/node{1,2,3}.conf.json) and the same MariaDB start script (docker/mariadb-start.sh).
#
#   tests/topology/netns_topology.sh BUILD_DIR SOURCE_DIR
#
# Checks: the three nodes elect a leader; each node's compose health check
# (orcraft-client --direct --api http://127.0.0.1:3000 raft-health) passes; a write sent to each
# node (followers forward it) lands in all three copies, including node3's MariaDB database; after
# the leader is stopped, the other two elect a new one and take writes.
#
# Exits 77 (skipped, with the reason printed) when it is not run as root, or network namespaces or
# MariaDB are not available. Nothing outside the namespaces it creates is contacted; the
# namespaces, their /etc/netns/<name>/hosts files and the processes are removed at the end.
set -euo pipefail

build=${1:?usage: $0 BUILD_DIR SOURCE_DIR}
src=${2:?usage: $0 BUILD_DIR SOURCE_DIR}
orcraft=$build/server/orcraft
client=$build/client/orcraft-client
password=topology-secret

skip() {
    echo "skipped: $*"
    exit 77
}
step() { echo "== $* (${SECONDS}s)"; }
fail() {
    echo "FAILED: $*" >&2
    exit 1
}

[[ $(id -u) -eq 0 ]] || skip "network namespaces need root"
command -v ip >/dev/null || skip "ip (iproute2) is not installed"
for tool in mariadbd mariadb-install-db mariadb-admin mariadb; do
    command -v "$tool" >/dev/null || skip "$tool is not installed (mariadb-server, mariadb-client)"
done
[[ -x "$orcraft" && -x "$client" ]] || fail "no $orcraft or $client"

tag=orct$$
switch=$tag-sw
hosts=(mariadb node1 node2 node3)
declare -A address=([mariadb]=172.30.89.10 [node1]=172.30.89.11 [node2]=172.30.89.12 [node3]=172.30.89.13)
declare -A pid=()
work=$(mktemp -d /tmp/orcraft-topology-XXXXXX)
netns_etc_existed=0
[[ -d /etc/netns ]] && netns_etc_existed=1

cleanup() {
    local status=$?
    set +e
    # The throwaway server goes at once (its data is deleted below); its start script then exits.
    pkill -KILL -f -- "--datadir=$work/mariadb/data" 2>/dev/null
    for h in node1 node2 node3 mariadb; do
        [[ -n "${pid[$h]:-}" ]] && kill -TERM "${pid[$h]}" 2>/dev/null
    done
    for h in node1 node2 node3 mariadb; do
        if [[ -n "${pid[$h]:-}" ]]; then
            for _ in $(seq 100); do kill -0 "${pid[$h]}" 2>/dev/null || break; sleep 0.1; done
            kill -KILL "${pid[$h]}" 2>/dev/null
        fi
    done
    if [[ $status -ne 0 && $status -ne 77 ]]; then
        for h in node1 node2 node3 mariadb; do
            [[ -f "$work/$h.log" ]] || continue
            echo "---- last lines of $h.log ----"
            tail -n 15 "$work/$h.log"
        done
    fi
    for h in "${hosts[@]}"; do
        ip netns del "$tag-$h" 2>/dev/null
        rm -rf "/etc/netns/$tag-$h"
    done
    ip netns del "$switch" 2>/dev/null
    [[ $netns_etc_existed -eq 1 ]] || rmdir /etc/netns 2>/dev/null
    rm -rf "$work"
    exit $status
}
trap cleanup EXIT

in_ns() {
    local h=$1
    shift
    ip netns exec "$tag-$h" "$@"
}

# Polls a command (every 0.1 s) until it succeeds or `seconds` pass.
eventually() {
    local seconds=$1
    shift
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        [[ $SECONDS -lt $deadline ]] || return 1
        sleep 0.1
    done
}

step "network: bridge in $switch, one namespace per host"
ip netns add "$switch" 2>"$work/netns.err" || skip "cannot create a network namespace: $(cat "$work/netns.err")"
ip -n "$switch" link add br0 type bridge
ip -n "$switch" link set br0 up
i=0
for h in "${hosts[@]}"; do
    i=$((i + 1))
    ip netns add "$tag-$h"
    ip -n "$switch" link add "port$i" type veth peer name eth0 netns "$tag-$h"
    ip -n "$switch" link set "port$i" master br0 up
    ip -n "$tag-$h" addr add "${address[$h]}/24" dev eth0
    ip -n "$tag-$h" link set eth0 up
    ip -n "$tag-$h" link set lo up
    # `ip netns exec` mounts this file over /etc/hosts: the compose file's extra_hosts.
    mkdir -p "/etc/netns/$tag-$h"
    {
        echo "127.0.0.1 localhost"
        for other in "${hosts[@]}"; do echo "${address[$other]} $other"; done
    } >"/etc/netns/$tag-$h/hosts"
done
eventually 10 in_ns node1 ping -c 1 -W 1 mariadb || fail "node1 cannot reach mariadb over the bridge"

step "mariadb: docker/mariadb-start.sh in $tag-mariadb"
mkdir -p "$work/mariadb"
# exec, so that pid[mariadb] is the start script itself, which stops mariadbd on SIGTERM.
(exec ip netns exec "$tag-mariadb" env ORCRAFT_DB_PASSWORD="$password" \
    MARIADB_DATADIR="$work/mariadb/data" MARIADB_RUNDIR="$work/mariadb/run" MARIADB_USER=root \
    "$src/docker/mariadb-start.sh" >"$work/mariadb.log" 2>&1) &
pid[mariadb]=$!
eventually 60 grep -q "mariadb-start: ready" "$work/mariadb.log" || fail "MariaDB did not become ready"

step "nodes: orcraft --config docker/conf/nodeN.conf.json in each namespace"
for h in node1 node2 node3; do
    mkdir -p "$work/$h"
    # The working directory stands for the container's /var/lib/orcraft volume.
    (cd "$work/$h" && exec ip netns exec "$tag-$h" env ORCRAFT_DB_PASSWORD="$password" \
        "$orcraft" --config "$src/docker/conf/$h.conf.json") >"$work/$h.log" 2>&1 &
    pid[$h]=$!
done

all_apis=http://node1:3000,http://node2:3000,http://node3:3000
cli() {
    local h=$1
    shift
    in_ns "$h" "$client" "$@"
}
answers() { cli "$1" --direct --api http://127.0.0.1:3000 --connect-timeout 1 api lb-check; }
for h in node1 node2 node3; do
    deadline=$((SECONDS + 20))
    until answers "$h" >/dev/null 2>&1; do
        kill -0 "${pid[$h]}" 2>/dev/null || fail "$h exited"
        [[ $SECONDS -lt $deadline ]] || fail "$h does not answer on its API"
        sleep 0.1
    done
done

step "election"
leader=$(cli node1 --api "$all_apis" --wait 30 raft-leader) || fail "no leader elected"
echo "leader: $leader"
[[ "$leader" =~ ^172\.30\.89\.1[123]:10008$ ]] || fail "unexpected leader identity '$leader'"

step "health checks (the compose file's command on each node)"
for h in node1 node2 node3; do
    eventually 20 cli "$h" --direct --api http://127.0.0.1:3000 raft-health ||
        fail "$h: raft-health does not pass: $(cli "$h" --direct --api http://127.0.0.1:3000 raft-health 2>&1)"
done

step "writes through each node"
cli node1 --direct --api http://node1:3000 --wait 10 execute \
    "CREATE TABLE hosts (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL)" >/dev/null ||
    fail "CREATE TABLE through node1"
n=0
for h in node1 node2 node3; do
    n=$((n + 1))
    out=$(cli "$h" --direct --api "http://$h:3000" --wait 10 execute \
        "INSERT INTO hosts (id, name) VALUES (?, ?)" -p "$n" -p "written via $h") ||
        fail "INSERT through $h: $out"
done

count_on() {
    # This node's own copy (--direct, level none), as TSV: the header, then the count.
    [[ "$(cli "$1" --direct --api http://127.0.0.1:3000 query --level none -f tsv \
        "SELECT COUNT(*) AS n FROM hosts" 2>/dev/null)" == "n"$'\n'"$2" ]]
}
for h in node1 node2 node3; do
    eventually 20 count_on "$h" 3 || fail "$h does not hold the 3 rows"
done
rows=$(in_ns mariadb mariadb --no-defaults --socket="$work/mariadb/run/mysqld.sock" -uroot -N \
    -e "SELECT COUNT(*) FROM orcraft_node3.hosts")
[[ "$rows" == 3 ]] || fail "node3's MariaDB database holds $rows rows, not 3"
echo "3 rows in every copy (node3's in MariaDB database orcraft_node3)"

step "leader stopped: the other two elect a new one"
old=""
for h in node1 node2 node3; do
    [[ "${address[$h]}:10008" == "$leader" ]] && old=$h
done
[[ -n "$old" ]] || fail "no node has the leader's address $leader"
kill -TERM "${pid[$old]}"
for _ in $(seq 200); do kill -0 "${pid[$old]}" 2>/dev/null || break; sleep 0.1; done
kill -0 "${pid[$old]}" 2>/dev/null && fail "$old did not stop within 20 s"
unset "pid[$old]"
survivors=()
for h in node1 node2 node3; do [[ "$h" != "$old" ]] && survivors+=("$h"); done
apis="http://${survivors[0]}:3000,http://${survivors[1]}:3000"
new_leader_is_other() {
    local l
    l=$(cli "${survivors[0]}" --api "$apis" raft-leader) && [[ "$l" != "$leader" ]]
}
eventually 30 new_leader_is_other || fail "no new leader among ${survivors[*]}"
echo "new leader: $(cli "${survivors[0]}" --api "$apis" raft-leader)"
cli "${survivors[1]}" --api "$apis" --wait 10 execute \
    "INSERT INTO hosts (id, name) VALUES (4, 'after the leader change')" >/dev/null ||
    fail "write after the leader change"
for h in "${survivors[@]}"; do
    eventually 20 count_on "$h" 4 || fail "$h does not hold the 4th row"
done

step "passed"
