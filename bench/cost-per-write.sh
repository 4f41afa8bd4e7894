#!/usr/bin/env bash
# cost-per-write.sh: CPU time and context switches each orcraft node spends per write.
#
#   bench/cost-per-write.sh [--build DIR] [--clients N] [--requests N]
#
# Starts three orcraft nodes (SQLite, raft on 127.0.0.1-3, HTTP port 27300, raft port 27310, fsync
# on) in a temporary directory, warms them up with 2,000 writes, then sends --requests single-row
# INSERTs (default 5000) from --clients clients (default 1) to the leader with orcraft-bench, and
# prints for each node the CPU time (user + system, from /proc/PID/stat) and the context switches
# of all its threads (voluntary and not, from /proc/PID/task/*/status) divided by the number of
# writes. Unlike latency, these figures barely move when other guests share the machine, so they
# show what a change to the write path costs. Every process it started is killed on exit.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/build"
clients=1
requests=5000
while [[ $# -gt 0 ]]; do
    case "$1" in
        --build) build=$(cd "$2" && pwd); shift 2 ;;
        --clients) clients="$2"; shift 2 ;;
        --requests) requests="$2"; shift 2 ;;
        *) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
    esac
done
orcraft_bin="$build/server/orcraft"
bench_bin="$build/bench/orcraft_bench/orcraft-bench"
for f in "$orcraft_bin" "$bench_bin"; do
    [[ -x "$f" ]] || { echo "cost-per-write.sh: $f not found (build it, or give --build)" >&2; exit 1; }
done
for i in 1 2 3; do
    if (exec 3<> "/dev/tcp/127.0.0.$i/27300") 2> /dev/null; then
        echo "cost-per-write.sh: 127.0.0.$i:27300 is already in use" >&2
        exit 1
    fi
done

work=$(mktemp -d /tmp/orcraft-cost.XXXXXX)
pids=()
cleanup() {
    ((${#pids[@]})) && kill -9 "${pids[@]}" 2> /dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

for i in 1 2 3; do
    mkdir -p "$work/n$i"
    cat > "$work/n$i.conf.json" << CONF
{
  "ListenAddress": "127.0.0.$i:27300",
  "RaftEnabled": true,
  "RaftDataDir": "$work/n$i/raft",
  "RaftBind": "127.0.0.$i:27310",
  "RaftNodes": ["127.0.0.1:27310", "127.0.0.2:27310", "127.0.0.3:27310"],
  "BackendDB": "sqlite",
  "SQLite3DataFile": "$work/n$i/orcraft.db"
}
CONF
    "$orcraft_bin" --config "$work/n$i.conf.json" > "$work/n$i.log" 2>&1 &
    pids+=($!)
    disown "$!"
done

leader=""
deadline=$((SECONDS + 30))
while [[ -z "$leader" ]]; do
    ((SECONDS < deadline)) || { echo "cost-per-write.sh: no leader within 30 s" >&2; exit 1; }
    for i in 1 2 3; do
        curl -sf -m 1 -o /dev/null "http://127.0.0.$i:27300/api/leader-check" 2> /dev/null && leader=$i
    done
    [[ -n "$leader" ]] || sleep 0.1
done

load() {
    "$bench_bin" --url "http://127.0.0.$leader:27300" --workload insert --clients "$clients" \
        --requests "$1" --duration 3600 --quiet --no-metrics
}
counters() {  # per node: context switches, then CPU ticks
    local p
    for p in "${pids[@]}"; do
        cat /proc/"$p"/task/*/status | awk '/ctxt_switches/ {s += $2} END {printf "%d ", s}'
        awk '{printf "%d ", $14 + $15}' /proc/"$p"/stat
    done
}

load 2000 > /dev/null
before=($(counters))
load "$requests" | grep -E 'requests/s|p50'
after=($(counters))
ticks=$(getconf CLK_TCK)
for i in 0 1 2; do
    role=follower
    [[ $((i + 1)) == "$leader" ]] && role=leader
    awk -v n=$((i + 1)) -v role=$role -v cs=$((after[2 * i] - before[2 * i])) \
        -v cpu=$((after[2 * i + 1] - before[2 * i + 1])) -v w="$requests" -v hz="$ticks" \
        'BEGIN { printf "node %d (%s): %.0f us CPU and %.2f context switches per write\n",
                 n, role, cpu * 1e6 / hz / w, cs / w }'
done
