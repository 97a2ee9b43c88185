#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
# idm-ldap-sync --once against the real slapd: create, password change,
# rename (login change, done in SQL because the core has no command for it
# yet), class change, move between schools, role change, lock, disable,
# enable, delete; special characters in names and DNs (RFC 4514/4515);
# information-release block; parked events; reconcile; status; export.
. "$(dirname "$0")/lib_lsync.sh" "$1"

lsync_env lsync_sync
idm org add --type ministry --code bm-mv --name "Ministerium" > /dev/null
idm org add --type authority --code ssa-schwerin --parent bm-mv --name "SSA Schwerin" > /dev/null
idm org add --type school --number 75123 --parent ssa-schwerin --name "Gymnasium Neukloster" > /dev/null
idm org add --type school --number 71234 --parent ssa-schwerin --name "Regionale Schule" > /dev/null
idm group add --org 75123 --kind class --name 7a --year 2026/27 > /dev/null
idm group add --org 75123 --kind class --name 8b --year 2026/27 > /dev/null
idm group add --org 71234 --kind class --name 5a --year 2026/27 > /dev/null

G7A="cn=75123-class-7a-2026/27,ou=groups,$BASE"
G8B="cn=75123-class-8b-2026/27,ou=groups,$BASE"
G5A="cn=71234-class-5a-2026/27,ou=groups,$BASE"
RP75="cn=75123-role-pupil,ou=groups,$BASE"
RP71="cn=71234-role-pupil,ou=groups,$BASE"
RT71="cn=71234-role-teacher,ou=groups,$BASE"

# --- create ------------------------------------------------------------------
STDIN='First-Password-1' idm user add --school 75123 --role pupil --class 7a \
    --given Mia --family Krüger --password-stdin
expect_rc 0 "user add"
MIA=$(pdn mia.krueger)
lsync --once
expect_rc 0 "--once applies the backlog"
expect_out "events=" "prints counts"
expect_eq "$(lget "$MIA" objectClass | tr '\n' ' ')" "eduPerson idmPerson inetOrgPerson schacContactLocation " "object classes"
expect_eq "$(lget "$MIA" cn)" "Mia Krüger" "cn"
expect_eq "$(lget "$MIA" sn)" "Krüger" "sn"
expect_eq "$(lget "$MIA" givenName)" "Mia" "givenName"
expect_eq "$(lget "$MIA" displayName)" "Mia Krüger" "displayName"
expect_eq "$(lget "$MIA" eduPersonAffiliation | tr '\n' ' ')" "member student " "eduPersonAffiliation from role.h"
expect_eq "$(lget "$MIA" idmSchoolCode)" "DE-MV-75123" "school code"
expect_eq "$(lget "$MIA" idmSchulConneXRole)" "Lern" "SchulConneX role"
expect_eq "$(lget "$MIA" idmRoleContext)" "75123:pupil" "role context"
expect_eq "$(lget "$MIA" idmPersonUUID)" "$(uuid_of mia.krueger)" "person UUID"
expect_eq "$(lget "$MIA" idmInfoBlock)" "FALSE" "privacy flag"
expect_eq "$(lget "$MIA" idmAccountStatus)" "active" "account status"
expect_eq "$(lget "$MIA" eduPersonPrincipalName)" "mia.krueger@lsync-sync.schule-mv.de" "eppn with the scope"
expect_eq "$(lget "$MIA" mail)" "" "no mail (the core keeps none)"
case $(lget "$MIA" userPassword) in
    '{ARGON2}$argon2id$'*) _result 0 "userPassword is the core's {ARGON2} hash" ;;
    *) _result 1 "userPassword is the core's {ARGON2} hash" ;;
esac
lbind "$MIA" 'First-Password-1'
expect_eq "$?" 0 "bind with the password works"
expect_eq "$(lget "$G7A" member)" "$MIA" "member of class 7a"
expect_eq "$(lget "$RP75" member)" "$MIA" "member of the pupil role group"
expect_eq "$(lget "ou=75123,ou=orgs,$BASE" idmSchoolCode)" "DE-MV-75123" "school as organisational unit"
lsync --once
expect_out "events=0" "second run: nothing to do"

# --- password change ------------------------------------------------------------
STDIN='Second-Password-2' idm user set-password mia.krueger --password-stdin
lsync --once
lbind "$MIA" 'Second-Password-2'
expect_eq "$?" 0 "bind with the new password works"
lbind "$MIA" 'First-Password-1'
expect_eq "$?" 49 "bind with the old one fails"

# --- rename (login change in SQL: UPDATE account + ledger + outbox) -----------
sql "BEGIN; UPDATE account SET login = 'mia.k' WHERE login = 'mia.krueger';
     INSERT INTO login_ledger VALUES ('mia.k');
     INSERT INTO outbox (aggregate, key, event)
       SELECT 'person', p.uuid::text, 'account.login_changed' FROM person p
       JOIN account a ON a.person_id = p.id WHERE a.login = 'mia.k'; COMMIT;" > /dev/null
