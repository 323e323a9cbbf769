#!/usr/bin/env bash
# The benchmark, in one command: builds the release binaries, checks for wrk, PostgreSQL and
# nginx, then runs `target/release/bench` (bench/src/main.rs), which prints one table and
# writes it to bench/results.md. Flags are passed on: `bench/run.sh --seconds 5 --stores 1000`.
# Loopback only; takes about half an hour after the build (three rounds; `--rounds 1` for a
# quick look). `--no-postgres` measures SQLite alone, without PostgreSQL or nginx.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null; then
    echo "bench: wrk is not installed. On Debian or Ubuntu: apt-get install -y wrk" >&2
    exit 1
fi

# The PostgreSQL rows (every scenario but health, home and tampered, on one and two instances)
# need PostgreSQL and nginx, unless they are turned off or `--only` leaves none of their
# scenarios: the names below are bench/src/postgres.rs's SCENARIOS (a test keeps them in step).
postgres_rows=yes
previous=
for arg in "$@"; do
    if [ "$arg" = --no-postgres ]; then
        postgres_rows=no
    fi
    if [ "$previous" = --only ] && ! [[ ",${arg// /}," =~ ,(about|sign-ins|client-credentials|introspect|forward-auth|forward-auth-app|userinfo|jwks|discovery|refresh|code-exchange), ]]; then
        postgres_rows=no
    fi
    previous=$arg
done
if [ "$postgres_rows" = yes ]; then
    missing=()
    if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
        missing+=(PostgreSQL)
    fi
    if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
        missing+=(nginx)
    fi
    if [ ${#missing[@]} -gt 0 ]; then
        echo "bench: ${missing[*]} not installed; the PostgreSQL rows need both PostgreSQL" \
            "and nginx. On Debian or Ubuntu: apt-get install -y postgresql nginx" \
            "(or bench/run.sh --no-postgres to measure SQLite alone)" >&2
        exit 1
    fi
fi

cargo build --release --workspace --bins
exec target/release/bench "$@"
