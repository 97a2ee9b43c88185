#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
# idmctl org add/list/show: the M-V tree (ministry, school authorities,
# school boards, schools with DE-MV codes), every refusal, audit and outbox.
. "$(dirname "$0")/lib.sh" "$1"

newdb org_t
idm migrate
expect_rc 0 "migrate"

# added CODE TYPE DESC: the last add printed CODE, stored the unit and wrote
# one audit row (org.add) and one outbox row (org.created) for it.
added() {
    expect_rc 0 "$3"
    expect_eq "$OUT" "$1" "$3: prints the code"
    expect_eq "$(sql "select type from org_unit where code = '$1'")" "$2" \
        "$3: stored as $2"
    expect_eq "$(sql "select count(*) from audit_log where action = 'org.add'
                      and target = '$1' and result = 'ok'")" 1 \
        "$3: one audit row org.add"
    expect_eq "$(sql "select count(*) from outbox where aggregate = 'org'
                      and key = '$1' and event = 'org.created'")" 1 \
        "$3: one outbox row org.created"
}

# refused RC MESSAGE DESC ARGS...: org add ARGS exits RC, says MESSAGE on
# stderr and writes nothing.
refused() {
    local rc=$1 msg=$2 desc=$3 before
    shift 3
    before=$(snap)
    idm org add "$@"
    expect_rc "$rc" "$desc: exit $rc"
    expect_err "$msg" "$desc: message"
    expect_eq "$(snap)" "$before" "$desc: nothing written"
}

# The tree: ministry, the four school authorities, two school boards and
# schools with 5- and 6-digit numbers.
idm org add --type ministry --code bm-mv \
    --name "Ministerium für Bildung und Kindertagesförderung M-V"
added bm-mv ministry "add the ministry"
for a in greifswald neubrandenburg rostock schwerin; do
    idm org add --type authority --code "ssa-$a" --parent bm-mv \
        --name "Staatliches Schulamt ${a^}"
    added "ssa-$a" authority "add authority ssa-$a"
done
idm org add --type school_board --code lk-nwm --parent ssa-schwerin \
    --name "Landkreis Nordwestmecklenburg"
added lk-nwm school_board "add a school board below an authority"
idm org add --type school_board --code hro --parent bm-mv \
    --name "Hanse- und Universitätsstadt Rostock"
added hro school_board "add a school board below the ministry"
idm org add --type school --number 75123 --name "Gymnasium Neukloster" \
    --parent ssa-schwerin --board lk-nwm
added 75123 school "add a school with a board"
idm org add --type school --number 130456 --name "Große Stadtschule" \
    --parent ssa-rostock --board hro
added 130456 school "add a school with a 6-digit number"
idm org add --type school --number 75200 --name "Grundschule Wolgast" \
    --parent ssa-greifswald
added 75200 school "add a school without a board"
idm org add --type school --number 75301 --code 75301 \
    --name "Regionale Schule Neustrelitz" --parent ssa-neubrandenburg
added 75301 school "--code equal to the number is accepted"

expect_eq "$(sql "select school_code from org_unit where code = '75123'")" \
    DE-MV-75123 "school code DE-MV-<number> stored"
expect_eq "$(sql "select count(*) from org_unit where school_code is not null")" 4 \
    "only schools have a school code"
expect_eq "$(sql "select payload->>'board' from outbox where key = '75123'")" lk-nwm \
    "outbox payload names the board"
expect_eq "$(sql "select details->>'parent' from audit_log where target = '130456'")" \
    ssa-rostock "audit details name the parent"

# show, text and JSON
idm org show 75123
expect_rc 0 "show a school"
expect_out "school code:   DE-MV-75123" "show: school code"
expect_out "school number: 75123" "show: school number"
expect_out "board:         lk-nwm" "show: board"
expect_out "parent:        ssa-schwerin" "show: parent"
expect_out "name:          Gymnasium Neukloster" "show: name"
idm org show bm-mv
expect_rc 0 "show the ministry"
expect_out "parent:        -" "the ministry has no parent"
case $OUT in *"school code"*) r=1 ;; *) r=0 ;; esac
expect_eq "$r" 0 "no school code shown for the ministry"
idm org show --json 130456
expect_rc 0 "show --json"
expect_eq "$(json "[j['school_code'], j['school_number'], j['type'], j['parent'], j['board']]")" \
    "['DE-MV-130456', '130456', 'school', 'ssa-rostock', 'hro']" "show --json fields"
