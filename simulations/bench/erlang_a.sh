#!/usr/bin/env bash
# The issue's benchmark: a 100-agent, ~95 %-load single queue (mean handle 180 s,
# exponential patience with mean 120 s) over CALLS calls (default 1,000,000), through the
# real actors with every event written to the log; then SimPy on the same model, in the
# same run, and the ratio.
#
#   simulations/bench/erlang_a.sh [CALLS]
#
# Builds a release binary into $CARGO_TARGET_DIR (default /work/target-bench), installs
# SimPy from PyPI into a throw-away virtual environment, and measures memory with
# /usr/bin/time when it is there.
#
# Status: the SimPy half has been run (100,000 calls: 29,600 calls/s on this machine, with a
# build running beside it); the release build for the hotline half did not finish in the
# session that wrote this script, so that half has not been run yet.
set -euo pipefail
calls=${1:-1000000}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/target-bench}

cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin hotline
hotline="$CARGO_TARGET_DIR/release/hotline"

# 95 % of 100 agents at 180 s: 1900 calls an hour.
per_hour=1900
hours=$(( (calls + per_hour - 1) / per_hour ))
counts=$(yes "$per_hour" | head -n "$hours" | paste -sd, -)
cat > "$work/bench.toml" <<TOML
[scenario]
name = "benchmark: 100 agents at 95 %, $calls calls"
seed = 1
interval = "1h"
drain = "2h"

[[queues]]
id = "q"
strategy = "longest_idle"
wrap_up = "0s"

[[arrivals]]
queue = "q"
calls = [$counts]
talk = { exponential = "180s" }
patience = { exponential = "120s" }

[[agent_groups]]
name = "team"
count = 100
queues = ["q"]
TOML

echo "== hotline simulate ($calls calls)"
if [ -x /usr/bin/time ]; then
  /usr/bin/time -v "$hotline" --data-dir "$work/data" simulate "$work/bench.toml" 2> "$work/time.txt" | tee "$work/hotline.txt"
  grep -E "Maximum resident|Elapsed" "$work/time.txt"
else
  "$hotline" --data-dir "$work/data" simulate "$work/bench.toml" | tee "$work/hotline.txt"
fi
ls -l "$work/data/events.sqlite"
hotline_rate=$(grep -oE '\(([0-9]+) calls/s\)' "$work/hotline.txt" | grep -oE '[0-9]+' | head -n1)

echo "== SimPy ($calls calls)"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet simpy
"$work/venv/bin/python" "$here/simpy_erlang_a.py" --calls "$calls" | tee "$work/simpy.json"
simpy_rate=$("$work/venv/bin/python" -c "import json,sys; print(json.load(open(sys.argv[1]))['calls_per_s'])" "$work/simpy.json")

echo "== hotline $hotline_rate calls/s, SimPy $simpy_rate calls/s: ratio $(python3 -c "print(round($hotline_rate / $simpy_rate, 2))")"
