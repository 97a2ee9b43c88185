#!/bin/sh
# SPDX-License-Identifier: EUPL-1.2
# Smoke test of the PostgreSQL test harness: needs a server started with
# `tests/harness/pg start STATE_DIR`; creates a fresh database, runs a query
# and checks the test settings.  Prints TAP lines, exits non-zero on failure.
set -eu

[ $# -eq 1 ] || { printf '%s\n' "usage: $0 STATE_DIR" >&2; exit 2; }
here=$(CDPATH='' cd "$(dirname "$0")" && pwd -P)
harness=$here/../harness/pg
# shellcheck source=deploy/lib/common.sh
. "$here/../../deploy/lib/common.sh"
# shellcheck source=deploy/lib/pg.sh
. "$here/../../deploy/lib/pg.sh"
state=$1
[ -f "$state/pg.env" ] ||
    { printf '%s\n' "$0: $state/pg.env missing (run tests/harness/pg start $state)" >&2; exit 1; }
set -a
# shellcheck disable=SC1091
. "$state/pg.env"
set +a

psql() { "$IDM_PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }

n=0 failed=0
ok() { n=$((n + 1)); printf 'ok %d - %s\n' "$n" "$1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); printf 'not ok %d - %s\n' "$n" "$1"; }
check() { # check DESCRIPTION EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; printf '#   expected: %s\n#   got:      %s\n' "$2" "$3"; fi
}

printf '1..5\n'

if conninfo=$("$harness" newdb "$state" pg_smoke); then
    ok "newdb pg_smoke prints a conninfo"
else
    not_ok "newdb pg_smoke prints a conninfo"
    conninfo="host=$IDM_TEST_PG_HOST port=$IDM_TEST_PG_PORT dbname=pg_smoke user=idm"
fi
printf '# conninfo: %s\n' "$conninfo"

check "select 1" 1 "$(psql -d "$conninfo" -Atc 'select 1' 2>&1 || :)"
check "fsync is off" off "$(psql -d "$conninfo" -Atc 'SHOW fsync' 2>&1 || :)"
check "database encoding is UTF8" UTF8 \
    "$(psql -d "$conninfo" -Atc 'select pg_encoding_to_char(encoding) from pg_database where datname = current_database()' 2>&1 || :)"

# newdb again must give an empty database even if the old one had data.
psql -d "$conninfo" -c 'create table smoke_marker (x int)' >/dev/null 2>&1 || :
"$harness" newdb "$state" pg_smoke >/dev/null || :
check "newdb recreates the database empty" 0 \
    "$(psql -d "$conninfo" -Atc "select count(*) from pg_class where relname = 'smoke_marker'" 2>&1 || :)"

[ "$failed" -eq 0 ] || { printf '# %d of %d failed\n' "$failed" "$n"; exit 1; }
