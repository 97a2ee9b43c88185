#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
# Fault tests with a private slapd: the daemon keeps the backlog while
# slapd is stopped during 1,000 changes and delivers all of them once it is
# back (final state equals the core, retries logged); kill -9 of the sync
# during a batch, then a restart leaves the directory equal to the core
# (--full --dry-run shows no difference).
. "$(dirname "$0")/lib_lsync.sh" "$1"
# shellcheck disable=SC1091
. "$SRC/deploy/lib/common.sh"
# shellcheck disable=SC1091
. "$SRC/deploy/lib/slapd.sh"

SD=$(mktemp -d /tmp/idm-lsf.XXXXXX)
chmod 755 "$SD"
export IDM_LDAP_DIR="$SRC/deploy/ldap"
DPID=
cleanup() {
    [ -n "$DPID" ] && kill "$DPID" 2>/dev/null
    idm_slapd_stop "$SD/s" > /dev/null 2>&1
    rm -rf "$SD" "$T_TMP"
}
trap cleanup EXIT
(umask 077 && LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 24 > "$SD/admin.pw")
PORT=$(idm_free_port)
idm_slapd_init "$SD/s" "$PORT" dc=schule-mv,dc=de "$SD/admin.pw" > "$T_TMP/init.log" 2>&1 || { cat "$T_TMP/init.log"; false; } ||
    { echo "Bail out! slapd init failed"; exit 1; }
idm_slapd_start "$SD/s" "$PORT" > /dev/null 2>&1 || { echo "Bail out! slapd start failed"; exit 1; }
lsync_env lsync_fault "ldap://127.0.0.1:$PORT" "cn=admin,dc=schule-mv,dc=de" "$SD/admin.pw" dc=schule-mv,dc=de

idm org add --type ministry --code bm-mv --name M > /dev/null
idm org add --type authority --code ssa-s --parent bm-mv --name A > /dev/null
idm org add --type school --number 75123 --parent ssa-s --name S > /dev/null

wait_backlog() { # wait until the backlog is empty (max $1 s)
    for _ in $(seq 1 "$(( $1 * 5 ))"); do
        lsync --status
        case $OUT in *"backlog=0"*) return 0 ;; esac
        sleep 0.2
    done
    return 1
}
count() { # count entries matching a filter in ou=people
    ladmin ldapsearch -LLL -b "ou=people,$BASE" "$1" dn 2>/dev/null | grep -c '^dn:'
}

# the poll interval from the config ([ldap] sync_poll_seconds)
sed -i 's/^\[ldap\]$/[ldap]\nsync_poll_seconds = 1/' "$CONF"
"$LSYNC" --config "$CONF" --timeout 5 > "$T_TMP/daemon.log" 2>&1 &
DPID=$!
idm user add --school 75123 --role teacher --given Erste --family Person > /dev/null
wait_backlog 30
expect_eq "$?" 0 "daemon applies the first change"
expect_eq "$(count '(uid=erste.person)')" 1 "entry there"
lsync --full --dry-run
expect_rc 0 "--full --dry-run works while the daemon runs (read-only, no lock)"
expect_out "summary missing=0 extra=0 different=0" "and compares"
lsync --once
expect_rc 1 "a second writer is still refused"
expect_err "another idm-ldap-sync is running" "with a message"

# --- groups in the daemon: changed members only, whole on disagreement ----------
RP="cn=75123-role-pupil,ou=groups,$BASE"
members() { # member values of the pupil role group, sorted, on one line
    ladmin ldapsearch -LLL -b "$RP" -s base '(objectClass=*)' member 2>/dev/null |
        sed -n 's/^member: //p' | sort | tr '\n' ' '
}
for fam in Eins Zwei Drei; do
    idm user add --school 75123 --role pupil --given Gruppe --family "$fam" > /dev/null
