#!/usr/bin/env bash
# Benchmarks the service against this machine's own limits and prints ONE table (median, min, max
# over the runs of each figure); every server listens on 127.0.0.1 and is stopped on exit.
# Usage: scripts/bench.sh [--quick] [--json] [--runs N] [--keep] [--build-dir DIR (already built)]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
quick=0 json=0 runs=3 keep=0 bin=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --json) json=1 ;;
    --runs) runs="$2"; shift ;;
    --keep) keep=1 ;;
    --build-dir) bin="$(cd "$2" && pwd)"; shift ;;
    -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ "$runs" -ge 3 ] || { echo "bench.sh: --runs must be at least 3" >&2; exit 2; }

# Sizes: --quick keeps the whole run under ~3 minutes, the full one under ~12.
# dry_runs: timed dry runs per province load; plan_s: seconds of each 10,000 reports/s run with a
# province dry run requested every second (runs of them per province load).
if [ "$quick" = 1 ]; then
  max_s=3 paced_s=2 rates="1000 10000" raw_s=2 restart_events=200000 import_rows=100000 province_runs=1
  dry_runs=5 plan_s=5
else
  max_s=10 paced_s=5 rates="1000 10000 50000" raw_s=3 restart_events=1000000 import_rows=100000 province_runs=$runs
  dry_runs=7 plan_s=8
fi

log() { [ "$json" = 1 ] || printf '\033[2m[%3d s] %s\033[0m\n' "$SECONDS" "$*" >&2; }  # seconds since the start

if [ -z "$bin" ]; then
  log "building (only what is missing)"
  "$root/scripts/build.sh" Release >/dev/null
  bin="$root/build"
fi
ctl="$bin/ctl/ppe-ctl" node="$bin/nodes/ppe-node" broker="$bin/broker/ppe-broker"
loadgen="$bin/bench/ppe-loadgen" rawbench="$bin/bench/ppe-rawbench" restartbench="$bin/bench/ppe-restartbench"

work="$(mktemp -d /tmp/ppe-bench-XXXXXX)"
samples="$work/samples"
: >"$samples"
pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do timeout 10 tail --pid="$pid" -f /dev/null 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; done
  if [ "$keep" = 1 ]; then echo "work folder kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'echo "interrupted; stopping" >&2; exit 130' INT TERM

