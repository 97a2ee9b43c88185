#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
# Databases that ran an earlier text of the schema end in the same state:
# 0007 as merged or as edited later (outbox_commit_order_idx or
# outbox_txid_id_idx, repaired by 0016), with or without the lsync.*
# tables and the index that idm-ldap-sync created itself before 0015.
# A database not migrated that far is refused by idm-ldap-sync.
. "$(dirname "$0")/lib.sh" "$1"

# 0007 as edited by commit 99ed263; restored to its merged text since.
EDITED_0007='-- SPDX-License-Identifier: EUPL-1.2
-- Consumers read the outbox in commit order, (txid, id) after their last
-- position (ldap-sync: source.c, export.c, status.c); nothing reads it by
-- (aggregate, key). That index cost a random insertion per event (keys
-- are UUIDs) and served no query. The (txid, id) index was created by
-- idm-ldap-sync on its first start until now (hence IF NOT EXISTS); events
-- are appended in (txid, id) order, so it grows at its right edge.

DROP INDEX outbox_key_idx;
CREATE INDEX IF NOT EXISTS outbox_txid_id_idx ON outbox (txid, id);'

# What idm-ldap-sync ran on every start before migration 0015 (its first
# version also created the outbox index).
OLD_SYNC_SCHEMA="SELECT pg_advisory_xact_lock(7238310412);
CREATE SCHEMA IF NOT EXISTS lsync;
CREATE TABLE IF NOT EXISTS lsync.checkpoint (
  id int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  last_txid xid8 NOT NULL DEFAULT '0',
  last_id bigint NOT NULL DEFAULT 0,
  applied_total bigint NOT NULL DEFAULT 0,
  parked_total bigint NOT NULL DEFAULT 0,
  batches_total bigint NOT NULL DEFAULT 0,
  last_ok_at timestamptz,
  last_error text,
  last_error_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now());
INSERT INTO lsync.checkpoint (id) VALUES (1) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS lsync.person_state (
  uuid uuid PRIMARY KEY,
  login text NOT NULL,
  synced_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS lsync.parked (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  outbox_id bigint,
  aggregate text NOT NULL,
  key text NOT NULL,
  event text,
  dn text,
  ldap_code int,
  reason text NOT NULL,
  parked_at timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz);"
OLD_SYNC_INDEX="CREATE INDEX IF NOT EXISTS outbox_txid_id_idx ON outbox (txid, id);"

# old_dir NAME TEXT: the migrations up to 0014, with 0007 as TEXT.
old_dir() {
    mkdir "$T_TMP/$1"
    for f in "$SRC"/migrations/00*.sql; do
        case $(basename "$f") in
            001[5-9]_* | 00[2-9]?_*) ;;
            *) cp "$f" "$T_TMP/$1/" ;;
        esac
    done
    printf '%s\n' "$2" > "$T_TMP/$1/0007_outbox_commit_order_index.sql"
}
old_dir merged "$(cat "$SRC/migrations/0007_outbox_commit_order_index.sql")"
# the migrations after 0014 (0015 and 0016 among them)
LATER=$(ls "$T_TMP/merged" | wc -l)
LATER=$(($(ls "$SRC"/migrations/00*.sql | wc -l) - LATER))
old_dir edited "$EDITED_0007"

# schema: the dump of the current database without its random lines.
schema() {
    pg_dump -s -O -x -h "$IDM_TEST_PG_HOST" -p "$IDM_TEST_PG_PORT" \
        -U "$IDM_TEST_PG_USER" \
        -d "$(echo "$DSN" | sed 's/.*dbname=\([^ ]*\).*/\1/')" |
        grep -v '^\\\(un\)\?restrict ' > "$T_TMP/$1.schema"
}
outbox_indexes() {
    sql "select string_agg(indexname, ' ' order by indexname) from pg_indexes where tablename = 'outbox'"
}

newdb mrep_fresh
idm migrate
expect_rc 0 "fresh database migrated"
schema fresh
expect_eq "$(outbox_indexes)" "outbox_pkey outbox_txid_id_idx" "one (txid, id) index"
expect_eq "$(sql 'select count(*) from lsync.checkpoint')" 1 "checkpoint row"

# db NAME DIR SQL...: migrate to 0014 with DIR, run SQL (an old sync),
# then migrate with the current files and dump the schema.
db() {
    name=$1
    dir=$2
    shift 2
    newdb "mrep_$name"
    idm migrate --dir "$T_TMP/$dir"
    expect_rc 0 "$name: migrated with 0007 $dir"
    for q in "$@"; do
        sql "$q" > /dev/null
    done
    idm migrate
    expect_rc 0 "$name: current migrations accepted"
    expect_out "applied $LATER migration(s)" "$name: 0015 and later applied"
    idm migrate --status
    expect_rc 0 "$name: status shows nothing changed"
    schema "$name"
    if diff -u "$T_TMP/fresh.schema" "$T_TMP/$name.schema" > "$T_TMP/diff"; then
        _result 0 "$name: same schema as a fresh database"
    else
        _result 1 "$name: same schema as a fresh database" "$(head -20 "$T_TMP/diff")"
    fi
    expect_eq "$(outbox_indexes)" "outbox_pkey outbox_txid_id_idx" "$name: one (txid, id) index"
    expect_eq "$(sql 'select count(*) from lsync.checkpoint')" 1 "$name: checkpoint row"
}

db merged merged
db merged_oldsync merged "$OLD_SYNC_SCHEMA" "$OLD_SYNC_INDEX" \
    "UPDATE lsync.checkpoint SET applied_total = 7"
expect_eq "$(sql 'select applied_total from lsync.checkpoint')" 7 \
    "merged_oldsync: the sync's state is kept"
db edited edited
db edited_oldsync edited "$OLD_SYNC_SCHEMA"

# idm-ldap-sync refuses a database without its tables.
if [ -n "${IDM_LDAP_SYNC:-}" ]; then
    newdb mrep_unmigrated
    idm migrate --dir "$T_TMP/merged"
    run "$IDM_LDAP_SYNC" --config "$CONF" --status
    expect_rc 1 "idm-ldap-sync --status refuses a database before 0015"
    expect_err 'run "idmctl migrate"' "and says what to do"
    expect_eq "$(sql "select to_regnamespace('lsync') is null")" t \
        "it created no tables"
fi

finish