done
wait_backlog 30
expect_eq "$(members)" "$(pdn gruppe.drei) $(pdn gruppe.eins) $(pdn gruppe.zwei) " "role group with three pupils"
idm user delete gruppe.eins --yes > /dev/null
wait_backlog 30
expect_eq "$(members)" "$(pdn gruppe.drei) $(pdn gruppe.zwei) " "a deleted pupil leaves the group"
# members added behind the sync's back: adding one again fails, so the
# group is written whole (the stranger goes)
printf 'dn: %s\nchangetype: modify\nadd: member\nmember: %s\nmember: %s\n' \
    "$RP" "$(pdn gruppe.vier)" "$(pdn stranger)" | ladmin ldapmodify > /dev/null
idm user add --school 75123 --role pupil --given Gruppe --family Vier > /dev/null
wait_backlog 30
expect_eq "$(members)" "$(pdn gruppe.drei) $(pdn gruppe.vier) $(pdn gruppe.zwei) " "group right after a change made outside the sync"
lsync --status
expect_out "parked_total=0" "nothing parked for it"
for u in gruppe.drei gruppe.vier gruppe.zwei; do idm user delete "$u" --yes > /dev/null; done
wait_backlog 30
expect_eq "$(members)" "" "group without pupils deleted"

# --- slapd down during 1,000 changes --------------------------------------------
# Each pupil's changes in order, four pupils at a time: 1,350 idmctl
# processes one after another took most of this test's five minutes
# (process start-up under ASan), and the order that matters is per pupil.
pupils() { # pupils N M COMMANDS...: run the COMMANDS for pupils N..M
    seq "$1" "$2" | xargs -P 4 -n 1 bash -c "$3" _
    expect_eq "$?" 0 "$4"
}
export IDMCTL CONF
idm_slapd_stop "$SD/s"
pupils 1 250 'c() { "$IDMCTL" --config "$CONF" "$@" > /dev/null || exit 255; }
    c user add --school 75123 --role pupil --given "P$1" --family Fault
    c user lock "p$1.fault"; c user unlock "p$1.fault"; c user disable "p$1.fault"' \
    "1,000 changes while slapd is down"
lsync --status
case $OUT in *"backlog=0"*) _result 1 "backlog kept while slapd is down" ;; *) _result 0 "backlog kept while slapd is down" ;; esac
expect_out "last_error=" "status has the last error"
idm_slapd_start "$SD/s" "$PORT" > /dev/null 2>&1
wait_backlog 180
expect_eq "$?" 0 "all changes arrive after slapd is back"
grep -q 'event=sync.retry' "$T_TMP/daemon.log"
expect_eq "$?" 0 "the outage is in the log (event=sync.retry)"
expect_eq "$(count '(&(uid=p*.fault)(idmAccountStatus=disabled))')" 250 "last change wins for all 250 (in order)"
expect_eq "$(count '(&(uid=p*.fault)(userPassword=*))')" 0 "none can bind (no hash left)"
expect_eq "$(count '(uid=p*.fault)')" 250 "none twice, none missing"
kill "$DPID"; wait "$DPID" 2>/dev/null; DPID=
full_clean "directory equals the core after the outage"

# --- kill -9 during a batch ------------------------------------------------------
pupils 1 250 'c() { "$IDMCTL" --config "$CONF" "$@" > /dev/null || exit 255; }
    c user enable "p$1.fault"; [ "$1" -gt 100 ] || c user delete "p$1.fault" --yes' \
    "250 enabled, 100 deleted"
"$LSYNC" --config "$CONF" --batch 10 --window 4 > "$T_TMP/d2.log" 2>&1 &
DPID=$!
sleep 0.3
kill -9 "$DPID"; wait "$DPID" 2>/dev/null; DPID=
lsync --status
expect_out "backlog=" "status after kill -9"
lsync --once
expect_rc 0 "restart finishes the backlog"
full_clean "--full --dry-run shows no difference after kill -9"
expect_eq "$(count '(uid=p*.fault)')" 150 "deleted persons gone"
expect_eq "$(count '(&(uid=p*.fault)(userPassword=*))')" 150 "enabled persons can bind again"

finish
