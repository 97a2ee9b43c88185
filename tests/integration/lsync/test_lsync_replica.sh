#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
# Read replica: a second slapd built by deploy/lib/slapd.sh and configured
# with deploy/ldap/replica.ldif follows the harness slapd (syncrepl
# refreshAndPersist as cn=replicator,ou=services). Entries the sync writes
# into the provider arrive at the consumer, more than the default size
# limit of 500 in the initial refresh, then a later change and a delete;
# passwords replicate, so a person can bind at the replica.
. "$(dirname "$0")/lib_lsync.sh" "$1"
# shellcheck disable=SC1091
. "$SRC/deploy/lib/common.sh"
# shellcheck disable=SC1091
. "$SRC/deploy/lib/slapd.sh"

lsync_env lsync_replica
SD=$(mktemp -d /tmp/idm-lsr.XXXXXX)
chmod 755 "$SD"
export IDM_LDAP_DIR="$SRC/deploy/ldap"
cleanup() {
    idm_slapd_stop "$SD/c" > /dev/null 2>&1
    if [ "${T_FAIL:-0}" -ne 0 ] && [ -f "$SD/c/log/slapd.log" ]; then
        cp "$SD/c/log/slapd.log" /tmp/lsr-consumer.log 2>/dev/null; tail -n 30 "$SD/c/log/slapd.log" | sed "s/^/#   consumer: /"
    fi
    rm -rf "$SD" "$T_TMP"
}
trap cleanup EXIT

# the replicator account on the provider (root base: acl.ldif names it)
REPLPW=$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 24)
BASE=$L_ROOT lservice replicator "$REPLPW"

# --- consumer -------------------------------------------------------------------
(umask 077 && LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 24 > "$SD/admin.pw")
CPORT=$(idm_free_port)
IDM_SLAPD_EMPTY=1 idm_slapd_init "$SD/c" "$CPORT" "$L_ROOT" "$SD/admin.pw" > "$T_TMP/init.log" 2>&1 ||
    { cat "$T_TMP/init.log"; echo "Bail out! consumer init failed"; exit 1; }
idm_slapd_start "$SD/c" "$CPORT" > /dev/null 2>&1 || { echo "Bail out! consumer start failed"; exit 1; }
CLDAPI=$(idm_slapd_ldapi_uri "$SD/c")
sed -e "s|@BASE@|$L_ROOT|g" -e "s|@PROVIDER@|$L_URI|g" -e "s|@REPLPW@|$REPLPW|g" \
    "$SRC/deploy/ldap/replica.ldif" |
    ldapmodify -Q -Y EXTERNAL -H "$CLDAPI" > "$T_TMP/replica.out" 2>&1
expect_eq "$?" 0 "replica.ldif applies to the consumer"

cadmin() { # TOOL ARGS...: an ldap tool bound as the consumer's admin
    tool=$1
    shift
    "$tool" -x -H "ldap://127.0.0.1:$CPORT" -D "cn=admin,$L_ROOT" -y "$SD/admin.pw" "$@"
}
ccount() { # FILTER: entries in this test's base at the consumer
    cadmin ldapsearch -LLL -b "$BASE" "$1" dn 2>/dev/null | grep -c '^dn:'
}
# wait_for FILTER COUNT SECONDS: poll the consumer
wait_for() {
    for _ in $(seq 1 $(($3 * 5))); do
        [ "$(ccount "$1")" = "$2" ] && return 0
        sleep 0.2
    done
    return 1
}

# --- initial data: more than the default size limit (500) ---------------------
# one hash for all (binding as them is not what this tests)
HASH='$argon2id$v=19$m=1024,t=1,p=1$YnVsa3NhbHRidWxrc2FsdA$2Ly7pnBFVO3lBe8Kc/Tm1PuZ8XzCxGVNpgiH8JK7B5k'
psql -X -q -h "$IDM_TEST_PG_HOST" -p "$IDM_TEST_PG_PORT" -U "$IDM_TEST_PG_USER" \
    -d "$(echo "$DSN" | sed 's/.*dbname=\([^ ]*\).*/\1/')" \
    -v n=600 -v schools=2 -v classes=4 -v first_school=81000 -v prefix=rep \
    -v hash="$HASH" -f "$SRC/tests/integration/lsync/bulk_users.sql" > /dev/null