# --- helpers -------------------------------------------------------------------------------------
sample() { echo "$1 $2" >>"$samples"; }                       # figure value
# A figure that could not be measured: the table says so, and the other figures still run.
failed() { echo "$1" >>"$work/failed"; echo "bench.sh: $1: $2" >&2; }
field() { sed -n "s/.*\"$2\": *\([^,}]*\).*/\1/p" <<<"$1" | head -1 | tr -d '"'; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# A free port pair on loopback (a broker takes N and N+1).
free_ports() {
  local port
  port=$(( 20000 + RANDOM % 30000 ))
  while (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null || (exec 3<>/dev/tcp/127.0.0.1/$((port + 1))) 2>/dev/null; do
    port=$(( 20000 + RANDOM % 30000 ))
  done
  echo "$port"
}
deploy() {  # city-file dir
  "$ctl" init --city "$1" --out "$2" --port-base "$(free_ports)" --bind 127.0.0.1 >/dev/null
}
start_broker() {  # dir; sets broker_pid
  "$broker" --config "$1/broker.yaml" --log-level warn >"$1/logs/broker.out" 2>&1 &
  broker_pid=$!
  pids+=("$broker_pid")
  for _ in $(seq 100); do "$ctl" --config "$1/ctl.yaml" stock --json >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "bench.sh: the broker in $1 did not come up" >&2; exit 1
}
stop_pid() { kill -TERM "$1" 2>/dev/null || true; timeout 10 tail --pid="$1" -f /dev/null || kill -KILL "$1" 2>/dev/null || true; }
start_node() {  # dir county
  "$node" --config "$1/nodes/$2.yaml" run >"$1/logs/$2.out" 2>&1 &
  pids+=($!)
}
pending() { field "$("$node" --config "$1/nodes/$2.yaml" status --json)" outbox_pending; }
wait_drained() {  # dir county timeout_s: 0 once the node's outbox is acknowledged
  local deadline=$(( $(now_ms) + $3 * 1000 ))
  while [ "$(now_ms)" -lt "$deadline" ]; do
    [ "$(pending "$1" "$2")" = 0 ] && return 0
    sleep 0.01
  done
  return 1
}
# On-CPU and run-queue-wait nanoseconds summed over a process's threads: CPU cost per report is a
# figure that holds even when other work on the machine takes the cores.
sched_ns() { cat /proc/"$1"/task/*/schedstat | awk -v f="$2" '{ s += $f } END { printf "%.0f", s }'; }
rss_mib() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
hwm_mib() { awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# --- 1. raw limits and broker throughput, interleaved so each broker run has its raw neighbours --
log "throughput: raw SQLite, raw CURVE and the broker with 12 simulated Sanming nodes ($runs runs)"
d="$work/ingest"
deploy "$root/config/sanming.yaml" "$d"
start_broker "$d"
for r in $(seq "$runs"); do
  out=$("$rawbench" sqlite --seconds "$raw_s" --dir "$d/data" --json)
  sample raw_sqlite "$(field "$out" rows_per_s)"
  out=$("$rawbench" curve --seconds "$raw_s" --json)
  sample raw_curve "$(field "$out" reports_per_s)"
  sample raw_curve_frames "$(field "$out" frames_per_s)"
  cpu0=$(sched_ns "$broker_pid" 1) wait0=$(sched_ns "$broker_pid" 2)
  out=$("$loadgen" --deploy "$d" --seconds "$max_s" --json) || { echo "bench.sh: loadgen run failed: $out" >&2; exit 1; }
  cpu=$(( $(sched_ns "$broker_pid" 1) - cpu0 )) wait=$(( $(sched_ns "$broker_pid" 2) - wait0 ))
  sample broker_max "$(field "$out" reports_per_s)"
  sample broker_max_p99 "$(field "$out" p99_ms)"
  secs=$(field "$out" seconds) acked=$(field "$out" reports_acked)
  sample broker_cpu "$(awk -v c="$cpu" -v s="$secs" 'BEGIN { printf "%.2f", c / 1e9 / s }')"
  sample broker_wait "$(awk -v c="$wait" -v s="$secs" 'BEGIN { printf "%.2f", c / 1e9 / s }')"
  sample broker_us_per_report "$(awk -v c="$cpu" -v n="$acked" 'BEGIN { printf "%.2f", c / 1e3 / n }')"
  log "  run $r: broker $(field "$out" reports_per_s) reports/s"
done

# --- 2. ack latency at fixed offered rates ------------------------------------------------------
for rate in $rates; do
  log "ack latency at $rate reports/s offered ($runs runs of ${paced_s} s)"
  for _ in $(seq "$runs"); do
    out=$("$loadgen" --deploy "$d" --rate "$rate" --seconds "$paced_s" --json) || { echo "bench.sh: paced run failed: $out" >&2; exit 1; }
    for q in p50 p99 p999; do sample "lat_${rate}_$q" "$(field "$out" "${q}_ms")"; done
  done
done
sample broker_rss_ingest "$(rss_mib "$broker_pid")"
stop_pid "$broker_pid"

# --- 3. end to end with real ppe-node daemons ---------------------------------------------------
log "end to end: demand -> dispatch order at the source node; import of $import_rows CSV rows ($runs runs)"
d="$work/e2e"
deploy "$root/config/sanming.yaml" "$d"
start_broker "$d"
start_node "$d" meilie; e2e_nodes=($!)
start_node "$d" sanyuan; e2e_nodes+=($!)
"$node" --config "$d/nodes/meilie.yaml" stock meilie-wh mask.n95 1000000 >/dev/null
wait_drained "$d" meilie 20 || { echo "bench.sh: meilie did not drain" >&2; exit 1; }
# Tier-1 sites of Meilie, one per run: a fresh demand each time, so each round has something to do.
mapfile -t sites < <("$ctl" --config "$d/ctl.yaml" sites --csv | awk -F, 'NR > 1 && $2 == "meilie" { print $1 }')
for r in $(seq "$runs"); do
  site="${sites[$(( r - 1 ))]}"
  t0=$(now_ms)
  "$node" --config "$d/nodes/meilie.yaml" demand "$site" mask.n95 --on-hand 0 --daily-use 100 >/dev/null
  wait_drained "$d" meilie 20 || { echo "bench.sh: demand not acknowledged" >&2; exit 1; }
  t1=$(now_ms)
  "$ctl" --config "$d/ctl.yaml" allocate --json >"$d/round-$r.json"
  got=0
  for _ in $(seq 2000); do  # 20 s at most
    if "$node" --config "$d/nodes/meilie.yaml" orders --json | grep -q "\"to_site\": \"$site\""; then got=1; break; fi
    sleep 0.01
  done
  [ "$got" = 1 ] || { echo "bench.sh: no order for $site reached meilie" >&2; exit 1; }
  t2=$(now_ms)
  sample e2e_demand_order "$(( t2 - t0 ))"
  sample e2e_demand_acked "$(( t1 - t0 ))"
done
awk -v n="$import_rows" 'BEGIN { print "type,place,item,quantity,daily_use,source,from";
  for (i = 0; i < n; i++) print "receipt,sanyuan-wh,mask.surgical,1,,production," }' >"$d/import.csv"
for r in $(seq "$runs"); do
  t0=$(now_ms)
  "$node" --config "$d/nodes/sanyuan.yaml" import "$d/import.csv" >/dev/null
  t1=$(now_ms)
  wait_drained "$d" sanyuan 60 || { failed import_applied "not applied within 60 s (see $d/logs)"; break; }
  t2=$(now_ms)
  sample import_applied "$(awk -v ms="$(( t2 - t0 ))" 'BEGIN { printf "%.3f", ms / 1000 }')"
  sample import_local "$(awk -v ms="$(( t1 - t0 ))" 'BEGIN { printf "%.3f", ms / 1000 }')"
done
for p in "${e2e_nodes[@]}"; do stop_pid "$p"; done
stop_pid "$broker_pid"

# --- 4. restart to serving with N events stored -------------------------------------------------
log "restart: filling a broker store with $restart_events events, then $runs timed restarts"
d="$work/restart"
deploy "$root/config/sanming.yaml" "$d"
"$restartbench" --deploy "$d" --broker "$broker" --events "$restart_events" --runs "$runs" --json >"$d/restart.json"
while read -r line; do
  sample restart "$(field "$line" restart_ms)"
  sample restart_rss "$(field "$line" peak_rss_mib)"
done <"$d/restart.json"

# --- 5. province scale: 100 counties, 10,000 sites ----------------------------------------------
# Per province load: broker RSS once 100 county nodes have imported and drained; then, the node
# daemons stopped, timed dry runs through ppe-ctl on a quiet broker and the longest loop cycle
# they caused; then ack latency at 10,000 reports/s, each run without dry runs followed by one
# with a dry run requested every second.
log "province: 100 county nodes import and drain, $dry_runs dry runs through ppe-ctl, $runs runs of ${plan_s} s at 10,000 reports/s without, then with, a dry run every second ($province_runs loads)"
"$bin/tests/ppe-province" --out "$work/province.yaml" --csv-dir "$work/province-csv"
longest_cycle() { field "$(timeout 30 "$ctl" --config "$1/ctl.yaml" status --json 2>/dev/null || true)" longest_cycle_ms_10s; }
dry_run() {  # dir -> the wall ms of one `ppe-ctl allocate --dry-run --json`; fails when ppe-ctl does
  local t0
  t0=$(now_ms)
  timeout 30 "$ctl" --config "$1/ctl.yaml" allocate --dry-run --json >/dev/null 2>>"$1/logs/dry-run.err" || return 1
  echo $(( $(now_ms) - t0 ))
}
dry_run_every_second() {  # dir seconds out: from 0.5 s on, a dry run at each whole second, until 0.8 s before the end
  local start end k=0 ms wait_ms
  start=$(( $(now_ms) + 500 )) end=$(( $(now_ms) + $2 * 1000 - 800 ))
  sleep 0.5
  while [ "$(now_ms)" -lt "$end" ]; do
    if ms=$(dry_run "$1"); then echo "$ms" >>"$3"; else echo failed >>"$3"; fi
    k=$(( k + 1 ))
    wait_ms=$(( start + k * 1000 - $(now_ms) ))
    [ "$wait_ms" -le 0 ] || sleep "$(awk -v m="$wait_ms" 'BEGIN { printf "%.3f", m / 1000 }')"
  done
}
# One paced run at 10,000 reports/s against a province broker (as lat_10000_*: 12 county keys, 10
# reports a frame, a frame a ms), its p99 sampled as `figure`; $out holds loadgen's JSON after it.
paced_run() {  # dir figure
  if out=$("$loadgen" --deploy "$1" --nodes 12 --rate 10000 --seconds "$plan_s" --json); then
    sample "$2" "$(field "$out" p99_ms)"
  else
    failed "$2" "loadgen run failed or reports refused: $out"
    return 1
  fi
}
# ppe-web at province scale: the city page's wall time (warm), ppe-web's peak RSS, and ack p99 at
# 10,000 reports/s with ppe-web running, each run without clients followed by one while 10 people
# keep the city page open (ppe-webclients: one kept-alive connection each, /api/version every
# 1.5 s and the page again when the version moved, as the page's script does).
web_figures() {  # dir
  local web_log="$1/logs/web.out" url="" web_pid t i clients plain
  "$bin/web/ppe-web" --config "$1/web.yaml" --listen 127.0.0.1:0 >"$web_log" 2>&1 &
  web_pid=$!
  pids+=("$web_pid")
  for _ in $(seq 100); do
    url=$(sed -n 's|^ppe-web: \(http://[^ ]*/\) .*|\1|p' "$web_log" | head -1)
    [ -n "$url" ] && break
    sleep 0.1
  done
  if [ -z "$url" ]; then
    failed web_city_page "ppe-web did not start (see $web_log)"
    stop_pid "$web_pid"
    return 0
  fi
  curl -s --max-time 30 -o /dev/null "$url" || true  # the first load fills its caches
  for _ in $(seq "$dry_runs"); do
    if t=$(curl -s --max-time 30 -o /dev/null -w '%{time_total}' "$url"); then
      sample web_city_page "$(awk -v s="$t" 'BEGIN { printf "%.1f", s * 1000 }')"
    fi
  done
  for i in $(seq "$runs"); do
    paced_run "$1" web_idle_ack_p99 || true
    plain=$(field "$out" p99_ms)
    # The clients stand for browsers on other machines: niced, so their own CPU is not the broker's.
    nice -n 19 "$bin/bench/ppe-webclients" --url "$url" --clients 10 --seconds "$(( plan_s + 1 ))" --json \
      >"$1/web-clients-$i.json" 2>>"$1/logs/web-clients.err" &
    clients=$!
    sleep 0.5
    paced_run "$1" web_ack_p99 || true
    if wait "$clients"; then
      sample web_busy_page_p99 "$(field "$(cat "$1/web-clients-$i.json")" page_p99_ms)"
    else
      failed web_busy_page_p99 "a client's request failed (see $1/logs/web-clients.err)"
    fi
    log "  ppe-web run $i: ack p99 ${plain:-?} ms without clients, $(field "$out" p99_ms) ms with 10; $(field "$(cat "$1/web-clients-$i.json")" pages) pages, p99 $(field "$(cat "$1/web-clients-$i.json")" page_p99_ms) ms"
  done
  sample web_rss "$(hwm_mib "$web_pid")"
  log "  ppe-web: city page $(awk '$1 == "web_city_page" { printf "%s ", $2 }' "$samples")ms; peak RSS $(hwm_mib "$web_pid") MiB"
  stop_pid "$web_pid"
}
for r in $(seq "$province_runs"); do
  d="$work/province-$r"
  deploy "$work/province.yaml" "$d"
  start_broker "$d"
  counties=$(ls "$work/province-csv" | sed 's/\.csv$//')
  # Two imports at a time (two cores): each is mostly a process start and a local fsync.
  printf '%s\n' $counties | xargs -P 2 -I{} "$node" --config "$d/nodes/{}.yaml" import "$work/province-csv/{}.csv" >/dev/null
  node_pids=()
  for c in $counties; do start_node "$d" "$c"; node_pids+=($!); done
  # One status call sees every county: drained when none is behind and all but the city applied.
  # Not polled faster: at province scale each status call costs the broker tens of ms.
  n=$(echo "$counties" | wc -w)
  drained=0
  for _ in $(seq 240); do  # 120 s at most
    st=$(timeout 30 "$ctl" --config "$d/ctl.yaml" status --json 2>/dev/null || true)
    if [ "$(grep -c '"reports_behind": 0' <<<"$st")" -ge "$n" ] &&
       [ "$(grep -c '"reports_applied": 0,' <<<"$st")" -le 1 ]; then drained=1; break; fi
    sleep 0.5
  done
  [ "$drained" = 1 ] || { echo "bench.sh: the province did not drain in 120 s" >&2; exit 1; }
  sample province_rss "$(rss_mib "$broker_pid")"
  # The daemons go before anything is timed: 100 idle ones still take most of the two cores, and
  # the load generator below reports with their keys.
  for p in "${node_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${node_pids[@]}"; do stop_pid "$p"; done
  # status's 10 s window must hold only the dry runs: the cycles of the drain and of 100 nodes
  # going away have to age out of it first.
  sleep 11
  ok=0 quiet_ms=""
  for _ in $(seq "$dry_runs"); do
    if ms=$(dry_run "$d"); then sample province_dry_run "$ms"; ok=$(( ok + 1 )) quiet_ms+="$ms "; fi
  done
  [ "$ok" = "$dry_runs" ] || failed province_dry_run "$(( dry_runs - ok )) of $dry_runs dry runs failed (see $d/logs/dry-run.err)"
  cycle=$(longest_cycle "$d")
  if [ -n "$cycle" ] && [ "$ok" -gt 0 ]; then sample province_dry_run_cycle "$cycle"
  else failed province_dry_run_cycle "no loop.longest_cycle_ms_10s from status after the dry runs"; fi
  sample province_hwm "$(hwm_mib "$broker_pid")"
  log "  load $r: dry runs ${quiet_ms}ms; longest cycle ${cycle:-?} ms"
  # Ack latency at 10,000 reports/s (paced as lat_10000_*: 12 county keys, 10 reports a frame, a
  # frame a ms) with a province dry run requested every second meanwhile. Each such run follows a
  # run without dry runs on the same broker: the difference is the dry runs', not the machine's.
  for i in $(seq "$runs"); do
    paced_run "$d" province_ack_p99 || true
    plain_p99=$(field "$out" p99_ms)
    : >"$d/plan-$i.ms"
    dry_run_every_second "$d" "$plan_s" "$d/plan-$i.ms" &
    planner_loop=$!
    pids+=("$planner_loop")
    wait0=$(sched_ns "$broker_pid" 2)
    if paced_run "$d" ack_p99_during_dry_run; then
      sample province_plan_wait "$(awk -v w="$(( $(sched_ns "$broker_pid" 2) - wait0 ))" -v s="$(field "$out" seconds)" 'BEGIN { printf "%.2f", w / 1e9 / s }')"
    fi
    timeout 60 tail --pid="$planner_loop" -f /dev/null || kill -TERM "$planner_loop" 2>/dev/null || true
    made=$(grep -c '^[0-9]' "$d/plan-$i.ms" || true)
    while read -r ms; do sample province_dry_run_ingest "$ms"; done < <(grep '^[0-9]' "$d/plan-$i.ms")
    if grep -q failed "$d/plan-$i.ms" || [ "$made" -lt 1 ]; then
      failed province_dry_run_ingest "$(grep -c failed "$d/plan-$i.ms" || true) dry runs failed, $made made during run $i (see $d/logs/dry-run.err)"
    fi
    log "  run $i: ack p99 ${plain_p99:-?} ms without dry runs, $(field "$out" p99_ms) ms (max $(field "$out" max_ms)) with $made: $(grep '^[0-9]' "$d/plan-$i.ms" | tr '\n' ' ')ms"
  done
  web_figures "$d"
  stop_pid "$broker_pid"
done
# ppe-bench-allocate reports its own median/min/max; kept as three samples of one figure.
if out=$("$bin/tests/ppe-bench-allocate" --runs "$runs" --json); then
  for k in median_ms min_ms max_ms; do sample province_round "$(field "$out" "$k")"; done
  sample province_round_lines "$(field "$out" with_batch_lines_median_ms)"
else
  failed province_round "ppe-bench-allocate failed: $out"
  failed province_round_lines "ppe-bench-allocate failed"
fi
# ppe-tracebench: `trace --donor` of one donation that went out in 10,000 orders (its own median).
if out=$("$bin/bench/ppe-tracebench" --orders 10000 --runs "$runs" --json); then
  for k in median_ms min_ms max_ms; do sample trace_donor "$(field "$out" "$k")"; done
else
  failed trace_donor "ppe-tracebench failed: $out"
fi

# --- the table ----------------------------------------------------------------------------------
# figure | what | unit | target (>= or <=, or -)
rows='raw_sqlite|raw SQLite inserts, 100 rows a txn, WAL+FULL|rows/s|-
raw_curve|raw CURVE DEALER->ROUTER, loadgen frames|reports/s|-
raw_curve_frames|raw CURVE frames|frames/s|-
broker_max|broker durable reports, 12 CURVE nodes, ack after commit|reports/s|>=100000
broker_cpu|broker CPU during that run (all threads)|cores|-
broker_wait|broker threads runnable but waiting for a core|cores|-
broker_us_per_report|broker CPU per durable report|us|-
broker_max_p99|ack latency p99 at max throughput|ms|-'
for rate in $rates; do
  t='-'; [ "$rate" = 10000 ] && t='<=10'
  rows+="
lat_${rate}_p50|ack latency p50 at $rate reports/s|ms|-
lat_${rate}_p99|ack latency p99 at $rate reports/s|ms|$t
lat_${rate}_p999|ack latency p99.9 at $rate reports/s|ms|-"
done
rows+="
e2e_demand_acked|demand report acknowledged by the broker|ms|-
e2e_demand_order|demand report -> order stored at the source node|ms|-
import_local|ppe-node import of $import_rows rows, local write|s|-
import_applied|ppe-node import of $import_rows rows applied at broker|s|<2
restart|broker restart to serving, $restart_events events|ms|<=2000
restart_rss|broker peak RSS after that restart|MiB|-
broker_rss_ingest|broker RSS after the ingest runs|MiB|-
province_rss|broker RSS, province loaded (100 nodes)|MiB|<=200
province_hwm|broker peak RSS after a province round|MiB|-
province_dry_run|ppe-ctl allocate --dry-run --json, province, quiet broker|ms|<=300
province_dry_run_cycle|longest broker loop cycle during those dry runs|ms|<=20
province_ack_p99|ack latency p99 at 10000 reports/s, province, no dry runs|ms|-
ack_p99_during_dry_run|ack latency p99 at 10000 reports/s, province dry run every 1 s|ms|<=10
province_dry_run_ingest|ppe-ctl allocate --dry-run --json during those runs|ms|-
province_plan_wait|broker threads runnable but waiting for a core, those runs|cores|-
web_city_page|ppe-web city page, province (warm, curl)|ms|<=300
web_rss|ppe-web peak RSS, province, 10 clients polling|MiB|<=100
web_idle_ack_p99|ack latency p99 at 10000 reports/s, province, ppe-web, no clients|ms|-
web_ack_p99|ack latency p99 at 10000 reports/s, province, 10 web clients|ms|<=10
web_busy_page_p99|ppe-web city page p99 for those clients, during ingest|ms|<=300
province_round|allocation round, province, in process (ppe-bench-allocate)|ms|<100
province_round_lines|the same round with its orders split into batch lines|ms|<150
trace_donor|trace --donor of a donation in 10000 orders, in process (ppe-tracebench)|ms|<200"

stats() {  # figure -> "median min max n"
  awk -v k="$1" '$1 == k { print $2 }' "$samples" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) { print "- - - 0"; exit }
      m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m, v[1], v[NR], NR }'
}
verdict() {  # value target
  awk -v v="$1" -v t="$2" 'BEGIN {
    if (t == "-" || v == "-") { print ""; exit }
    op = substr(t, 1, 1) == "<" ? "<" : ">"; eq = substr(t, 2, 1) == "="; x = substr(t, eq ? 3 : 2) + 0
    ok = op == "<" ? (eq ? v <= x : v < x) : (eq ? v >= x : v > x); print ok ? "met" : "MISSED" }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
