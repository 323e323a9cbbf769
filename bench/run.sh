#!/usr/bin/env bash
# The benchmark, in one command: builds the release binaries, checks for wrk, then runs
# `target/release/bench` (src/bin/bench.rs), which prints one table and writes it to
# bench/results.md. Flags are passed on: `bench/run.sh --seconds 5 --stores 1000`.
# Loopback only; takes about eight minutes after the build (three rounds; `--rounds 1`
# for a quick look).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null; then
    echo "bench: wrk is not installed. On Debian or Ubuntu: apt-get install -y wrk" >&2
    exit 1
fi
cargo build --release --bins
exec target/release/bench "$@"
