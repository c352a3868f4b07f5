#!/usr/bin/env bash
# The issue's benchmark: a 100-agent, ~95 %-load single queue (mean handle 180 s,
# exponential patience with mean 120 s) over CALLS calls (default 1,000,000), through the
# real actors on the virtual clock with every event written to the log; then SimPy on the
# same model, in the same run; then both rates, the ratio and the memory of each. Between
# the two, `benches/log_ceiling.rs` appends the run's events again with no actors: the most
# calls per second this machine's log could take, whatever the actors cost.
#
#   simulations/bench/erlang_a.sh [CALLS]
#
# Builds the release binaries into $CARGO_TARGET_DIR (default the repository's target/; the
# first build takes long) and installs SimPy from PyPI into a throw-away virtual
# environment. Needs about 250 bytes of disk per event (1.7 GB for a million calls) in
# $TMPDIR. Memory is each process's peak resident set (VmHWM).
set -euo pipefail
calls=${1:-1000000}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}

cargo build --release --quiet --workspace --manifest-path "$root/Cargo.toml"
hotline="$CARGO_TARGET_DIR/release/hotline"

# 95 % of 100 agents at 180 s: 1900 calls an hour, for as many hours as CALLS needs (the
# count is Poisson: within a few hundred of CALLS).
per_hour=1900
hours=$(( (calls + per_hour - 1) / per_hour ))
# (Not `yes | head`: yes dies of SIGPIPE, which pipefail turns into a silent exit.)
counts=$(printf "$per_hour,%.0s" $(seq "$hours"))
counts=${counts%,}
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

echo "== hotline simulate ($calls calls, release, every event in $work/data/events.sqlite)"
"$hotline" --data-dir "$work/data" simulate "$work/bench.toml" | tee "$work/hotline.txt"
ls -l "$work/data/events.sqlite"
hotline_rate=$(grep -oE '\(([0-9]+) calls/s\)' "$work/hotline.txt" | grep -oE '[0-9]+' | head -n1)
hotline_mib=$(grep -oE 'peak RSS [0-9.]+' "$work/hotline.txt" | grep -oE '[0-9.]+$' | head -n1)

echo "== the log's ceiling: this day's events appended again, without the actors"
cargo bench --profile release --quiet -p hotline-simulations --bench log_ceiling \
  --manifest-path "$root/Cargo.toml" -- "$work/data" 3 | tee "$work/ceiling.txt"
ceiling=$(grep -oE '[0-9]+ calls/s' "$work/ceiling.txt" | grep -oE '[0-9]+' | tail -n1)
rm -rf "$work/data"

echo "== SimPy ($calls calls)"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet simpy
"$work/venv/bin/python" "$here/simpy_erlang_a.py" --calls "$calls" | tee "$work/simpy.json"
read -r simpy_rate simpy_mib < <("$work/venv/bin/python" -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['calls_per_s'], d['max_rss_mb'])" "$work/simpy.json")

echo "== hotline $hotline_rate calls/s (peak RSS $hotline_mib MiB), SimPy $simpy_rate calls/s (peak RSS $simpy_mib MiB): ratio $(python3 -c "print(round($hotline_rate / $simpy_rate, 2))"); the log alone takes at most $ceiling calls/s here"
