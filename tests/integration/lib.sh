# SPDX-License-Identifier: EUPL-1.2
# Shared helpers for the shell integration tests: a fresh database per test
# file, a config for it, command runners and assertions. Prints one
# "ok N - ..." / "not ok N - ..." line per check and "N passed, M failed".
# Usage (first lines of a test): . "$(dirname "$0")/lib.sh" "$1"

set -u
STATE=${1:?usage: $0 STATE_DIR}
SRC=${IDM_SOURCE_DIR:?IDM_SOURCE_DIR is not set}
IDMCTL=${IDMCTL:?IDMCTL is not set}
# shellcheck disable=SC1091
. "$STATE/pg.env"

T_PASS=0
T_FAIL=0
T_N=0
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/idm-test.XXXXXX")
trap 'rm -rf "$T_TMP"' EXIT

# newdb NAME: a fresh database; sets DSN and CONF (fast Argon2 parameters,
# the production defaults are covered by the unit tests).
newdb() {
    DSN=$("$SRC/tests/harness/pg" newdb "$STATE" "$1") || {
        echo "Bail out! cannot create database $1"
        exit 1
    }
    CONF=$T_TMP/$1.conf
    cat > "$CONF" <<CONF_EOF
[database]
conninfo = $DSN
migrations_dir = $SRC/migrations

[password]
argon2_memory_kib = 1024
argon2_iterations = 1
min_length = 10

[log]
level = warn
CONF_EOF
}

# sql QUERY: print the result (unaligned, tuples only).
sql() {
    psql -X -q -A -t -h "$IDM_TEST_PG_HOST" -p "$IDM_TEST_PG_PORT" \
        -U "$IDM_TEST_PG_USER" -d "$(echo "$DSN" | sed 's/.*dbname=\([^ ]*\).*/\1/')" \
        -v ON_ERROR_STOP=1 -c "$1"
}

# snap: row counts of every identity table, audit log and outbox; a
# refused write must leave them all as they were.
snap() {
    sql "select (select count(*) from org_unit) || ' ' ||
                (select count(*) from person) || ' ' ||
                (select count(*) from account) || ' ' ||
                (select count(*) from login_ledger) || ' ' ||
                (select count(*) from person_external_key) || ' ' ||
                (select count(*) from person_group) || ' ' ||
                (select count(*) from group_member) || ' ' ||
                (select count(*) from role_assignment) || ' ' ||
                (select count(*) from guardian_relation) || ' ' ||
                (select count(*) from audit_log) || ' ' ||
                (select count(*) from outbox)"
}

# run CMD...: run with stdin from $STDIN (if set); sets OUT, ERR, RC.
run() {
    if [ -n "${STDIN+x}" ]; then
        printf '%s\n' "$STDIN" | "$@" > "$T_TMP/out" 2> "$T_TMP/err"
    else
        "$@" < /dev/null > "$T_TMP/out" 2> "$T_TMP/err"
    fi
    RC=$?
    OUT=$(cat "$T_TMP/out")
    ERR=$(cat "$T_TMP/err")
    unset STDIN
}

# idm ARGS...: run idmctl with the test config.
idm() {
    run "$IDMCTL" --config "$CONF" "$@"
}

_result() {
    T_N=$((T_N + 1))
    if [ "$1" -eq 0 ]; then
        T_PASS=$((T_PASS + 1))
        echo "ok $T_N - $2"
    else
        T_FAIL=$((T_FAIL + 1))
        echo "not ok $T_N - $2"
        echo "#   rc=$RC"
        printf '%s\n' "$OUT" | head -5 | sed 's/^/#   out: /'
        printf '%s\n' "$ERR" | head -5 | sed 's/^/#   err: /'
        [ -n "${3:-}" ] && echo "#   $3"
    fi
}

# expect_rc N DESC: the last run exited with N.
expect_rc() {
    [ "$RC" -eq "$1" ]
    _result $? "$2" "expected exit $1"
}

# expect_out TEXT DESC / expect_err TEXT DESC: substring of stdout/stderr.
expect_out() {
    case $OUT in *"$1"*) _result 0 "$2" ;; *) _result 1 "$2" "stdout lacks: $1" ;; esac
}
expect_err() {
    case $ERR in *"$1"*) _result 0 "$2" ;; *) _result 1 "$2" "stderr lacks: $1" ;; esac
}

# expect_eq ACTUAL EXPECTED DESC
expect_eq() {
    if [ "$1" = "$2" ]; then
        _result 0 "$3"
    else
        _result 1 "$3" "got \"$1\", expected \"$2\""
    fi
}

# json EXPR: evaluate a Python expression over the last stdout parsed as
# JSON (bound to j) and print the result.
json() {
    printf '%s' "$OUT" | /usr/bin/python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"
}

finish() {
    echo "$T_PASS passed, $T_FAIL failed"
    [ "$T_FAIL" -eq 0 ] && [ "$T_N" -gt 0 ]
    exit $?
}
