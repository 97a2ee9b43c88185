#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
# idmctl policy check|explain|matrix against the shipped catalogue and a
# real PostgreSQL, each kind of policy-file mistake, and delegated
# administration with --as (allowed inside the subtree, denied and audited
# outside it).
. "$(dirname "$0")/../lib.sh" "$1"

newdb policy_t
idm migrate
expect_rc 0 "migrate"

# --- policy check -----------------------------------------------------------
idm policy check
expect_rc 0 "shipped policy is valid"
expect_out "policy ok: 10 applications" "ten applications"
run "$IDMCTL" policy check "$SRC"/policies/apps/*.xml "$SRC/policies/admin.xml"
expect_rc 0 "check named files without a config"
expect_out "11 file(s) ok" "all files ok"

for f in "$SRC"/tests/data/policy/bad/*.xml; do
    name=$(basename "$f")
    line=$(sed -n 's/.*expect-line: \([0-9]*\).*/\1/p' "$f")
    text=$(sed -n 's/.*expect: \(.*\) -->.*/\1/p' "$f")
    idm policy check "$f"
    expect_rc 1 "$name: refused"
    expect_err "$name:$line: " "$name: names file and line $line"
    expect_err "$text" "$name: says \"$text\""
    expect_err "1 problem(s)" "$name: exactly one problem"
done

# A broken catalogue is refused as a whole, with every problem listed.
cp -r "$SRC/policies" "$T_TMP/pol"
sed -i 's/roles="pupil teacher/roles="pupil wizard teacher/' "$T_TMP/pol/apps/lms.xml"
sed -i 's/session-max="900"/session-max="0"/' "$T_TMP/pol/apps/diagnostik.xml"
printf '\n[policy]\ndir = %s\n' "$T_TMP/pol" >> "$CONF"
idm policy check
expect_rc 1 "broken catalogue refused"
expect_err "lms.xml:" "names lms.xml"
expect_err "diagnostik.xml:" "names diagnostik.xml"
expect_err "2 problem(s)" "counts both problems"
idm policy matrix
expect_rc 1 "matrix refuses a broken catalogue"
sed -i '/^\[policy\]/,$d' "$CONF"

# --- matrix ------------------------------------------------------------------
idm policy matrix
expect_rc 0 "matrix"
expect_out "diagnostik" "lists applications"
expect_eq "$(printf '%s\n' "$OUT" | grep -c '^[a-z_]* ')" 12 "one row per role"
idm policy matrix --csv
expect_rc 0 "matrix --csv"
expect_eq "$(printf '%s\n' "$OUT" | head -1 | tr ',' '\n' | wc -l)" 11 "role + 10 application columns"
expect_eq "$(printf '%s\n' "$OUT" | grep -c .)" 13 "header + 12 roles"
idm policy matrix --json
expect_rc 0 "matrix --json"
expect_eq "$(json "len(j)")" 12 "12 roles"
expect_eq "$(json "[r for r in j if r['role']=='pupil'][0]['apps']['lms']['decision']")" allow "pupil: lms allowed"
expect_eq "$(json "[r for r in j if r['role']=='pupil'][0]['apps']['mail']['decision']")" deny "pupil: mail denied"
expect_eq "$(json "[r for r in j if r['role']=='guardian'][0]['apps']['notenbuch']['grants']")" view "guardian: notenbuch view role"
expect_eq "$(json "[r for r in j if r['role']=='teacher'][0]['apps']['diagnostik']['conditional']")" True "teacher: diagnostik conditional"
expect_eq "$(json "[r for r in j if r['role']=='ministry_staff'][0]['apps']['personalverwaltung']['decision']")" reauth "ministry: personalverwaltung needs reauth"

# --- explain -----------------------------------------------------------------
idm org add --type ministry --code bm-mv --name "Ministerium"
idm org add --type authority --code ssa-schwerin --parent bm-mv --name "SSA Schwerin"
idm org add --type authority --code ssa-rostock --parent bm-mv --name "SSA Rostock"
idm org add --type school --number 75123 --parent ssa-schwerin --name "Gymnasium Neukloster"
idm org add --type school --number 71234 --parent ssa-rostock --name "Regionale Schule"
idm group add --org 75123 --kind class --name 7a --year 2026/27
idm group add --org 75123 --kind staff --name "Sonderpädagogik"
add() { # login-var role org [extra...]
    local var=$1; shift
    STDIN="ein-sicheres-passwort" idm user add --password-stdin "$@"
    printf -v "$var" '%s' "$OUT"
}
add PUPIL --school 75123 --role pupil --class 7a --given Mia --family Krüger
add BLOCKED --school 75123 --role pupil --class 7a --given Zoë --family Geheim --info-block
add TEACHER --school 75123 --role teacher --given Paul --family Förder
add LEADER --school 75123 --role school_leader --given Karin --family Hoffmann
add OTHER --school 71234 --role pupil --given Ole --family Rostock
expect_eq "$PUPIL" "mia.krueger" "pupil created"