expect_eq "$(json "j['name']")" "Große Stadtschule" "show --json keeps the UTF-8 name"
idm org show --json ssa-rostock
expect_eq "$(json "j['school_code'] is None and j['school_number'] is None and j['board'] is None")" \
    True "show --json: nulls for an authority"
# The order of the usage text: CODE first, then --json.
idm org show 75123 --json
expect_rc 0 "show CODE --json (order of the usage text)"
expect_out '"school_code": "DE-MV-75123"' "show CODE --json prints JSON"
idm org show nosuch
expect_rc 1 "show an unknown unit"
expect_err 'no organisational unit "nosuch"' "show unknown: names the code"
idm org show
expect_rc 2 "show without a code"
expect_err "usage: idmctl org show CODE" "show without a code: usage on stderr"

# list
idm org list
expect_rc 0 "list"
expect_out "DE-MV-75123" "list shows school codes"
expect_out "Landkreis Nordwestmecklenburg" "list shows names"
expect_eq "$(printf '%s\n' "$OUT" | wc -l)" 12 "list: header and 11 units"
idm org list --json
expect_rc 0 "list --json"
expect_eq "$(json "len(j)")" 11 "list --json: 11 units"
expect_eq "$(json "j[0]['code']")" bm-mv "tree walk starts at the ministry"
expect_eq "$(json "all([x['code'] for x in j].index(x['parent']) < i for i, x in enumerate(j) if x['parent'])")" \
    True "list --json: every parent comes before its children"
expect_eq "$(json "sorted(x['school_code'] for x in j if x['school_code'])")" \
    "['DE-MV-130456', 'DE-MV-75123', 'DE-MV-75200', 'DE-MV-75301']" "list --json: school codes"
idm org list --type authority --json
expect_rc 0 "list --type authority"
expect_eq "$(json "sorted(x['code'] for x in j)")" \
    "['ssa-greifswald', 'ssa-neubrandenburg', 'ssa-rostock', 'ssa-schwerin']" \
    "list --type authority: the four authorities"
idm org list --type school --json
expect_eq "$(json "sorted(x['code'] for x in j)")" "['130456', '75123', '75200', '75301']" \
    "list --type school: the four schools"
idm org list --type school_board
expect_rc 0 "list --type school_board (text)"
expect_out "lk-nwm" "school boards listed"
expect_eq "$(printf '%s\n' "$OUT" | awk 'NR > 1 {print $1 ":" $2}' | sort | tr '\n' ' ')" \
    "hro:school_board lk-nwm:school_board " "list --type school_board shows the two boards only"
idm org list --under ssa-schwerin --json
expect_rc 0 "list --under"
expect_eq "$(json "sorted(x['code'] for x in j)")" "['75123', 'lk-nwm', 'ssa-schwerin']" \
    "list --under: the subtree only"
expect_eq "$(json "j[0]['code']")" ssa-schwerin "list --under starts at its root"
idm org list --under ssa-schwerin --type school --json
expect_eq "$(json "[x['code'] for x in j]")" "['75123']" "--under and --type combine"
idm org list --type district
expect_rc 2 "list --type unknown is a usage error"
expect_err 'type: "district" is not a unit type' "list --type unknown: message"

# Refusals: exit code, message, nothing written.
refused 1 'code: a unit "ssa-rostock" already exists' "duplicate code" \
    --type authority --code ssa-rostock --name "Noch ein Schulamt" --parent bm-mv
refused 1 'number: a unit "75123" already exists' "duplicate school number" \
    --type school --number 75123 --name "Doppelt" --parent ssa-rostock
refused 1 "ministry" "a second ministry (message says so)" \
    --type ministry --code bm-zwei --name "Zweites Ministerium"
refused 1 "parent: the ministry is the root of the tree" "ministry with a parent" \
    --type ministry --code bm-drei --name "Drittes" --parent bm-mv
refused 1 'parent: a school cannot be placed below the ministry "bm-mv"' \
    "school below the ministry" \
    --type school --number 75999 --name "Schule" --parent bm-mv
refused 1 'cannot be placed below the authority "ssa-rostock"' \
    "authority below an authority" \
    --type authority --code ssa-wismar --name "SSA Wismar" --parent ssa-rostock
