#!/usr/bin/env bash
# Make sure Debian's PostgreSQL server binaries (initdb, pg_ctl, postgres) are installed, so the
# database tests (tests/db) can start their throwaway cluster. Does nothing when they are present;
# otherwise installs the `postgresql` package (with sudo when not root). The tests look for the
# binaries the same way: `pg_config --bindir`, then /usr/lib/postgresql/*/bin.
set -euo pipefail

have_server() {
    local dir
    local candidates=()
    if command -v pg_config >/dev/null 2>&1; then
        dir="$(pg_config --bindir 2>/dev/null || true)"
        [ -n "$dir" ] && candidates+=("$dir")
    fi
    for dir in /usr/lib/postgresql/*/bin; do
        [ -d "$dir" ] && candidates+=("$dir")
    done
    for dir in "${candidates[@]+"${candidates[@]}"}"; do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then
            return 0
        fi
    done
    return 1
}

if have_server; then
    exit 0
fi

if [ "$(id -u)" = 0 ]; then
    SUDO=()
else
    SUDO=(sudo)
fi
echo "ensure-postgres: installing Debian's postgresql package for the database tests" >&2
"${SUDO[@]+"${SUDO[@]}"}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${SUDO[@]+"${SUDO[@]}"}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql

if ! have_server; then
    echo "ensure-postgres: postgresql was installed but initdb/pg_ctl/postgres are still missing" >&2
    exit 1
fi
