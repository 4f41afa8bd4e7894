#!/usr/bin/env bash
# Compares a three-node orcraft cluster (SQLite backends) with a three-node etcd cluster on this
# machine: write throughput and latency at several client counts, fsyncs per committed entry,
# failover time after kill -9 (and SIGTERM) of the leader, and memory. Prints one table with
# orcraft/etcd ratios and the targets of issue 7. See bench/README.md.
#
#   bench/compare-etcd.sh [options]
#
#   --build DIR          build directory holding server/orcraft and bench/orcraft_bench/orcraft-bench
#                        (default: build)
#   --only etcd|orcraft  run one side only (the other column shows "-")
#   --clients "1 16 64"  client counts of the load runs
#   --duration S         measured seconds per load run (default 10)
#   --warmup S           warmup seconds per load run (default 2)
#   --rounds N           failover rounds per kind of stop (default 7)
#   --target leader|all  where the load goes: the leader only (default), or every node
#   --rss-1m             also write up to 1,000,000 entries and report RSS then (takes minutes)
#   --orcraft-conf DIR   run orcraft from DIR/node{1,2,3}.conf.json instead of generated
#                        configurations (their data is neither wiped nor removed)
#   --keep               keep the work directory (logs, data, raw results)
#
# Both clusters listen on 127.0.0.1, 127.0.0.2 and 127.0.0.3 (one address per node), keep fsync on
# and their default timeouts (etcd: heartbeat 100 ms, election 1000 ms; orcraft: heartbeat 30 ms,
# election 300 ms). The same orcraft-bench settings drive both (--etcd speaks etcd's JSON
# gateway: one put per request; orcraft: one single-row INSERT per request, 100-byte values).
# Every process the script starts is killed when it exits, however it exits.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/build"
only=""
clients_list="1 16 64"
duration=10
warmup=2
rounds=7
target_mode="leader"
rss_1m=0
orcraft_conf=""
keep=0
# Below Linux's ephemeral range (32768-60999), so that no outgoing connection of this machine
# holds one of them as its local port when a node binds it.
etcd_client_port=27379
etcd_peer_port=27380
orcraft_http_port=27300
orcraft_raft_port=27310

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [[ $# -gt 0 ]]; do
    case "$1" in
        --build) build=$(cd "$2" && pwd); shift 2 ;;
        --only) only="$2"; shift 2 ;;
        --clients) clients_list="$2"; shift 2 ;;
        --duration) duration="$2"; shift 2 ;;
        --warmup) warmup="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        --target) target_mode="$2"; shift 2 ;;
        --rss-1m) rss_1m=1; shift ;;
        --orcraft-conf) orcraft_conf=$(cd "$2" && pwd); shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) usage ;;
        *) echo "compare-etcd.sh: unknown option $1" >&2; usage ;;
    esac
done
[[ "$only" == "" || "$only" == "etcd" || "$only" == "orcraft" ]] || usage
[[ "$target_mode" == "leader" || "$target_mode" == "all" ]] || usage

orcraft_bin="$build/server/orcraft"
bench_bin="$build/bench/orcraft_bench/orcraft-bench"
for f in "$bench_bin" $([[ "$only" != etcd ]] && echo "$orcraft_bin"); do
    [[ -x "$f" ]] || { echo "compare-etcd.sh: $f not found (build it, or give --build)" >&2; exit 1; }
done
if [[ "$only" != orcraft ]] && ! command -v etcd > /dev/null; then
    echo "compare-etcd.sh: etcd not found: scripts/install-deps.sh --bench" >&2
    exit 1
fi
command -v curl > /dev/null || { echo "compare-etcd.sh: curl not found" >&2; exit 1; }

# Another program on one of the ports would answer in a node's place: refuse to start.
port_in_use() { (exec 3<> "/dev/tcp/$1/$2") 2> /dev/null; }
for i in 1 2 3; do
    for port in $etcd_client_port $etcd_peer_port $orcraft_http_port $orcraft_raft_port; do
        if port_in_use "127.0.0.$i" "$port"; then
            echo "compare-etcd.sh: 127.0.0.$i:$port is already in use (another node or benchmark?)" >&2
            exit 1
        fi
    done
