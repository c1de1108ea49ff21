#!/usr/bin/env bash
# The suite must not flake on a busy machine: run `make test` three times in a row while two
# CPU hogs run. Exits non-zero at the first failing run; prints each run's wall time.
#
#   scripts/stress-test.sh            # from the repository root (or: make stress)
#   RUNS=5 HOGS=3 scripts/stress-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
HOGS=${HOGS:-2}
PYTHON=${PYTHON:-python3}
hogs=()

stop_hogs() {
    for pid in "${hogs[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${hogs[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
}
trap stop_hogs EXIT INT TERM

for _ in $(seq "$HOGS"); do
    "$PYTHON" -c 'while True: pass' &
    hogs+=("$!")
done
echo "stress: ${HOGS} CPU hogs running (pids ${hogs[*]}), make test × ${RUNS}"

for run in $(seq "$RUNS"); do
    start=$(date +%s)
    if ! make test; then
        echo "stress: run ${run}/${RUNS} FAILED after $(( $(date +%s) - start )) s" >&2
        exit 1
    fi
    echo "stress: run ${run}/${RUNS} passed in $(( $(date +%s) - start )) s"
done
echo "stress: ${RUNS}/${RUNS} runs passed with ${HOGS} CPU hogs"