expect_eq "$?" 0 "600 pupils written in SQL"
STDIN='Replica-Password-1' idm user add --school 81000 --role pupil --given Rita --family Replica --password-stdin
expect_rc 0 "one more with a real password"
# small batches: ids 1..610 cross 99/100, which text order would get wrong
lsync --once --batch 150
expect_rc 0 "sync into the provider"
expect_eq "$(ladmin ldapsearch -LLL -b "ou=people,$BASE" '(uid=rep.*)' dn 2>/dev/null | grep -c '^dn:')" 600 "no event skipped at batch edges (numeric outbox order)"
WANT=$(ladmin ldapsearch -LLL -b "$BASE" '(objectClass=*)' dn 2>/dev/null | grep -c '^dn:')
wait_for '(objectClass=*)' "$WANT" 60
expect_eq "$?" 0 "the consumer has all $WANT entries of the provider"
if [ "$(ccount '(objectClass=*)')" != "$WANT" ]; then
    ladmin ldapsearch -LLL -o ldif-wrap=no -b "$BASE" dn | sort > "$T_TMP/p.dns"
    cadmin ldapsearch -LLL -o ldif-wrap=no -b "$BASE" dn | sort > "$T_TMP/c.dns"
    diff "$T_TMP/p.dns" "$T_TMP/c.dns" | head -5 | sed 's/^/#   /'
fi
expect_eq "$(ccount '(uid=rep.*)')" 600 "all 600 persons"
expect_eq "$(ccount '(&(objectClass=groupOfNames)(member=uid=rep.1,ou=people,'"$BASE"'))')" 2 "with their class and role groups"
lbind_at() { # URI DN PASSWORD
    printf '%s' "$3" > "$T_TMP/bindpw"
    ldapwhoami -x -H "$1" -D "$2" -y "$T_TMP/bindpw" > /dev/null 2>&1
}
lbind_at "ldap://127.0.0.1:$CPORT" "$(pdn rita.replica)" 'Replica-Password-1'
expect_eq "$?" 0 "a person binds at the replica (password replicated)"

# --- a later change and a delete, while the consumer runs ------------------------
idm user lock rita.replica > /dev/null
sql "BEGIN; UPDATE person SET family_name = 'Renamed' WHERE family_name = 'rep-2';
     INSERT INTO outbox (aggregate, key, event)
       SELECT 'person', uuid::text, 'person.updated' FROM person WHERE family_name = 'Renamed';
     COMMIT;" > /dev/null
idm user delete rep.3 --yes > /dev/null
lsync --once
expect_rc 0 "sync the changes"
wait_for '(&(uid=rita.replica)(idmAccountStatus=locked))' 1 30
expect_eq "$?" 0 "the lock arrives"
wait_for '(sn=Renamed)' 1 30
expect_eq "$?" 0 "the name change arrives"
wait_for '(uid=rep.3)' 0 30
expect_eq "$?" 0 "the delete arrives"
lbind_at "ldap://127.0.0.1:$CPORT" "$(pdn rita.replica)" 'Replica-Password-1'
expect_eq "$?" 49 "the locked person cannot bind at the replica either"
wait_for '(objectClass=*)' "$(ladmin ldapsearch -LLL -b "$BASE" '(objectClass=*)' dn 2>/dev/null | grep -c '^dn:')" 30
expect_eq "$?" 0 "consumer and provider hold the same entries"

# --- the consumer is read-only -----------------------------------------------------
printf '%s' "$REPLPW" > "$T_TMP/rpw"
ldapmodify -x -H "ldap://127.0.0.1:$CPORT" -D "cn=replicator,ou=services,$L_ROOT" -y "$T_TMP/rpw" > "$T_TMP/ro.out" 2>&1 <<LDIF
dn: $(pdn rita.replica)
changetype: modify
replace: sn
sn: X
LDIF
case $? in 0) _result 1 "a write at the replica is refused" ;; *) _result 0 "a write at the replica is refused" ;; esac

finish