lsync --once
expect_rc 0 "rename applied"
MIA2=$(pdn mia.k)
lexists "$MIA"
expect_eq "$?" 32 "old DN is gone"
expect_eq "$(lget "$MIA2" uid)" "mia.k" "new DN has the new uid only"
expect_eq "$(lget "$G7A" member)" "$MIA2" "class group names the new DN"
expect_eq "$(lget "$RP75" member)" "$MIA2" "role group names the new DN"
lbind "$MIA2" 'Second-Password-2'
expect_eq "$?" 0 "bind under the new DN"

# --- class change ----------------------------------------------------------------
idm group remove-member --org 75123 --name 7a --user mia.k
idm group add-member --org 75123 --name 8b --user mia.k
lsync --once
lexists "$G7A"
expect_eq "$?" 32 "empty class group has no entry (groupOfNames needs a member)"
expect_eq "$(lget "$G8B" member)" "$MIA2" "member of 8b"

# --- move between schools ---------------------------------------------------------
idm role revoke --user mia.k --org 75123 --role pupil --class 7a > /dev/null
idm group remove-member --org 75123 --name 8b --user mia.k > /dev/null
idm role grant --user mia.k --org 71234 --role pupil --class 5a > /dev/null
lsync --once
expect_eq "$(lget "$MIA2" idmSchoolCode)" "DE-MV-71234" "school code follows the move"
expect_eq "$(lget "$MIA2" idmRoleContext)" "71234:pupil" "role context follows the move"
expect_eq "$(lget "$G5A" member)" "$MIA2" "member of 5a"
expect_eq "$(lget "$RP71" member)" "$MIA2" "member of the new school's role group"
lexists "$RP75"
expect_eq "$?" 32 "old school's role group gone (no members left)"
lexists "$MIA2"
expect_eq "$?" 0 "DN unchanged by the move (flat ou=people)"

# --- role change -------------------------------------------------------------------
idm role grant --user mia.k --org 71234 --role teacher > /dev/null
idm role revoke --user mia.k --org 71234 --role pupil --class 5a > /dev/null
lsync --once
expect_eq "$(lget "$MIA2" eduPersonAffiliation | tr '\n' ' ')" "employee faculty member " "affiliations of a teacher"
expect_eq "$(lget "$MIA2" idmSchulConneXRole)" "Lehr" "SchulConneX Lehr"
expect_eq "$(lget "$RT71" member)" "$MIA2" "teacher role group"
lexists "$RP71"
expect_eq "$?" 32 "pupil role group gone"

# --- lock, disable, enable ------------------------------------------------------------
idm user lock mia.k > /dev/null
lsync --once
lbind "$MIA2" 'Second-Password-2'
expect_eq "$?" 49 "locked account cannot bind"
expect_eq "$(lget "$MIA2" idmAccountStatus)" "locked" "status locked"
idm user unlock mia.k > /dev/null
idm user disable mia.k > /dev/null
lsync --once
lbind "$MIA2" 'Second-Password-2'
expect_eq "$?" 49 "disabled account cannot bind"
expect_eq "$(lget "$MIA2" userPassword)" "" "no userPassword while disabled"
idm user enable mia.k > /dev/null
lsync --once
lbind "$MIA2" 'Second-Password-2'
expect_eq "$?" 0 "enabled again: bind works"