broker_med=$(stats broker_max | cut -d' ' -f1)
ratio_sqlite=$(ratio "$broker_med" "$(stats raw_sqlite | cut -d' ' -f1)")
ratio_curve=$(ratio "$broker_med" "$(stats raw_curve | cut -d' ' -f1)")
load=$(cut -d' ' -f1-3 /proc/loadavg)

if [ "$json" = 1 ]; then
  printf '{"quick":%s,"runs":%s,"loadavg":"%s","figures":{' "$quick" "$runs" "$load"
  sep=""
  while IFS='|' read -r key what unit target; do
    read -r med min max n <<<"$(stats "$key")"
    grep -qx "$key" "$work/failed" 2>/dev/null && target="$target FAILED"
    printf '%s"%s":{"what":"%s","unit":"%s","median":%s,"min":%s,"max":%s,"n":%s,"target":"%s","verdict":"%s"}' \
      "$sep" "$key" "$what" "$unit" "${med/-/null}" "${min/-/null}" "${max/-/null}" "$n" "$target" "$(verdict "$med" "$target")"
    sep=","
  done <<<"$rows"
  printf '},"broker_vs_raw_sqlite":%s,"broker_vs_raw_curve":%s,"ratio_target":">=0.5 of raw SQLite","ratio_verdict":"%s"}\n' \
    "$ratio_sqlite" "$ratio_curve" "$(verdict "$ratio_sqlite" '>=0.5')"
else
  printf '\n%-58s %12s %12s %12s %3s %-10s %s\n' "figure" "median" "min" "max" "n" "unit" "target"
  while IFS='|' read -r key what unit target; do
    read -r med min max n <<<"$(stats "$key")"
    grep -qx "$key" "$work/failed" 2>/dev/null && target="$target FAILED"
    printf '%-58s %12s %12s %12s %3s %-10s %s %s\n' "$what" "$med" "$min" "$max" "$n" "$unit" \
      "$([ "$target" = - ] && echo "" || echo "$target")" "$(verdict "$med" "$target")"
  done <<<"$rows"
  printf '%-58s %12s %12s %12s %3s %-10s %s %s\n' "broker rate / raw SQLite rate (medians)" "$ratio_sqlite" "" "" "" "ratio" ">=0.5" "$(verdict "$ratio_sqlite" '>=0.5')"
  printf '%-58s %12s %12s %12s %3s %-10s\n' "broker rate / raw CURVE rate (medians)" "$ratio_curve" "" "" "" "ratio"
  echo "load average at the end: $load ($(nproc) cores)"
fi
