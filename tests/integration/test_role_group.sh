#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
# idmctl group ... and role ...: classes, courses and staff groups, role
# assignments with time windows, the role mapping, audit and outbox.
. "$(dirname "$0")/lib.sh" "$1"

newdb role_group_t
idm migrate
expect_rc 0 "migrate"


# refused RC MESSAGE DESC ARGS...: idmctl ARGS exits RC, says MESSAGE and
# writes nothing.
refused() {
    local rc=$1 msg=$2 desc=$3 before
    shift 3
    before=$(snap)
    idm "$@"
    expect_rc "$rc" "$desc: exit $rc"
    expect_err "$msg" "$desc: message"
    expect_eq "$(snap)" "$before" "$desc: nothing written"
}

# mark, then changed ACTION TARGET EVENT DESC: the command in between wrote
# exactly one audit row ACTION for TARGET and one outbox row EVENT.
mark() {
    A0=$(sql "select coalesce(max(id), 0) from audit_log")
    O0=$(sql "select coalesce(max(id), 0) from outbox")
}
changed() {
    expect_eq "$(sql "select string_agg(action || ' ' || coalesce(target, '-') || ' ' || result, ',')
                      from audit_log where id > $A0")" "$1 $2 ok" "$4: audit row $1"
    expect_eq "$(sql "select string_agg(event, ',') from outbox where id > $O0")" "$3" \
        "$4: outbox row $3"
}

