#!/usr/bin/env bash
# The soak test (not part of scripts/test.sh): builds what is missing (scripts/build.sh, into
# build/), then runs ppe-soak: a real Sanming deployment, a broker and 3 county node daemons on
# loopback; thousands of reports, allocation rounds, ships and receives, while the broker is
# SIGKILLed 50 times and each node daemon a few times; then it drains and verifies that nothing was
# lost or duplicated, every order is once at both its nodes, the dispatch log file matches the
# ledger and `ppe-ctl check` is clean. Prints FAIL lines and exits 1 on any difference; the last
# line is the figures. A few minutes on 2 cores.
# Usage: scripts/soak.sh [--kills N] [--node-kills N] [--reports N] [--seed S] [--keep]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/build.sh" Release
exec "$root/build/tests/ppe-soak" "$@"