idm policy explain --user "$PUPIL" --app lms
expect_rc 0 "explain"
expect_out "decision:   allow" "pupil: lms allowed"
expect_out 'rule:       school-members' "names the rule"
expect_out "DE-MV-75123:7a" "shows the class"
idm policy explain --user "$PUPIL" --app lms --json
expect_rc 0 "explain --json"
expect_eq "$(json "j['decision']")" allow "json decision"
expect_eq "$(json "j['rule']")" school-members "json rule"
expect_eq "$(json "','.join(a['name'] for a in j['attributes'])")" \
    "pairwise-id,givenName,sn,displayName,eduPersonAffiliation,schoolCode,schoolClass,schulconnexRole" \
    "exactly lms's attributes"
expect_eq "$(json "[a['values'] for a in j['attributes'] if a['name']=='givenName'][0]")" "['Mia']" "given name value"
idm policy explain --user "$PUPIL" --app mail --json
expect_rc 0 "a denial is an answer"
expect_eq "$(json "j['decision']")" deny "pupil: mail denied"
expect_eq "$(json "len(j['attributes'])")" 0 "nothing released on deny"
idm policy explain --user "$BLOCKED" --app lms --json
expect_eq "$(json "j['privacy_reduced']")" True "Auskunftssperre noted"
expect_eq "$(json "','.join(a['name'] for a in j['attributes'])")" \
    "pairwise-id,eduPersonAffiliation,schulconnexRole" "no names under Auskunftssperre"
idm policy explain --user "$LEADER" --app diagnostik --json
expect_eq "$(json "j['decision']")" reauth "school leader: diagnostik needs reauth"
idm policy explain --user "$TEACHER" --app diagnostik --json
expect_eq "$(json "j['decision']")" deny "teacher without special-needs group: deny"
idm group add-member --org 75123 --name "Sonderpädagogik" --user "$TEACHER"
idm policy explain --user "$TEACHER" --app diagnostik --json
expect_eq "$(json "j['decision']")" reauth "special-needs teacher: reauth"
expect_eq "$(json "j['rule']")" special-needs-teachers "by the special-needs rule"
idm policy explain --user "$PUPIL" --app nosuch
expect_rc 0 "unknown application explained"
expect_out "no application" "says the application is unknown"
idm policy explain --user nosuch.user --app lms
expect_rc 1 "unknown user"
expect_err 'no account "nosuch.user"' "names the user"
idm policy explain --user "$PUPIL"
expect_rc 2 "missing --app is a usage error"

# --- delegated administration (--as) -----------------------------------------
idm role grant --user "$LEADER" --org 75123 --role school_admin
add AADMIN --org ssa-schwerin --role authority_admin --given Sabine --family Neumann
add MADMIN --org bm-mv --role ministry_admin --given Frank --family Schulz
as() { local who=$1; shift; run "$IDMCTL" --config "$CONF" --as "$who" "$@"; }

as "$LEADER" user add --school 75123 --role pupil --given Neu --family Schüler
expect_rc 0 "school admin adds a pupil at the own school"
as "$LEADER" user add --school 71234 --role pupil --given Fremd --family Schüler
expect_rc 1 "school admin cannot add at another school"
expect_err "outside their administration" "says why"
expect_eq "$(sql "select count(*) from audit_log where action='admin.denied' and actor='$LEADER'")" 1 "denial audited with the admin as actor"
as "$LEADER" user lock "$PUPIL"
expect_rc 0 "school admin locks a pupil of the own school"
as "$LEADER" user lock "$OTHER"
expect_rc 1 "school admin cannot lock a pupil elsewhere"
expect_eq "$(sql "select status from account where login='$OTHER'")" active "nothing changed"
as "$LEADER" org add --type school --number 75999 --parent ssa-schwerin --name "Neue Schule"
expect_rc 1 "school admin may not add units"
as "$LEADER" audit list
expect_rc 1 "school admin may not read the audit log"
expect_eq "$(sql "select actor from audit_log where action='user.lock' order by id desc limit 1")" "$LEADER" "allowed actions are audited with the admin as actor"

as "$AADMIN" org add --type school --number 75999 --parent ssa-schwerin --name "Neue Schule"
expect_rc 0 "authority admin adds a school below the own authority"
as "$AADMIN" org add --type school --number 71999 --parent ssa-rostock --name "Fremde Schule"
expect_rc 1 "authority admin cannot add below another authority"
as "$AADMIN" user list --org 75123
expect_rc 0 "authority admin lists a school of the authority"
as "$AADMIN" user list --org 71234
expect_rc 1 "but not one of another authority"
as "$AADMIN" user list
expect_rc 1 "nor everybody"

as "$MADMIN" user lock "$OTHER"
expect_rc 0 "ministry admin acts anywhere"
as "$MADMIN" audit list --limit 5
expect_rc 0 "ministry admin reads the audit log"
as "$TEACHER" user list --org 75123
expect_rc 1 "a teacher is no administrator"
as nosuch.admin user list --org 75123
expect_rc 1 "unknown --as login"
expect_err '--as: no account "nosuch.admin"' "names the login"
expect_eq "$(sql "select count(*) from audit_log where action='admin.denied'")" 8 "every denial audited"

finish
