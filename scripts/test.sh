#!/usr/bin/env bash
# The README's test command: installs what the tests need when it is missing, then runs
# every test of the workspace with every feature (the Kafka log included).
#
# - apt (Debian): cmake and the curl headers (rdkafka builds its bundled librdkafka 2.12
#   with cmake; that version's source includes curl.h even with curl off), the PostgreSQL
#   client (the SQL wire test drives psql), Chromium and chromedriver (the wallboard's
#   browser test);
# - the tansu Kafka broker, built once into ~/.cache/hotline by scripts/kafka-broker.sh
#   (the Kafka tests start it on loopback themselves);
# - Python 3 with venv (the third-party-client test installs confluent-kafka from PyPI in
#   a throw-away venv).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v cmake >/dev/null || need+=(cmake)
[ -e /usr/include/curl/curl.h ] || [ -e /usr/include/x86_64-linux-gnu/curl/curl.h ] ||
    need+=(libcurl4-openssl-dev)
command -v psql >/dev/null || need+=(postgresql-client)
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
command -v python3 >/dev/null || need+=(python3)
python3 -c 'import ensurepip, venv' 2>/dev/null || need+=(python3-venv)
if [ "${#need[@]}" -gt 0 ]; then
    echo "== installing ${need[*]} (apt)"
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: the tests need ${need[*]}; install them (apt-get install ${need[*]}) or run this as root" >&2
        exit 2
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

echo "== the Kafka test broker (tansu)"
started=$(date +%s)
HOTLINE_TANSU=$(bash scripts/kafka-broker.sh)
export HOTLINE_TANSU
echo "   $HOTLINE_TANSU ($(($(date +%s) - started)) s)"

echo "== cargo test --workspace --all-features --locked"
cargo test --workspace --all-features --locked
