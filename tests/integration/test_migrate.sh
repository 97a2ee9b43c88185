#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
# idmctl migrate and config check: from scratch, idempotence, checksum
# refusal, missing files, a failing migration leaves nothing behind.
. "$(dirname "$0")/lib.sh" "$1"

newdb migrate_t
N=$(ls "$SRC"/migrations/[0-9][0-9][0-9][0-9]_*.sql | wc -l)
LAST=$(ls "$SRC"/migrations/[0-9][0-9][0-9][0-9]_*.sql | sed 's|.*/\([0-9]*\)_.*|\1|' | sort -n | tail -1)
NEXT=$(printf '%04d' $((10#$LAST + 1)))
idm migrate --status
expect_rc 0 "status on an empty database"
expect_out "pending" "everything is pending before the first run"

idm migrate
expect_rc 0 "migrate from scratch"
expect_out "applied $N migration(s)" "all $N migrations applied"
expect_eq "$(sql 'select count(*) from schema_version')" "$N" "recorded in schema_version"
expect_eq "$(sql "select length(checksum) from schema_version where version = 1")" 64 "SHA-256 checksum stored"

idm migrate
expect_rc 0 "second run"
expect_out "applied 0 migration(s)" "second run is a no-op"

idm migrate --status --json
expect_rc 0 "status --json"
expect_eq "$(json "sorted({m['state'] for m in j})")" "['applied']" "all applied"

# A changed applied file stops everything.
cp -r "$SRC/migrations" "$T_TMP/mig"
echo "-- edited after it ran" >> "$T_TMP/mig/0002_create_persons_accounts.sql"
echo "CREATE TABLE later (id int);" > "$T_TMP/mig/${NEXT}_later.sql"
idm migrate --dir "$T_TMP/mig"
expect_rc 1 "changed migration refused"
expect_err "0002_create_persons_accounts.sql\" was changed" "message names the changed file"
expect_eq "$(sql "select count(*) from schema_version")" "$N" "nothing applied after refusal"
expect_eq "$(sql "select to_regclass('later') is null")" t "pending migration not run"
idm migrate --status --dir "$T_TMP/mig"
expect_rc 1 "status exits 1 when a file changed"
expect_out "CHANGED" "status shows CHANGED"

# A missing applied file is refused too.
cp -r "$SRC/migrations" "$T_TMP/mig2"
rm "$T_TMP/mig2/0003_create_groups_roles.sql"
idm migrate --dir "$T_TMP/mig2"
expect_rc 1 "missing applied migration refused"
expect_err "missing" "message says the file is missing"

# A failing migration is rolled back whole.
cp -r "$SRC/migrations" "$T_TMP/mig3"
printf 'CREATE TABLE half (id int);\nSELECT no_such_function();\n' > "$T_TMP/mig3/${NEXT}_broken.sql"
idm migrate --dir "$T_TMP/mig3"
expect_rc 1 "broken migration fails"
expect_err "${NEXT}_broken.sql\" failed" "message names the broken file"
expect_eq "$(sql "select to_regclass('half') is null")" t "its first statement was rolled back"
expect_eq "$(sql "select count(*) from schema_version")" "$N" "not recorded"
printf 'CREATE TABLE half (id int);\n' > "$T_TMP/mig3/${NEXT}_broken.sql"
idm migrate --dir "$T_TMP/mig3"
expect_rc 0 "fixed migration applies"
expect_eq "$(sql "select count(*) from schema_version")" $((N + 1)) "now recorded"

# Badly named files are errors, not silently skipped.
cp -r "$SRC/migrations" "$T_TMP/mig4"
touch "$T_TMP/mig4/5_oops.sql"
idm migrate --dir "$T_TMP/mig4"
expect_rc 1 "malformed migration name refused"
expect_err "NNNN_name.sql" "message shows the naming rule"

# config check
idm config check
expect_rc 0 "config check on a valid file"
expect_out ": ok" "says ok"
idm config check --connect
expect_rc 0 "config check --connect"
printf '[database]\nconninfo = dbname=x\n\n[password]\nargon2_memory_kib = lots\n' > "$T_TMP/bad.conf"
run "$IDMCTL" --config "$T_TMP/bad.conf" config check
expect_rc 1 "bad value refused"
expect_err "bad.conf:5: [password] argon2_memory_kib" "error names file, line and key"
printf '[database]\nconnifo = dbname=x\n' > "$T_TMP/bad2.conf"
run "$IDMCTL" --config "$T_TMP/bad2.conf" config check
expect_rc 1 "unknown key refused"
expect_err "bad2.conf:2: [database] connifo: unknown key" "unknown key named with its line"
printf '[database]\nconninfo = host=/nonexistent port=1 dbname=x connect_timeout=2\n' > "$T_TMP/down.conf"
run "$IDMCTL" --config "$T_TMP/down.conf" config check --connect
expect_rc 1 "unreachable database"
expect_err "could not connect to the database" "clear message"
run env -u IDM_CONFIG "$IDMCTL" config check
expect_rc 1 "no config given"
expect_err "no configuration" "says how to give one"
run env IDM_CONFIG="$CONF" "$IDMCTL" config check
expect_rc 0 "IDM_CONFIG is honoured"
run "$IDMCTL" --config "$CONF" config check --bogus
expect_rc 2 "unknown option is a usage error"
run "$IDMCTL" --config "$T_TMP/absent.conf" config check
expect_rc 1 "missing config file"
expect_err "absent.conf" "names the missing file"

finish