done

work=$(mktemp -d /tmp/orcraft-compare.XXXXXX)
results="$work/results"
: > "$results"

# ---- processes --------------------------------------------------------------------------------
declare -A node_pid=()  # "etcd1".."orcraft3" -> pid of the running process

# Nodes are disowned (see start_etcd): they are gone once kill -0 fails (bash reaps them).
gone() { ! kill -0 "$1" 2> /dev/null; }
stop_everything() {
    local name pid
    for name in "${!node_pid[@]}"; do kill -9 "${node_pid[$name]}" 2> /dev/null || true; done
    for name in "${!node_pid[@]}"; do
        pid=${node_pid[$name]}
        for _ in $(seq 100); do gone "$pid" && break; sleep 0.05; done
    done
    node_pid=()
}
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    stop_everything
    # Load generators still running (an interrupted run): children of this shell.
    local child
    for child in $(jobs -p); do kill -9 "$child" 2> /dev/null || true; done
    wait 2> /dev/null || true
    if [[ $keep -eq 1 ]]; then
        echo "work directory kept: $work" >&2
    else
        rm -rf "$work"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
die() { log "error: $*"; exit 1; }

# Polls a command every 0.1 s until it succeeds or `seconds` pass.
wait_until() {
    local seconds=$1; shift
    local until=$((SECONDS + seconds))
    while ! "$@"; do
        [[ $SECONDS -lt $until ]] || return 1
        sleep 0.1
    done
}

# Waits for a node to exit (it was signalled); SIGKILL after `seconds`.
reap() {
    local name=$1 seconds=$2 pid=${node_pid[$1]}
    if ! wait_until "$seconds" gone "$pid"; then
        log "$name did not exit within ${seconds}s: SIGKILL"
        kill -9 "$pid" 2> /dev/null || true
        wait_until 10 gone "$pid" || true
    fi
    unset "node_pid[$name]"
}

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2> /dev/null || echo 0; }
# The largest resident set of the three nodes of `system`, in MiB.
max_rss_mib() {
    local system=$1 i max=0 r
    for i in 1 2 3; do
        r=$(rss_kib "${node_pid[$system$i]}")
        ((r > max)) && max=$r
    done
    awk -v k="$max" 'BEGIN {printf "%.1f", k / 1024}'
}

# Runs orcraft-bench (for `system`) in the background and waits for it, so that a signal to this
# script interrupts the wait at once (the trap then kills it). Its last line of output (the JSON
# summary with --json) is left in $work/bench.last; returns its exit status.
bench() {
    local system=$1; shift
    local flags=()
    [[ $system == etcd ]] && flags=(--etcd)
    "$bench_bin" "${flags[@]}" "$@" > "$work/bench.out" 2>> "$work/bench.err" &
    local pid=$! status=0
    wait "$pid" || status=$?
    tail -1 "$work/bench.out" > "$work/bench.last"
    return "$status"
}
last_json() { cat "$work/bench.last"; }

# A field of orcraft-bench's JSON line (numbers only).
json_field() { grep -o "\"$2\":[-0-9.eE+]*" <<< "$1" | head -1 | cut -d: -f2; }

record() { echo "$1 $2" >> "$results"; }  # key value
# Row ids carry the seed in their high bits: a new seed for every run that writes into the kept
# table, so that no two runs insert the same primary key.
seed=1
bump_seed() { seed=$((seed + 1)); }
value_of() { awk -v k="$1" '$1 == k {print $2}' "$results" | tail -1; }

