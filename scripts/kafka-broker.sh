#!/usr/bin/env bash
# Installs the Kafka-protocol test broker (tansu, from crates.io) once and prints its path.
#
# Idempotent: when the pinned binary is already in the cache it only prints the path.
# The build (85 minutes measured here on two cores shared with three other builds; less
# on an idle machine) uses its own target dir under the cache, never the
# workspace's, so it does not disturb the project's build and survives `cargo clean`.
# Only the `libsql` storage engine is built: the tests need durable storage
# (`--storage-engine sqlite://...`) to restart the broker in the middle of appends.
#
#   HOTLINE_CACHE  where tools are cached (default: $HOME/.cache/hotline)
#   prints:        the absolute path of the `tansu` binary (on stdout, alone)
set -euo pipefail

TANSU_VERSION=0.6.0
CACHE="${HOTLINE_CACHE:-$HOME/.cache/hotline}"
ROOT="$CACHE/tansu-$TANSU_VERSION"
BIN="$ROOT/bin/tansu"

mkdir -p "$CACHE"
# One build at a time: CI starts one in the background and the tests' script asks again;
# the second waits here for the first, then finds the binary.
exec 9>"$CACHE/tansu.lock"
flock 9

if [ ! -x "$BIN" ]; then
    echo "== building the tansu $TANSU_VERSION Kafka broker into $ROOT (a long build, once)" >&2
    CARGO_TARGET_DIR="$CACHE/tansu-build" cargo install --locked tansu \
        --version "$TANSU_VERSION" --features libsql \
        --root "$ROOT" >&2
    # The build tree is only needed to build: drop it, the binary is what we keep.
    rm -rf "$CACHE/tansu-build"
fi
echo "$BIN"