# --- special characters in names and DNs ----------------------------------------------
GN=$(printf 'Zo\303\253')                      # Zoë
FN=$(printf 'D\342\200\231Angelo, "Jr" +\\ #')  # D’Angelo, "Jr" +\ #
STDIN='Third-Password-3' idm user add --school 75123 --role pupil --given "$GN" --family "$FN" --password-stdin
expect_rc 0 "user with special characters"
ZLOGIN=$(printf '%s\n' "$OUT" | sed -n 1p)
idm user add --school 75123 --role pupil --given "$(printf 'Jos\303\251 Ma\314\201ria')" --family "Ünal" > /dev/null
JLOGIN=$(sql "SELECT login FROM account a JOIN person p ON p.id = a.person_id WHERE p.family_name = 'Ünal'")
SPECIAL='#Kurs (A*B), "C"+D\E; <F> '
idm group add --org 75123 --kind course --name "$SPECIAL" --year 2026/27 > /dev/null
idm group add-member --org 75123 --name "$SPECIAL" --user "$ZLOGIN" > /dev/null
idm group add --org 75123 --kind staff --name ' leading space' > /dev/null
idm group add-member --org 75123 --name ' leading space' --user "$ZLOGIN" > /dev/null
lsync --once
expect_rc 0 "special characters synced"
ZDN=$(pdn "$ZLOGIN")
expect_eq "$(lget "$ZDN" cn)" "$GN $FN" "cn kept as written"
expect_eq "$(lget "$ZDN" sn)" "$FN" "sn kept as written"
expect_eq "$(lget "$(pdn "$JLOGIN")" givenName)" "$(printf 'Jos\303\251 M\303\241ria')" "combining mark stored NFC-normalised"
# RFC 4515: look the group up by a filter with escaped *, (, ), \ and the
# RFC 4514 DN the sync built must be the one slapd has.
FILTER=$(python3 -c 'import sys
v = sys.argv[1]
print("".join("\\%02x" % ord(c) if c in "*()\\\0" else c for c in v))' "75123-course-$SPECIAL-2026/27")
ladmin ldapsearch -LLL -o ldif-wrap=no -b "ou=groups,$BASE" "(cn=$FILTER)" dn > "$T_TMP/g.ldif"
GDN=$(ldif_values dn < "$T_TMP/g.ldif")
expect_eq "$GDN" 'cn=75123-course-#Kurs (A*B)\2C \22C\22\2BD\5CE\3B \3CF\3E -2026/27,ou=groups,'"$BASE" "group DN escaped per RFC 4514 (slapd's form)"
expect_eq "$(lget "$GDN" description)" "$SPECIAL" "group name kept as written"
expect_eq "$(lget "$GDN" member)" "$ZDN" "member of the special group"
SDN='cn=75123-staff-\ leading space,ou=groups,'"$BASE"
expect_eq "$(lget "$SDN" member)" "$ZDN" "leading space escaped in the DN"
ladmin ldapsearch -LLL -b "ou=people,$BASE" "(cn=$(python3 -c 'import sys
print("".join("\\%02x" % ord(c) if c in "*()\\\0" else c for c in sys.argv[1]))' "$GN $FN"))" dn > "$T_TMP/z.ldif"
expect_eq "$(ldif_values dn < "$T_TMP/z.ldif")" "$ZDN" "person found by a filter with an escaped backslash"
lbind "$ZDN" 'Third-Password-3'
expect_eq "$?" 0 "bind as the person with special characters"

# --- information-release block ----------------------------------------------------------
idm user add --school 75123 --role pupil --given Bea --family Blocked --info-block > /dev/null
lsync --once
BDN=$(pdn bea.blocked)
expect_eq "$(lget "$BDN" cn)" "bea.blocked" "blocked: cn is the login"
expect_eq "$(lget "$BDN" sn)" "bea.blocked" "blocked: sn is the login"
expect_eq "$(lget "$BDN" givenName)$(lget "$BDN" displayName)" "" "blocked: no givenName, no displayName"
expect_eq "$(lget "$BDN" idmInfoBlock)" "TRUE" "blocked: flag set"
ladmin ldapsearch -LLL -o ldif-wrap=no -b "$BDN" -s base > "$T_TMP/b.ldif"
if grep -q 'Blocked\|Bea' "$T_TMP/b.ldif"; then _result 1 "no name anywhere in the entry"; else _result 0 "no name anywhere in the entry"; fi

# --- delete ---------------------------------------------------------------------------
idm user delete "$JLOGIN" --yes > /dev/null
lsync --once
lexists "$(pdn "$JLOGIN")"
expect_eq "$?" 32 "deleted person disappears"
expect_eq "$(lget "cn=75123-role-pupil,ou=groups,$BASE" member | grep -c "$JLOGIN")" 0 "and from its groups"

# --- parked: LDAP rejects for good, the queue goes on ------------------------------------
printf 'dn: %s\nobjectClass: account\nuid: pat.parker\n' "$(pdn pat.parker)" | ladmin ldapadd > /dev/null
idm user add --school 75123 --role pupil --given Pat --family Parker > /dev/null
idm user add --school 75123 --role pupil --given Quinn --family Queue > /dev/null
lsync --once
expect_rc 0 "a rejected entry does not fail the run"
expect_out "parked=2" "its two events (created, role granted) parked"
expect_eq "$(lget "$(pdn quinn.queue)" uid)" "quinn.queue" "the next event is applied"
lsync --list-parked
expect_out "key=\"$(uuid_of pat.parker)\"" "--list-parked names the key"
expect_out "event=person.created" "and the event"
expect_out "reason=" "and the reason"
lsync --status
expect_out "backlog=0" "status: backlog 0"
expect_out "parked_open=2" "status: two parked"
ladmin ldapdelete "$(pdn pat.parker)"
idm user lock pat.parker > /dev/null
lsync --once
expect_eq "$(lget "$(pdn pat.parker)" idmAccountStatus)" "locked" "a later event for the key applies"
lsync --list-parked
expect_out "parked_count=0" "and resolves the parked one"

# --- reconcile -----------------------------------------------------------------------------
full_clean "--full --dry-run: nothing to do after the incremental sync"
ladmin ldapmodify > /dev/null <<LDIF
dn: $ZDN
changetype: modify
replace: cn
cn: Tampered
-
add: description
description: foreign attribute

dn: $RT71
changetype: modify
add: member
member: uid=intruder,ou=people,$BASE
LDIF
ladmin ldapdelete "$(pdn quinn.queue)"
printf 'dn: uid=intruder,ou=people,%s\nobjectClass: account\nuid: intruder\n\n' "$BASE" | ladmin ldapadd > /dev/null
printf 'dn: ou=apps,%s\nobjectClass: organizationalUnit\nou: apps\n\ndn: uid=outside,ou=apps,%s\nobjectClass: account\nuid: outside\n' "$BASE" "$BASE" | ladmin ldapadd > /dev/null
lsync --full --dry-run
expect_rc 0 "dry run"
expect_out "missing dn=\"$(pdn quinn.queue)\"" "finds the missing entry"
expect_out "extra dn=\"uid=intruder,ou=people,$BASE\"" "finds the extra entry"
expect_out "attr=cn missing=\"$GN $FN\"" "finds the changed attribute"
expect_out "attr=description foreign" "finds the foreign attribute"
expect_out "attr=member extra=\"uid=intruder,ou=people,$(printf '%s' "$BASE" | tr 'A-Z' 'a-z')\"" "finds the extra membership"
expect_eq "$(lget "$ZDN" cn)" "Tampered" "dry run changes nothing"
lsync --full
expect_rc 0 "repair"
full_clean "clean after the repair"
expect_eq "$(lget "$ZDN" cn)" "$GN $FN" "cn repaired"
lexists "uid=outside,ou=apps,$BASE"
expect_eq "$?" 0 "entry outside the managed subtree untouched"

# --- later batches of one run find their groups unchanged: nothing to write ---
idm group add --org 75123 --kind course --name twice --year 2026/27 > /dev/null
idm group add-member --org 75123 --name twice --user "$ZLOGIN" > /dev/null
idm group add-member --org 75123 --name twice --user mia.k > /dev/null
lsync --once --batch 1 --timeout 5
expect_rc 0 "batches with nothing left to write finish"
expect_eq "$(lget "cn=75123-course-twice-2026/27,ou=groups,$BASE" member)" "$(printf '%s\n%s' "$MIA2" "$ZDN" | LC_ALL=C sort)" "both members"

# --- export ---------------------------------------------------------------------------------
lsync --export-ldif "$T_TMP/all.ldif"
expect_rc 0 "--export-ldif"
expect_eq "$(grep -c '^dn:' "$T_TMP/all.ldif")" "$(printf '%s' "$OUT" | sed -n 's/^entries=\([0-9]*\).*/\1/p')" "entry count printed"
expect_eq "$(grep -c "^dn: $(pdn quinn.queue)$" "$T_TMP/all.ldif")" 1 "persons exported"
lsync --status
expect_out "backlog=0" "checkpoint recorded by the export"

# --- [ldap] settings in the config (the command line overrides them) -----------
printf 'release_blocked_names = 1\nscope = example.org\n' >> "$CONF"
idm user add --school 75123 --role pupil --given Cleo --family Config --info-block > /dev/null
lsync --once
expect_rc 0 "config with release_blocked_names and scope"
expect_eq "$(lget "$(pdn cleo.config)" givenName)" "Cleo" "release_blocked_names = 1: name of a blocked person released"
expect_eq "$(lget "$(pdn cleo.config)" eduPersonPrincipalName)" "cleo.config@example.org" "scope from the config"
idm user add --school 75123 --role pupil --given Cid --family Config --info-block > /dev/null
lsync --once --scope cli.example
expect_eq "$(lget "$(pdn cid.config)" eduPersonPrincipalName)" "cid.config@cli.example" "--scope overrides the config"

# --- --once waits for an older transaction still running --------------------------
# (an import in another database, say): the event committed after it is
# not final until it ends, and --once must not leave it behind
psql -X -q -h "$IDM_TEST_PG_HOST" -p "$IDM_TEST_PG_PORT" -U "$IDM_TEST_PG_USER" -d postgres \
    -c "BEGIN; SELECT pg_current_xact_id(); SELECT pg_sleep(2); COMMIT" > /dev/null &
older=$!
for _ in $(seq 50); do
    [ "$(sql "select count(*) from pg_stat_activity where backend_xid is not null and query like '%pg_sleep(2)%'")" -gt 0 ] && break
    sleep 0.1
done
idm user add --school 75123 --role pupil --given Olga --family Older > /dev/null
lsync --once
expect_rc 0 "--once behind an older transaction"
expect_eq "$(lget "$(pdn olga.older)" givenName)" "Olga" "applied once the older transaction ended"
wait "$older"

finish
