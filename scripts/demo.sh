#!/usr/bin/env bash
# The Sanming demo: builds if needed, inits a deployment in a temporary folder, starts the broker
# and all 13 nodes, feeds stock, receipts and demand, prints the city's status, runs an allocation
# round, has the counties ship and receive, shows the dispatch log, and stops everything cleanly.
# Usage: scripts/demo.sh [--keep]   (--keep leaves the deployment folder for a look afterwards)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
keep=0
[ "${1:-}" = "--keep" ] && keep=1

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "building (only what is missing)"
"$root/scripts/build.sh" Release >/dev/null
bin="$root/build"
ctl="$bin/ctl/ppe-ctl"
node="$bin/nodes/ppe-node"
broker="$bin/broker/ppe-broker"

dir="$(mktemp -d /tmp/ppe-demo-XXXXXX)"
pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$keep" = 1 ]; then echo "deployment kept in $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'echo "interrupted; stopping"; exit 130' INT TERM

# A free port pair on loopback (the broker takes N and N+1).
port=$(( 20000 + RANDOM % 30000 ))
while (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null || (exec 3<>/dev/tcp/127.0.0.1/$((port + 1))) 2>/dev/null; do
  port=$(( 20000 + RANDOM % 30000 ))
done

step "ppe-ctl init: a Sanming deployment in $dir (port $port)"
"$ctl" init --city "$root/config/sanming.yaml" --out "$dir" --port-base "$port"

step "starting the broker and 13 node agents"
"$broker" --config "$dir/broker.yaml" >"$dir/logs/broker.out" 2>&1 &
pids+=($!)
counties=$(ls "$dir/nodes" | sed 's/\.yaml$//')
for c in $counties; do
  "$node" --config "$dir/nodes/$c.yaml" run >"$dir/logs/$c.out" 2>&1 &
  pids+=($!)
done
for _ in $(seq 100); do "$ctl" --config "$dir/ctl.yaml" sites --csv >"$dir/sites.csv" 2>/dev/null && break; sleep 0.1; done
echo "broker and nodes up; $(($(wc -l <"$dir/sites.csv") - 1)) frontline sites"

step "county operators record stock, receipts and site demand (one CSV import per county)"
# Illustrative February 2020 figures: warehouses hold about two days of their county's use (scarce),
# donations and production arrive, each site reports what it has left. Daily use defaults to
# headcount x the item's per-head use in the city file.
for c in $counties; do
  [ "$c" = city ] && continue
  awk -F, -v c="$c" '
    BEGIN { print "type,place,item,quantity,daily_use,source,from" }
    NR > 1 && $2 == c {
      head += $NF; n++
      printf "demand,%s,mask.n95,%d,,,\n", $1, $NF * (n % 3)
      printf "demand,%s,mask.surgical,%d,,,\n", $1, $NF * 2 * (n % 4)
      printf "demand,%s,disinfectant,%d,,,\n", $1, $NF * 0.2 * (n % 5)
      printf "demand,%s,sanitizer,%d,,,\n", $1, $NF * 0.1 * (n % 2)
    }
    END {
      printf "stock,%s-wh,mask.n95,%d,,,\n", c, int(head * 2 / 50) * 50
      printf "stock,%s-wh,mask.surgical,%d,,,\n", c, int(head * 3 / 50) * 50
      printf "stock,%s-wh,disinfectant,%d,,,\n", c, int(head * 0.3 / 20) * 20
      printf "stock,%s-wh,sanitizer,%d,,,\n", c, int(head * 0.2 / 24) * 24
      printf "receipt,%s-wh,mask.surgical,%d,,production,county mask line\n", c, 2000 + 500 * length(c)
      printf "receipt,%s-wh,sanitizer,%d,,donation,\"Fujian Red Cross, %s branch\"\n", c, 48 * length(c), c
    }' "$dir/sites.csv" >"$dir/$c-reports.csv"
  "$node" --config "$dir/nodes/$c.yaml" import "$dir/$c-reports.csv"
done
"$node" --config "$dir/nodes/city.yaml" stock city-reserve mask.n95 20000
"$node" --config "$dir/nodes/city.yaml" receipt city-reserve disinfectant 2000 --source donation --from "Sanming Federation of Trade Unions"

drained() {
  for c in $counties; do
    "$node" --config "$dir/nodes/$c.yaml" status --json | grep -q '"outbox_pending": 0' || return 1
  done
}
for _ in $(seq 200); do drained && break; sleep 0.1; done
drained || { echo "reports did not reach the broker in time" >&2; exit 1; }

step "ppe-ctl status: the coordinator's screen"
"$ctl" --config "$dir/ctl.yaml" status

step "ppe-ctl allocate --dry-run: tier 1 (hospitals, fever clinics) is served first"
"$ctl" --config "$dir/ctl.yaml" allocate --dry-run >"$dir/plan.txt"
head -40 "$dir/plan.txt"; echo "... (the whole plan: $dir/plan.txt)"

step "ppe-ctl allocate: the round is committed and its orders go down to the nodes"
"$ctl" --config "$dir/ctl.yaml" allocate >"$dir/round.txt"
head -1 "$dir/round.txt"

orders_of() {  # county, role: the ids of its open orders in that role
  "$node" --config "$dir/nodes/$1.yaml" orders --open --csv | awk -F, -v r="$2" -v s="$3" 'NR > 1 && $2 == r && $3 ~ s { print $1 }'
}
sleep 1
step "the county warehouses ship their orders"
for c in $counties; do
  for id in $(orders_of "$c" ship "created|accepted"); do "$node" --config "$dir/nodes/$c.yaml" ship "$id" >/dev/null; done
done
for _ in $(seq 100); do drained && break; sleep 0.1; done
sleep 1.5
"$node" --config "$dir/nodes/sanyuan.yaml" orders --open >"$dir/sanyuan-orders.txt"
head -8 "$dir/sanyuan-orders.txt"

step "the sites receive them (one short delivery, to show a discrepancy)"
short=1
for c in $counties; do
  for id in $(orders_of "$c" incoming shipped); do
    if [ "$short" = 1 ]; then
      "$node" --config "$dir/nodes/$c.yaml" receive "$id" --qty 0
      short=0
    else
      "$node" --config "$dir/nodes/$c.yaml" receive "$id" >/dev/null
    fi
  done
done
for _ in $(seq 100); do drained && break; sleep 0.1; done

step "ppe-ctl log: the dispatch log (last events), and its CSV export"
"$ctl" --config "$dir/viewer.yaml" log >"$dir/dispatch-log.txt"
head -3 "$dir/dispatch-log.txt"; echo "..."; tail -5 "$dir/dispatch-log.txt"
"$ctl" --config "$dir/viewer.yaml" log --csv >"$dir/dispatch-log.csv"
echo "CSV export: $(($(wc -l <"$dir/dispatch-log.csv") - 1)) events in $dir/dispatch-log.csv; JSON lines in $dir/logs/dispatch.jsonl"

step "ppe-ctl check: the ledger explains every figure"
"$ctl" --config "$dir/ctl.yaml" check

step "ppe-ctl status after the round"
"$ctl" --config "$dir/ctl.yaml" status

step "stopping every process"