refused 1 'cannot be placed below the school "75123"' "school board below a school" \
    --type school_board --code gem-x --name "Gemeinde X" --parent 75123
refused 1 'parent: no unit with code "ssa-nowhere"' "unknown parent" \
    --type school --number 75998 --name "Schule" --parent ssa-nowhere
refused 1 "parent: required for a" "authority without a parent" \
    --type authority --code ssa-wismar --name "SSA Wismar"
refused 1 "number: a school number has 5 or 6 digits" "school number of 4 digits" \
    --type school --number 7512 --name "Schule" --parent ssa-schwerin
refused 1 "number: a school number has 5 or 6 digits" "school number with letters" \
    --type school --number 75a23 --name "Schule" --parent ssa-schwerin
refused 1 "number: a school number has 5 or 6 digits" "school number of 7 digits" \
    --type school --number 7512345 --name "Schule" --parent ssa-schwerin
refused 1 "number: a school number has 5 or 6 digits" "school without a number" \
    --type school --name "Schule" --parent ssa-schwerin
refused 1 "number: only schools have a school number" "--number on an authority" \
    --type authority --code ssa-wismar --number 75997 --name "SSA" --parent bm-mv
refused 1 "code: must be 1 to 63 characters of [a-z0-9-]" "code with upper case" \
    --type authority --code SSA-Wismar --name "SSA Wismar" --parent bm-mv
refused 1 "code: must be 1 to 63 characters of [a-z0-9-]" "code with a space" \
    --type authority --code "ssa wismar" --name "SSA Wismar" --parent bm-mv
refused 1 "code: must be 1 to 63 characters of [a-z0-9-]" "code starting with -" \
    --type authority --code -ssa --name "SSA" --parent bm-mv
refused 1 "code: must be 1 to 63 characters of [a-z0-9-]" "code of 64 characters" \
    --type authority --code "$(printf 'a%.0s' $(seq 64))" --name "SSA" --parent bm-mv
refused 1 "code: must be 1 to 63 characters of [a-z0-9-]" "authority without a code" \
    --type authority --name "SSA" --parent bm-mv
refused 1 "code: a school's code is its number" "--code on a school differs from its number" \
    --type school --number 75996 --code gym-x --name "Schule" --parent ssa-schwerin
refused 1 "board: only schools have a school board" "--board on a non-school" \
    --type authority --code ssa-wismar --name "SSA" --parent bm-mv --board lk-nwm
refused 1 'board: "ssa-rostock" is not a school board' "--board naming an authority" \
    --type school --number 75995 --name "Schule" --parent ssa-rostock --board ssa-rostock
refused 1 'board: no unit with code "lk-nowhere"' "unknown --board" \
    --type school --number 75995 --name "Schule" --parent ssa-rostock --board lk-nowhere
refused 1 "name:" "name of invalid UTF-8" \
    --type authority --code ssa-x --name $'\xff' --parent bm-mv
refused 1 "name:" "name of only spaces (message names the field)" \
    --type authority --code ssa-x --name "   " --parent bm-mv
refused 2 'type: "district" is not ministry, authority, school or school_board' \
    "unknown --type" --type district --code lk-x --name "Kreis" --parent bm-mv
refused 2 "--type and --name are required" "missing --name" \
    --type authority --code ssa-x --parent bm-mv
refused 2 "--type and --name are required" "missing --type" \
    --code ssa-x --name "X" --parent bm-mv
refused 2 'unexpected argument "extra"' "stray argument" \
    --type authority --code ssa-x --name "X" --parent bm-mv extra
refused 2 "unknown" "unknown option" \
    --type authority --code ssa-x --name "X" --parent bm-mv --colour blue

# Exactly one audit and one outbox row per unit, none for the refusals.
expect_eq "$(sql "select count(*) from org_unit")" 11 "11 units in the end"
expect_eq "$(sql "select count(*) from audit_log")" 11 "one audit row per unit"
expect_eq "$(sql "select count(*) from audit_log where action = 'org.add' and result = 'ok'")" 11 \
    "all audit rows are org.add ok"
expect_eq "$(sql "select count(*) from outbox where event = 'org.created'")" 11 \
    "one org.created event per unit"
expect_eq "$(sql "select count(*) from outbox")" 11 "no other outbox rows"

finish