members() { sql "select count(*) from group_member m join person_group g on g.id = m.group_id
                 join org_unit o on o.id = g.org_unit_id
                 where o.code = '$1' and g.name = '$2'"; }

idm org add --type ministry --code bm-mv --name "Ministerium"
idm org add --type authority --code ssa-schwerin --name "SSA Schwerin" --parent bm-mv
idm org add --type school_board --code lk-nwm --name "LK NWM" --parent ssa-schwerin
idm org add --type school --number 75123 --name "Gymnasium Neukloster" --parent ssa-schwerin
idm org add --type school --number 75124 --name "Grundschule Warin" --parent ssa-schwerin
expect_eq "$(sql "select count(*) from org_unit")" 5 "units set up"
PW='Klassen-Passwort-1'
for u in Lena:Schmidt Tim:Nowak Ute:Lehmann Rolf:Roth Mara:Kurz; do
    STDIN=$PW idm user add --given "${u%:*}" --family "${u#*:}" --password-stdin
done
expect_eq "$(sql "select string_agg(login, ',' order by login) from account")" \
    "lena.schmidt,mara.kurz,rolf.roth,tim.nowak,ute.lehmann" "users set up"

# --- group add ---------------------------------------------------------------
mark
idm group add --school 75123 --kind class --name 5a --year 2026/27
expect_rc 0 "add a class with a school year"
expect_eq "$OUT" "75123/5a" "prints unit/name"
expect_eq "$(sql "select kind || ' ' || school_year from person_group where name = '5a'")" \
    "class 2026/27" "class stored with its year"
changed group.add 75123/5a group.created "group add"
mark
idm group add --org 75123 --kind course --name "Informatik"
expect_rc 0 "add a course"
changed group.add 75123/Informatik group.created "course add"
idm group add --org 75123 --kind staff --name "Kollegium"
expect_rc 0 "add a staff group"
idm group add --org 75123 --kind class --name 7c --year 2026/27
idm group add --org 75123 --kind class --name 7c --year 2027/28
expect_rc 0 "same class name in another school year"
idm group add --org 75124 --kind class --name 5a --year 2026/27
expect_rc 0 "same class at another school"
expect_eq "$(sql "select count(*) from person_group")" 6 "six groups"

refused 1 'name: class "5a" 2026/27 already exists at "75123"' "duplicate class" \
    group add --org 75123 --kind class --name 5a --year 2026/27
refused 1 'name: course "Informatik" already exists at "75123"' "duplicate course without year" \
    group add --org 75123 --kind course --name Informatik
refused 1 'year: "2026/28" is not a school year like 2026/27' "year 2026/28" \
    group add --org 75123 --kind class --name 6b --year 2026/28
refused 1 'year: "26/27" is not a school year like 2026/27' "year 26/27" \
    group add --org 75123 --kind class --name 6b --year 26/27
refused 1 'year: "2026/27x" is not a school year' "year with trailing text" \
    group add --org 75123 --kind class --name 6b --year 2026/27x
refused 1 "kind: must be class, course or staff" "bad kind" \
    group add --org 75123 --kind club --name Schach
refused 1 'org: no organisational unit "99999"' "unknown org" \
    group add --org 99999 --kind class --name 6b --year 2026/27
refused 1 "name: must be 1 to 64 characters" "name of 65 characters" \
    group add --org 75123 --kind course --name "$(printf 'x%.0s' $(seq 65))"
refused 2 "--org, --kind and --name are required" "missing --name" \
    group add --org 75123 --kind class
refused 2 "unknown" "unknown option" \
    group add --org 75123 --kind class --name 6b --colour blue

# --- group list ----------------------------------------------------------------
idm group list
expect_rc 0 "group list"
expect_out "MEMBERS" "group list has a header"
expect_out "Informatik" "group list shows the course"
expect_eq "$(printf '%s\n' "$OUT" | grep -c '^75123 ')" 5 "group list: five groups at 75123"
idm group list --org 75124 --json
expect_rc 0 "group list --org --json"
expect_eq "$(json "[(g['org'], g['kind'], g['name'], g['year'], g['members']) for g in j]")" \
    "[('75124', 'class', '5a', '2026/27', 0)]" "group list --org: only that unit"

# --- role grant with a class ------------------------------------------------------
mark
idm role grant --user lena.schmidt --school 75123 --role pupil --class 5a --year 2026/27
expect_rc 0 "grant pupil in class 5a"
expect_eq "$OUT" "lena.schmidt: granted pupil at 75123 in 5a" "grant: message"
changed role.grant lena.schmidt person.role_granted "grant"
idm group members --org 75123 --name 5a
expect_rc 0 "group members"
expect_out "lena.schmidt" "the pupil is a member of her class"
idm group members --org 75123 --name 5a --json
expect_eq "$(json "[m['login'] for m in j]")" "['lena.schmidt']" "members --json"
expect_eq "$(json "j[0]['given_name'] + ' ' + j[0]['family_name']")" "Lena Schmidt" "members --json: names"
expect_eq "$(json "j[0]['uuid']")" "$(sql "select uuid from person where given_name = 'Lena'")" \
    "members --json: uuid"
idm group list --org 75123 --json
expect_eq "$(json "{(g['name'], g['year']): g['members'] for g in j}[('5a', '2026/27')]")" 1 \
    "group list --json counts the member"
expect_eq "$(members 75124 5a)" 0 "the class of the same name elsewhere is untouched"
idm role grant --user tim.nowak --school 75123 --role pupil --class 5a
expect_rc 0 "--class without --year when the name is unique"
expect_eq "$(members 75123 5a)" 2 "two pupils in 5a"

refused 1 'role: "lena.schmidt" already holds pupil at "75123" in 5a' "duplicate grant" \
    role grant --user lena.schmidt --school 75123 --role pupil --class 5a --year 2026/27
refused 1 'role: a teacher cannot be held at the authority "ssa-schwerin"' "teacher at an authority" \
    role grant --user ute.lehmann --org ssa-schwerin --role teacher
refused 1 'role: a authority_staff cannot be held at the school "75123"' "authority_staff at a school" \
    role grant --user ute.lehmann --school 75123 --role authority_staff
refused 1 "cannot be held at the school_board" "pupil at a school board" \
    role grant --user ute.lehmann --org lk-nwm --role pupil
refused 1 "until: must be after the start date" "--until before --from" \
    role grant --user ute.lehmann --school 75123 --role teacher --from 2026-08-01 --until 2026-07-31
refused 1 "until: must be after the start date" "--until equal to --from" \
    role grant --user ute.lehmann --school 75123 --role teacher --from 2026-08-01 --until 2026-08-01
refused 1 'from: "2026-13-01" is not a date' "malformed --from" \
    role grant --user ute.lehmann --school 75123 --role teacher --from 2026-13-01
refused 1 'user: no account "nobody.here"' "unknown user" \
    role grant --user nobody.here --school 75123 --role teacher
refused 1 'role: unknown role "wizard"' "unknown role" \
    role grant --user ute.lehmann --school 75123 --role wizard
refused 1 'org: no organisational unit "99999"' "unknown unit" \
    role grant --user ute.lehmann --school 99999 --role teacher
refused 1 'source: "ldap" is not manual, import or api' "unknown source" \
    role grant --user ute.lehmann --school 75123 --role teacher --source ldap
refused 1 'group: no group "9z" at "75123"' "unknown class" \
    role grant --user ute.lehmann --school 75123 --role pupil --class 9z
refused 1 'group: "7c" exists for several school years at "75123"; give --year' \
    "ambiguous class without --year" \
    role grant --user ute.lehmann --school 75123 --role pupil --class 7c
refused 2 "--user, --org and --role are required" "missing --role" \
    role grant --user ute.lehmann --school 75123

mark
idm role grant --user ute.lehmann --school 75123 --role teacher --source import
expect_rc 0 "grant teacher"
changed role.grant ute.lehmann person.role_granted "grant teacher"
idm role grant --user rolf.roth --org ssa-schwerin --role authority_staff
expect_rc 0 "authority_staff at an authority"
idm role grant --user rolf.roth --org lk-nwm --role municipal_staff
expect_rc 0 "municipal_staff at a school board"
idm role grant --user mara.kurz --school 75124 --role trainee --from 2020-01-01 --until 2021-01-01
expect_rc 0 "grant an expired trainee window"
idm role grant --user mara.kurz --school 75123 --role trainee --from 01.08.2099
expect_rc 0 "grant a future trainee window (--from DD.MM.YYYY)"

# --- role list -------------------------------------------------------------------
idm role list
expect_rc 0 "role list"
expect_out "SOURCE" "role list has a header"
expect_eq "$(printf '%s\n' "$OUT" | grep -c 'trainee')" 1 "only the future trainee role is listed"
expect_eq "$(printf '%s\n' "$OUT" | grep 'mara.kurz' | grep -c '75124')" 0 \
    "the expired trainee role is not listed"
idm role list --all
expect_rc 0 "role list --all"
expect_eq "$(printf '%s\n' "$OUT" | grep 'mara.kurz' | grep '75124' | grep -c '(inactive)')" 1 \
    "--all shows the expired role as inactive"
idm role list --all --json
expect_eq "$(json "[(g['org'], g['valid_from'], g['valid_until'], g['active']) for g in j if g['login'] == 'mara.kurz']")" \
    "[('75123', '2099-08-01', None, False), ('75124', '2020-01-01', '2021-01-01', False)]" \
    "--all --json: expired and future windows inactive"
idm role list --user ute.lehmann --json
expect_rc 0 "role list --user --json"
expect_eq "$(json "[(g['org'], g['role'], g['group'], g['source'], g['active']) for g in j]")" \
    "[('75123', 'teacher', None, 'import', True)]" "--user: the teacher role"
idm role list --user LENA.SCHMIDT --json
expect_eq "$(json "[(g['role'], g['group'], g['year'], g['uuid']) for g in j]")" \
    "[('pupil', '5a', '2026/27', '$(sql "select uuid from person where given_name = 'Lena'")')]" \
    "--user ignores case; group and year listed"
idm role list --org 75123 --json
expect_eq "$(json "sorted(g['login'] for g in j)")" \
    "['lena.schmidt', 'mara.kurz', 'tim.nowak', 'ute.lehmann']" "--org: assignments at that unit"
idm role list --org ssa-schwerin
expect_rc 0 "role list --org (text)"
expect_out "authority_staff" "authority role listed"
idm role list --user rolf.roth --org lk-nwm --json
expect_eq "$(json "[g['role'] for g in j]")" "['municipal_staff']" "--user and --org combine"

# --- role revoke -------------------------------------------------------------------
mark
idm role revoke --user lena.schmidt --school 75123 --role pupil --class 5a --year 2026/27
expect_rc 0 "revoke"
expect_eq "$OUT" "lena.schmidt: revoked pupil at 75123 in 5a" "revoke: message"
changed role.revoke lena.schmidt person.role_revoked "revoke"
expect_eq "$(sql "select count(*) from role_assignment r join person p on p.id = r.person_id
                  where p.given_name = 'Lena'")" 0 "assignment removed"
idm group members --org 75123 --name 5a --json
expect_eq "$(json "[m['login'] for m in j]")" "['tim.nowak']" "class membership removed with the role"
refused 1 'role: "lena.schmidt" holds no pupil at "75123" in 5a' "revoke again" \
    role revoke --user lena.schmidt --school 75123 --role pupil --class 5a --year 2026/27
refused 1 'role: "ute.lehmann" holds no teacher at "75124"' "revoke a role never held" \
    role revoke --user ute.lehmann --school 75124 --role teacher
refused 1 'holds no teacher at "75123" in 5a' "revoke with a class the role does not have" \
    role revoke --user ute.lehmann --school 75123 --role teacher --class 5a
refused 1 'holds no teacher' "revoke for an unknown user" \
    role revoke --user nobody.here --school 75123 --role teacher
refused 2 "--user, --org and --role are required" "revoke without --role" \
    role revoke --user ute.lehmann --school 75123

# --- role mapping --------------------------------------------------------------------
idm role mapping
expect_rc 0 "role mapping"
expect_eq "$(printf '%s\n' "$OUT" | wc -l)" 13 "mapping: header and 12 roles"
expect_eq "$(printf '%s\n' "$OUT" | awk '$1 == "pupil" {print $2, $3}')" "Lern student,member" \
    "mapping text: pupil"
idm role mapping --json
expect_rc 0 "role mapping --json"
expect_eq "$(json "len(j)")" 12 "12 roles"
expect_eq "$(json "sorted(r['role'] for r in j)")" \
    "['authority_admin', 'authority_staff', 'guardian', 'ministry_admin', 'ministry_staff', 'municipal_staff', 'pedagogical_staff', 'pupil', 'school_admin', 'school_leader', 'teacher', 'trainee']" \
    "the 12 role identifiers"
expect_eq "$(json "[(r['schulconnex'], 'student' in r['eduPersonAffiliation']) for r in j if r['role'] == 'pupil']")" \
    "[('Lern', True)]" "pupil -> Lern, student"
expect_eq "$(json "[(r['schulconnex'], 'faculty' in r['eduPersonAffiliation'], r['held_at']) for r in j if r['role'] == 'teacher']")" \
    "[('Lehr', True, ['school'])]" "teacher -> Lehr, faculty, at schools"
# Spelling as in README.md and the project brief (SorgBer, not Sorgber).
expect_eq "$(json "[r['schulconnex'] for r in j if r['role'] == 'guardian']")" "['SorgBer']" \
    "guardian -> SorgBer"
expect_eq "$(json "sorted(r['role'] for r in j if r['admin'])")" \
    "['authority_admin', 'ministry_admin', 'school_admin']" "three admin roles"

# --- group membership ---------------------------------------------------------------
mark
idm group add-member --org 75123 --name Informatik --user LENA.SCHMIDT
expect_rc 0 "add-member"
expect_eq "$OUT" "LENA.SCHMIDT: added to 75123/Informatik" "add-member: message"
changed group.add_member 75123/Informatik group.member_added "add-member"
idm group add-member --org 75123 --name Informatik --user ute.lehmann
idm group members --org 75123 --name Informatik --json
expect_rc 0 "members --json"
expect_eq "$(json "[m['login'] for m in j]")" "['ute.lehmann', 'lena.schmidt']" \
    "members sorted by family name"
refused 1 'user: "lena.schmidt" is already a member' "add-member twice" \
    group add-member --org 75123 --name Informatik --user lena.schmidt
refused 1 'user: no account "nobody.here"' "add-member of an unknown user" \
    group add-member --org 75123 --name Informatik --user nobody.here
refused 1 'group: no group "Latein" at "75123"' "add-member to an unknown group" \
    group add-member --org 75123 --name Latein --user lena.schmidt
refused 1 'group: "7c" exists for several school years' "add-member to an ambiguous class" \
    group add-member --org 75123 --name 7c --user lena.schmidt
idm group add-member --org 75123 --name 7c --year 2027/28 --user lena.schmidt
expect_rc 0 "add-member with --year"
expect_eq "$(sql "select g.school_year from group_member m join person_group g on g.id = m.group_id
                  join person p on p.id = m.person_id where g.name = '7c' and p.given_name = 'Lena'")" \
    2027/28 "the class of that year"
refused 2 "--org, --name and --user are required" "add-member without --user" \
    group add-member --org 75123 --name Informatik
mark
idm group remove-member --org 75123 --name Informatik --user lena.schmidt
expect_rc 0 "remove-member"
expect_eq "$OUT" "lena.schmidt: removed from 75123/Informatik" "remove-member: message"
changed group.remove_member 75123/Informatik group.member_removed "remove-member"
expect_eq "$(members 75123 Informatik)" 1 "one member left"
refused 1 'user: "lena.schmidt" is not a member' "remove a non-member" \
    group remove-member --org 75123 --name Informatik --user lena.schmidt
refused 1 'user: "nobody.here" is not a member' "remove an unknown user" \
    group remove-member --org 75123 --name Informatik --user nobody.here
idm group members --org 75123 --name Latein
expect_rc 1 "members of an unknown group"
expect_err 'group: no group "Latein" at "75123"' "members of an unknown group: message"
idm group members --org 75123
expect_rc 2 "members without --name"
expect_err "--org and --name are required" "members without --name: message"
idm group members --org 75123 --name Kollegium --json
expect_rc 0 "members of an empty group"
expect_eq "$(json "j")" "[]" "empty group: []"

# Deleting a user ends roles and memberships.
idm user delete --yes tim.nowak
expect_rc 0 "delete a pupil"
expect_eq "$(members 75123 5a)" 0 "deleted pupil left the class"
idm role list --user tim.nowak --all --json
expect_eq "$(json "j")" "[]" "deleted pupil holds no role"
refused 1 'user: no account "tim.nowak"' "grant to a deleted user" \
    role grant --user tim.nowak --school 75123 --role pupil --class 5a
refused 1 'user: no account "tim.nowak"' "add-member of a deleted user" \
    group add-member --org 75123 --name Informatik --user tim.nowak

# Every successful write above has its audit row and outbox event; refusals
# none (checked per refusal), and no audit row is anything but ok.
expect_eq "$(sql "select count(*) from audit_log where result <> 'ok'")" 0 "no failed audit rows"
expect_eq "$(sql "select count(*) from audit_log where action like 'group.%'")" \
    "$(sql "select count(*) from outbox where event like 'group.%'")" "group writes: audit = outbox"
expect_eq "$(sql "select count(*) from audit_log where action like 'role.%'")" \
    "$(sql "select count(*) from outbox where event like 'person.role_%'")" "role writes: audit = outbox"

finish