median() {  # of the numbers given as arguments
    printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {
        if (NR == 0) {print "-"; exit}
        if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ---- etcd -------------------------------------------------------------------------------------
etcd_client_url() { echo "http://127.0.0.$1:$etcd_client_port"; }
etcd_peer_url() { echo "http://127.0.0.$1:$etcd_peer_port"; }

start_etcd() {
    local i=$1 cluster=""
    local j
    for j in 1 2 3; do cluster+="${cluster:+,}e$j=$(etcd_peer_url "$j")"; done
    etcd --name "e$i" --data-dir "$work/etcd$i" \
        --listen-client-urls "$(etcd_client_url "$i")" --advertise-client-urls "$(etcd_client_url "$i")" \
        --listen-peer-urls "$(etcd_peer_url "$i")" --initial-advertise-peer-urls "$(etcd_peer_url "$i")" \
        --initial-cluster "$cluster" --initial-cluster-token orcraft-compare \
        --initial-cluster-state new --logger zap --log-level warn \
        >> "$work/etcd$i.log" 2>&1 &
    node_pid[etcd$i]=$!
    disown "$!"  # no job notices when it is killed; bash still reaps it
}

etcd_healthy() { curl -sf -m 1 "$(etcd_client_url "$1")/health" 2> /dev/null | grep -q '"health":"true"'; }
etcd_all_healthy() { etcd_healthy 1 && etcd_healthy 2 && etcd_healthy 3; }

# The node number (1-3) of the current leader, or nothing.
etcd_leader() {
    local i status member leader
    for i in 1 2 3; do
        [[ -n "${node_pid[etcd$i]:-}" ]] || continue
        status=$(curl -sf -m 1 -XPOST "$(etcd_client_url "$i")/v3/maintenance/status" -d '{}' 2> /dev/null) || continue
        member=$(grep -o '"member_id":"[0-9]*"' <<< "$status" | cut -d'"' -f4)
        leader=$(grep -o '"leader":"[0-9]*"' <<< "$status" | cut -d'"' -f4)
        if [[ -n "$member" && "$member" == "$leader" ]]; then echo "$i"; return 0; fi
    done
    return 1
}

# ---- orcraft ----------------------------------------------------------------------------------
orcraft_conf_file() {
    if [[ -n "$orcraft_conf" ]]; then echo "$orcraft_conf/node$1.conf.json"; else echo "$work/orcraft$1.conf.json"; fi
}
orcraft_url() {
    local listen
    listen=$(grep -o '"ListenAddress" *: *"[^"]*"' "$(orcraft_conf_file "$1")" | sed 's/.*: *"//; s/"$//')
    echo "http://$listen"
}

write_orcraft_configs() {
    local i nodes=""
    for i in 1 2 3; do nodes+="${nodes:+, }\"127.0.0.$i:$orcraft_raft_port\""; done
    for i in 1 2 3; do
        mkdir -p "$work/orcraft$i"
        cat > "$work/orcraft$i.conf.json" << CONF
{
  "ListenAddress": "127.0.0.$i:$orcraft_http_port",
  "RaftEnabled": true,
  "RaftDataDir": "$work/orcraft$i/raft",
  "RaftBind": "127.0.0.$i:$orcraft_raft_port",
  "RaftNodes": [$nodes],
  "BackendDB": "sqlite",
  "SQLite3DataFile": "$work/orcraft$i/orcraft.db"
}
CONF
    done
}

start_orcraft() {
    local i=$1
    (cd "$root" && exec "$orcraft_bin" --config "$(orcraft_conf_file "$i")") >> "$work/orcraft$i.log" 2>&1 &
    node_pid[orcraft$i]=$!
    disown "$!"
}

orcraft_healthy() { curl -sf -m 1 -o /dev/null "$(orcraft_url "$1")/api/health" 2> /dev/null; }
orcraft_all_healthy() { orcraft_healthy 1 && orcraft_healthy 2 && orcraft_healthy 3; }
orcraft_leader() {
    local i
    for i in 1 2 3; do
        [[ -n "${node_pid[orcraft$i]:-}" ]] || continue
        if curl -sf -m 1 -o /dev/null "$(orcraft_url "$i")/api/leader-check" 2> /dev/null; then
            echo "$i"
            return 0
        fi
    done
    return 1
}
# A gauge or counter from a node's /api/metrics (0 when absent).
orcraft_metric() {
    curl -sf -m 1 "$(orcraft_url "$1")/api/metrics" 2> /dev/null |
        awk -v n="$2" '$1 == n {print $2; found = 1} END {if (!found) print 0}'
}

# ---- the same steps for both systems ----------------------------------------------------------
url_of() { if [[ $1 == etcd ]]; then etcd_client_url "$2"; else orcraft_url "$2"; fi; }
leader_of() { if [[ $1 == etcd ]]; then etcd_leader; else orcraft_leader; fi; }
all_healthy() { if [[ $1 == etcd ]]; then etcd_all_healthy; else orcraft_all_healthy; fi; }
start_node() { if [[ $1 == etcd ]]; then start_etcd "$2"; else start_orcraft "$2"; fi; }
all_urls() { echo "$(url_of "$1" 1),$(url_of "$1" 2),$(url_of "$1" 3)"; }

# Waits until every node is healthy and one of them leads.
wait_cluster() {
    local system=$1 i
    wait_until 60 all_healthy "$system" || die "$system: the cluster did not become healthy (logs in $work)"
    for i in 1 2 3; do
        gone "${node_pid[$system$i]}" && die "$system: node $i exited (log: $work/$system$i.log; --keep keeps it)"
    done
    wait_until 30 leader_of "$system" > /dev/null || die "$system: no leader (logs in $work)"
}

# A restarted node has caught up: it applied what the leader had committed when asked.
wait_caught_up() {
    local system=$1 node=$2 leader target
    if [[ $system == etcd ]]; then
        wait_until 60 etcd_all_healthy || die "etcd: node $node did not rejoin"
        return
    fi
    wait_until 60 orcraft_all_healthy || die "orcraft: node $node did not rejoin"
    leader=$(leader_of orcraft) || die "orcraft: no leader after the restart of node $node"
    target=$(orcraft_metric "$leader" orcraft_raft_commit_index)
    applied_reached() { awk -v a="$(orcraft_metric "$node" orcraft_raft_applied_index)" -v t="$target" 'BEGIN {exit !(a >= t)}'; }
    wait_until 60 applied_reached || die "orcraft: node $node did not catch up to index $target"
}

# Writes that succeed through the leader (the cluster is steady before a measurement).
steady_write() {
    local system=$1 leader
    leader=$(leader_of "$system") || return 1
    bump_seed
    bench "$system" --url "$(url_of "$system" "$leader")" --requests 20 --duration 20 \
        --keep-table --no-metrics --quiet --seed "$seed"
}

load_targets() {
    local system=$1 leader
    if [[ $target_mode == all ]]; then all_urls "$system"; return; fi
    leader=$(leader_of "$system") || die "$system: no leader"
    url_of "$system" "$leader"
}

run_system() {
    local system=$1 i c out rounds_done
    log "$system: starting three nodes"
    [[ $system == orcraft && -z "$orcraft_conf" ]] && write_orcraft_configs
    for i in 1 2 3; do start_node "$system" "$i"; done
    wait_cluster "$system"
    # The table for orcraft, a first write for both; then let the nodes settle before the idle RSS.
    bench "$system" --url "$(load_targets "$system")" --requests 1 --duration 30 --no-metrics \
        --quiet || die "$system: first write failed"
    wait_until 30 all_healthy "$system" || true
    record "$system.rss_idle_mib" "$(max_rss_mib "$system")"

    # At 64 clients, like the writes up to a million below: the two RSS figures then differ by
    # the number of writes only, not by the connections and requests in flight.
    log "$system: 10,000 writes"
    bump_seed
    bench "$system" --url "$(load_targets "$system")" --clients 64 --requests 10000 \
        --duration 600 --keep-table --no-metrics --quiet --json --seed "$seed" ||
        die "$system: the 10,000 writes failed"
    out=$(last_json)
    local written
    written=$(json_field "$out" requests)
    record "$system.rss_10k_mib" "$(max_rss_mib "$system")"

    for c in $clients_list; do
        log "$system: $c clients, ${duration}s after ${warmup}s warmup"
        bump_seed
        bench "$system" --url "$(load_targets "$system")" --metrics-url "$(all_urls "$system")" \
            --clients "$c" --duration "$duration" --warmup "$warmup" --keep-table --quiet --json \
            --seed "$seed" || die "$system: the load run with $c clients failed"
        out=$(last_json)
        echo "$system $c $out" >> "$work/load.jsonl"
        record "$system.c$c.rps" "$(json_field "$out" requests_per_s)"
        record "$system.c$c.p50" "$(json_field "$out" p50)"
        record "$system.c$c.p99" "$(json_field "$out" p99)"
        record "$system.c$c.errors" "$(json_field "$out" errors)"
        record "$system.c$c.fsyncs" "$(json_field "$out" fsyncs_per_entry)"
        written=$((written + $(json_field "$out" requests)))
    done

    if [[ $rss_1m -eq 1 && $written -lt 1000000 ]]; then
        log "$system: writing up to 1,000,000 entries ($written so far)"
        bump_seed
        bench "$system" --url "$(load_targets "$system")" --clients 64 \
            --requests $((1000000 - written)) --duration 3600 --keep-table --no-metrics --quiet \
            --seed "$seed" || die "$system: the writes up to 1,000,000 failed"
        record "$system.rss_1m_mib" "$(max_rss_mib "$system")"
    fi

    local signals="KILL"
    [[ $system == orcraft ]] && signals="KILL TERM"
    local signal leader survivors probe seconds
    for signal in $signals; do
        local times=()
        for ((rounds_done = 0; rounds_done < rounds; rounds_done++)); do
            wait_until 60 steady_write "$system" || die "$system: no steady write before round $((rounds_done + 1))"
            leader=$(leader_of "$system") || die "$system: no leader"
            survivors=""
            for i in 1 2 3; do
                [[ $i == "$leader" ]] || survivors+="${survivors:+,}$(url_of "$system" "$i")"
            done
            bump_seed
            bench "$system" --url "$survivors" --kill-pid "${node_pid[$system$leader]}" \
                --signal "$signal" --duration 30 --keep-table --seed "$seed" --json || true
            probe=$(last_json)
            seconds=$(json_field "$probe" seconds)
            if ! grep -q '"ok":true' <<< "$probe"; then
                log "$system: round $((rounds_done + 1)) ($signal): no write acknowledged within 30 s"
                seconds=30
            fi
            times+=("$seconds")
            log "$system: round $((rounds_done + 1)) SIG$signal of node $leader: first write after ${seconds}s"
            reap "$system$leader" 30
            start_node "$system" "$leader"
            wait_caught_up "$system" "$leader"
        done
        echo "$system $signal ${times[*]}" >> "$work/failover.txt"
        record "$system.failover_$signal" "$(median "${times[@]}")"
        record "$system.failover_${signal}_min" "$(printf '%s\n' "${times[@]}" | sort -g | head -1)"
        record "$system.failover_${signal}_max" "$(printf '%s\n' "${times[@]}" | sort -g | tail -1)"
    done

    log "$system: stopping"
    stop_everything
}

# ---- the table --------------------------------------------------------------------------------
# A number with `decimals` decimals, "-" when absent.
num() { awk -v v="$1" -v d="$2" 'BEGIN { if (v == "" || v == "-") print "-"; else printf "%.*f", d, v }'; }
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (a == "" || b == "" || a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'
}
# "yes"/"no" for a target on a value, "-" without the value.
check() {
    local v=$1 op=$2 limit=$3
    [[ -z "$v" || "$v" == "-" ]] && { echo "-"; return; }
    awk -v v="$v" -v l="$limit" -v op="$op" 'BEGIN {
        ok = (op == "<=") ? (v <= l) : (v >= l); print ok ? "yes" : "NO" }'
}
span() {  # "min-max" of a system's failover times, "-" without them
    local lo hi
    lo=$(value_of "$1.failover_$2_min"); hi=$(value_of "$1.failover_$2_max")
    if [[ -z "$lo" ]]; then echo "-"; else echo "$(num "$lo" 2)-$(num "$hi" 2)"; fi
}
row() {  # label, orcraft value, etcd value, ratio, target, met
    printf '%-32s %12s %12s %9s %16s %4s\n' "$1" "${2:--}" "${3:--}" "${4:--}" "${5:-}" "${6:-}"
}

print_table() {
    local c o e r
    echo
    echo "orcraft vs etcd, 3 nodes each on loopback, fsync on; load to: $target_mode; $(nproc) CPUs; $(date -u +%Y-%m-%dT%H:%MZ)"
    [[ -x "$(command -v etcd)" ]] && echo "etcd: $(etcd --version 2> /dev/null | head -1)"
    row "" "orcraft" "etcd" "orc/etcd" "target" "met"
    for c in $clients_list; do
        o=$(value_of "orcraft.c$c.rps"); e=$(value_of "etcd.c$c.rps"); r=$(ratio "$o" "$e")
        if [[ $c -ge 16 ]]; then
            row "writes/s, $c clients" "$(num "$o" 0)" "$(num "$e" 0)" "$r" "ratio >= 2" "$(check "$r" ">=" 2)"
        else
            row "writes/s, $c clients" "$(num "$o" 0)" "$(num "$e" 0)" "$r"
        fi
        o=$(value_of "orcraft.c$c.p50"); e=$(value_of "etcd.c$c.p50"); r=$(ratio "$o" "$e")
        if [[ $c -eq 1 ]]; then
            row "  p50 ms" "$(num "$o" 3)" "$(num "$e" 3)" "$r" "ratio <= 0.5" "$(check "$r" "<=" 0.5)"
        else
            row "  p50 ms" "$(num "$o" 3)" "$(num "$e" 3)" "$r"
        fi
        o=$(value_of "orcraft.c$c.p99"); e=$(value_of "etcd.c$c.p99")
        row "  p99 ms" "$(num "$o" 3)" "$(num "$e" 3)" "$(ratio "$o" "$e")"
        o=$(value_of "orcraft.c$c.fsyncs"); e=$(value_of "etcd.c$c.fsyncs")
        if [[ $c -eq 64 ]]; then
            row "  fsyncs per entry" "$(num "$o" 3)" "$(num "$e" 3)" "$(ratio "$o" "$e")" "orcraft <= 0.2" "$(check "$o" "<=" 0.2)"
        else
            row "  fsyncs per entry" "$(num "$o" 3)" "$(num "$e" 3)" "$(ratio "$o" "$e")"
        fi
        o=$(value_of "orcraft.c$c.errors"); e=$(value_of "etcd.c$c.errors")
        row "  errors" "$o" "$e"
    done
    o=$(value_of orcraft.failover_KILL); e=$(value_of etcd.failover_KILL)
    row "kill -9 leader: first write, s" "$(num "$o" 3)" "$(num "$e" 3)" "$(ratio "$o" "$e")" \
        "median <= 1.0" "$(check "$o" "<=" 1.0)"
    row "  min - max" "$(span orcraft KILL)" "$(span etcd KILL)"
    o=$(value_of orcraft.failover_TERM)
    row "SIGTERM leader: first write, s" "$(num "$o" 3)" "" "" "median <= 0.2" "$(check "$o" "<=" 0.2)"
    row "  min - max" "$(span orcraft TERM)"
    o=$(value_of orcraft.rss_idle_mib); e=$(value_of etcd.rss_idle_mib)
    row "idle RSS MiB (largest node)" "$o" "$e" "$(ratio "$o" "$e")" "orcraft <= 30" "$(check "$o" "<=" 30)"
    o=$(value_of orcraft.rss_10k_mib); e=$(value_of etcd.rss_10k_mib)
    row "RSS MiB after 10k writes" "$o" "$e" "$(ratio "$o" "$e")"
    if [[ $rss_1m -eq 1 ]]; then
        local o1 e1
        o1=$(value_of orcraft.rss_1m_mib); e1=$(value_of etcd.rss_1m_mib)
        row "RSS MiB after 1M writes" "$o1" "$e1" "$(ratio "$o1" "$e1")"
        row "  1M / 10k" "$(ratio "$o1" "$o")" "$(ratio "$e1" "$e")" "" "orcraft <= 2" \
            "$(check "$(ratio "$o1" "$o")" "<=" 2)"
    fi
    echo "failover rounds: $rounds per kind; per-round times:"
    sed 's/^/  /' "$work/failover.txt" 2> /dev/null || true
}

for system in etcd orcraft; do
    [[ -n "$only" && "$only" != "$system" ]] && continue
    run_system "$system"
done
print_table
