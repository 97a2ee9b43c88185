#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
# idmctl import sip against a real PostgreSQL, one fixture per case from
# tests/data/import: encodings, delimiters, quoting, header spellings, row
# errors, dry run (database dump unchanged), apply, idempotent re-run,
# class/name/school changes, leavers, grace deletion, reactivation, the
# mass-leaving guard, an apply killed mid-transaction, letters and report.
. "$(dirname "$0")/../lib.sh" "$1"

D=$SRC/tests/data/import
unset LC_ALL LC_MESSAGES
# messages in English, except where a test asks for German (env does not
# make bash itself switch locales)
idm() { run env LANG=en_US.UTF-8 "$IDMCTL" --config "$CONF" "$@"; }
idm_de() { run env LANG=de_DE.UTF-8 "$IDMCTL" --config "$CONF" "$@"; }
newdb import_t
cat >> "$CONF" <<EOF

[import]
login_url = https://login.example.test/
EOF
idm migrate
expect_rc 0 "migrate"
idm org add --type ministry --code bm-mv --name Ministerium
idm org add --type authority --code ssa-schwerin --name "Staatliches Schulamt Schwerin" --parent bm-mv
idm org add --type school --number 75123 --name "Gymnasium Neukloster" --parent ssa-schwerin
idm org add --type school --number 75124 --name "Regionale Schule Warin" --parent ssa-schwerin
expect_rc 0 "schools created"

dump() {
    pg_dump -h "$IDM_TEST_PG_HOST" -p "$IDM_TEST_PG_PORT" -U "$IDM_TEST_PG_USER" \
        --no-owner "$(echo "$DSN" | sed 's/.*dbname=\([^ ]*\).*/\1/')" |
        grep -v '^\\\(un\)\{0,1\}restrict '   # a random key per dump
}
count() { sql "select count(*) from $1"; }
# jfield FILE EXPR: run a dry run of a fixture with --json, print EXPR over j
dry() { idm import sip "$D/$1" --school 75123 --dry-run --json "${@:2}"; }

# ---- encodings and delimiters (dry runs against the empty school) ----
for case in "utf8_semicolon.csv UTF-8 ; 10" \
            "utf8_bom_crlf_comma.csv UTF-8 , 10" \
            "utf16le_bom_tab.csv UTF-16LE tab 3" \
            "utf16be_bom.csv UTF-16BE ; 3" \
            "latin1.csv ISO-8859-1 ; 2" \
            "cp1252.csv Windows-1252 ; 3" \
            "latin9.csv ISO-8859-15 ; 3" \
            "trailing_delimiter.csv UTF-8 ; 3" \
            "header_spellings.csv UTF-8 ; 2"; do
    set -- $case
    dry "$1"
    expect_rc 0 "$1: dry run"
    expect_eq "$(json "(j['encoding'], j['delimiter'], j['rows'], j['counts']['new'], len(j['errors']))")" \
        "('$2', '$3', $4, $4, 0)" "$1: $2, delimiter $3, $4 new rows, no errors"
done
idm import sip "$D/latin1.csv" --school 75123 --dry-run --report "$T_TMP/l1.csv"
expect_eq "$(sed -n 2p "$T_TMP/l1.csv" | cut -d';' -f6,7)" "Müller;Zoë" "ISO-8859-1 names decoded"
idm import sip "$D/latin9.csv" --school 75123 --dry-run --report "$T_TMP/l9.csv"
expect_eq "$(sed -n 4p "$T_TMP/l9.csv" | cut -d';' -f6)" "Šimek" "ISO-8859-15 Š decoded"
idm import sip "$D/cp1252.csv" --school 75123 --dry-run --report "$T_TMP/cp.csv"
expect_eq "$(sed -n 4p "$T_TMP/cp.csv" | cut -d';' -f6)" "Šimek" "Windows-1252 Š decoded"
idm import sip "$D/utf16le_bom_tab.csv" --school 75123 --dry-run --report "$T_TMP/u16.csv"
expect_eq "$(sed -n 3p "$T_TMP/u16.csv" | cut -d';' -f6,7)" "Łukasiewicz;Zoë" "UTF-16 names decoded"
idm import sip "$D/staff.csv" --school 75123 --dry-run --encoding iso-8859-1 --json
expect_rc 1 "--encoding overrides detection (UTF-8 read as Latin-1)"
expect_out 'LehramtsanwÃ¤rterin' "mis-decoded value shows in the row error"
idm import sip "$D/utf8_semicolon.csv" --school 75123 --dry-run --delimiter ,
expect_rc 1 "--delimiter overrides detection (wrong one: no profile)"

# ---- quoting, header, row errors ----
dry quoted_newline.csv
expect_rc 1 "quoted_newline: the bad date stops the run"
expect_eq "$(json "(j['rows'], j['counts']['new'], j['errors'][0]['line'])")" "(3, 2, 5)" \
    "quoted cells with ; \"\" and a line break parsed; error on physical line 5"
idm import sip "$D/quoted_newline.csv" --school 75123 --dry-run --max-errors 1 --report "$T_TMP/q.csv"
expect_rc 0 "--max-errors 1 lets the valid rows through"
expect_eq "$(python3 -c "import csv; r=list(csv.reader(open('$T_TMP/q.csv', encoding='utf-8-sig'), delimiter=';')); print(r[1][5] + '|' + r[1][6])")" \
    'Meier; geb. Schulz|Anna "Anni"' "embedded delimiter and quotes kept"
dry missing_column.csv
expect_rc 1 "missing column refused"
expect_out 'required column \"Vorname\" is missing' "message names the column"
idm_de import sip "$D/missing_column.csv" --school 75123 --dry-run
expect_err "Pflichtspalte „Vorname“ fehlt" "German message with LANG=de_DE"
dry duplicate_key.csv
expect_rc 1 "duplicate key refused"
expect_eq "$(json "[e['line'] for e in j['errors']]")" "[2, 4]" "both rows with the key are errors"
dry bad_date.csv
expect_rc 1 "bad date refused"
expect_out 'line 2, column 6 (Geburtsdatum): \"31.02.2012\" is not a date' "line and column of the bad date"
dry bad_class.csv
expect_out 'line 2, column 7 (Klasse)' "bad class format with line and column"
dry bad_encoding.csv
expect_out 'line 3, column 13: invalid byte sequence (encoding UTF-8)' "bad UTF-8 sequence with line and column"
expect_eq "$(json "j['counts']['new']")" 3 "the other rows of that file are fine"
dry too_many_cells.csv
expect_out 'line 3, column 9: the row has 10 cells, the header only 8' "too many cells"
idm import sip "$D/utf8_semicolon.csv" --school 75124 --dry-run
expect_rc 1 "rows of a school outside --school are errors"
expect_err "school 75123 is not in the scope" "scope error"
idm import sip "$D/utf8_semicolon.csv" --school 99999 --dry-run
expect_rc 1 "unknown school"
idm import sip "$D/utf8_semicolon.csv"
expect_rc 2 "--school is required (usage)"

# ---- dry run writes nothing ----
dump > "$T_TMP/before.sql"
idm import sip "$D/utf8_semicolon.csv" --school 75123 --dry-run
expect_rc 0 "dry run of the base file"
expect_out "10 change(s) planned" "dry run plans 10 new persons"
dump > "$T_TMP/after.sql"
expect_eq "$(diff "$T_TMP/before.sql" "$T_TMP/after.sql" > /dev/null && echo same)" same \
    "database dump unchanged by the dry run"

# ---- apply, letters, report, idempotent re-run ----
idm import sip "$D/utf8_semicolon.csv" --school 75123 --letters "$T_TMP/letters" --report "$T_TMP/r1.csv"
expect_rc 0 "apply the base file"
expect_out "applied: 10 change(s)" "10 changes applied"
expect_eq "$(sql "select count(*) from account a join person_external_key k using (person_id) where k.source = 'sip'")" 10 "10 accounts with sip keys"
expect_eq "$(sql "select string_agg(login, ',' order by login) from account where login like 'lena.schmidt%'")" \
    "lena.schmidt,lena.schmidt2" "same names get numbered logins from the generator"
expect_eq "$(sql "select count(*) from account where must_change_password and password_hash like '\$argon2id\$v=19\$m=64,t=1,p=1\$%'")" 10 \
    "initial passwords: cheap Argon2id, must change"
expect_eq "$(sql "select count(*) from audit_log where action = 'user.add'")" 10 "one user.add audit entry per person"
expect_eq "$(sql "select count(*) from outbox where event = 'person.created' and payload->>'org' = '75123' and payload->>'role' = 'pupil' and payload ? 'group'")" 10 \
    "one outbox event per new person, naming school, role and class"
expect_eq "$(sql "select count(*) from audit_log a join outbox o on o.key = a.details->>'uuid' where a.action = 'user.add' and o.event = 'person.created' and a.details = o.payload")" 10 \
    "audit entry and event of a new person carry the same details"
expect_eq "$(sql "select count(*) from audit_log where action = 'role.grant'")|$(sql "select count(*) from outbox where event = 'person.role_granted'")" "0|0" \
    "a new person's role context is part of its user.add change"
expect_eq "$(sql "select count(*) from person_group where kind = 'class'")" 5 "classes created"
expect_eq "$(ls "$T_TMP/letters" | sort | tr '\n' ' ')" \
    "75123_10_2.pdf 75123_7a.pdf 75123_8b.pdf 75123_9c.pdf 75123_BF-Kfz_1.pdf " "one letter PDF per class"
expect_eq "$(stat -c %a "$T_TMP/letters/75123_7a.pdf")" 600 "letters are private (0600)"
pdftotext "$T_TMP/letters/75123_7a.pdf" "$T_TMP/7a.txt" 2>/dev/null
expect_eq "$(grep -c -x -e anna.mueller -e zoe.lukasiewicz "$T_TMP/7a.txt")" 2 "pdftotext finds the logins"
expect_eq "$(grep -c 'https://login.example.test/' "$T_TMP/7a.txt")" 2 "letters carry the login URL"
pw=$(grep -A2 '^Erstpasswort:' "$T_TMP/7a.txt" | grep -E '^[A-Za-z0-9]{16}$' | head -1)
expect_eq "${#pw}" 16 "letter holds a 16-character initial password"
printf '%s\n' "$pw" > "$T_TMP/pw"
first_login=$(grep -B12 -e "$pw" "$T_TMP/7a.txt" | grep -E '^[a-z]+\.[a-z]+$' | tail -1)
STDIN=$pw idm user passwd-check "$first_login"
expect_rc 0 "the initial password from the letter verifies"
all_pw=$(for f in "$T_TMP"/letters/*.pdf; do pdftotext "$f" - 2>/dev/null; done | grep -A2 '^Erstpasswort:' | grep -E '^[A-Za-z0-9]{16}$')
expect_eq "$(echo "$all_pw" | wc -l)" 10 "ten passwords in the letters"
leak=0
for p in $all_pw; do grep -q -e "$p" "$T_TMP/r1.csv" "$STATE"/logs/* 2>/dev/null && leak=1; done
expect_eq "$leak" 0 "no password appears in the report (or server logs)"
expect_eq "$(sql "select count(*) from audit_log where details::text ~ '[A-Za-z0-9]{16}\"' and details::text !~ 'uuid'")" 0 "no password in audit details"
expect_eq "$(head -1 "$T_TMP/r1.csv" | tr -d '\r\357\273\277')" \
    "line;action;school;key;login;family_name;given_name;class;role;result;message" "report header"
expect_eq "$(grep -c ';new;.*;ok;' "$T_TMP/r1.csv")" 10 "report: 10 rows new/ok with logins"
dump > "$T_TMP/before2.sql"
idm import sip "$D/utf8_semicolon.csv" --school 75123
expect_rc 0 "re-run of the same file"
expect_out "applied: 0 change(s)" "re-run: 0 changes"
dump > "$T_TMP/after2.sql"
expect_eq "$(diff "$T_TMP/before2.sql" "$T_TMP/after2.sql" > /dev/null && echo same)" same "re-run writes nothing"

# ---- class change, name change ----
login1=$(sql "select login from account a join person_external_key k using (person_id) where k.key = '1001'")
idm import sip "$D/class_change.csv" --school 75123 --json
expect_rc 0 "class change applied"
expect_eq "$(json "(j['counts']['moved_class'], j['changes'])")" "(1, 1)" "one class change"
expect_eq "$(sql "select g.name from group_member m join person_group g on g.id = m.group_id join account a on a.person_id = m.person_id where a.login = '$login1'")" 7b "member of 7b only"
expect_eq "$(sql "select count(*) from audit_log where action in ('role.revoke', 'role.grant') and target = '$login1'")" 2 "revoke + grant audited"
expect_eq "$(sql "select o.payload->>'org' || '/' || (o.payload->>'group') || '/' || (a.details->>'group') from outbox o, audit_log a where o.event = 'person.role_granted' and a.action = 'role.grant' and a.target = '$login1' and o.payload->>'uuid' = a.details->>'uuid' order by o.id desc, a.id desc limit 1")" \
    "75123/7b/7b" "grant event and audit entry name the school and the new class"
expect_eq "$(json "all(isinstance(j['timings'][k], float) for k in ('read.parse', 'plan.query', 'apply.grant', 'apply.outbox', 'commit'))")" True \
    "--json reports the seconds of each step"
login2=$(sql "select login from account a join person_external_key k using (person_id) where k.key = '1002'")
idm import sip "$D/name_change.csv" --school 75123 --json
expect_eq "$(json "j['counts']['updated']")" 1 "name change planned as update"
expect_eq "$(sql "select family_name || ' ' || a.login from person p join account a on a.person_id = p.id where a.login = '$login2'")" \
    "Łukasiewicz-Brandt $login2" "name updated, login kept"
idm import sip "$D/birth_change.csv" --school 75123 --json --report "$T_TMP/birth.csv"
expect_eq "$(json "(j['counts']['updated'], j['changes'])")" "(1, 1)" "birth date change planned as update"
expect_eq "$(grep -c 'birth date 2011-06-05 → 2011-06-15' "$T_TMP/birth.csv")" 1 "the report names the old and the new birth date"
expect_eq "$(sql "select p.birth_date from person p join person_external_key k on k.person_id = p.id where k.key = '1003'")" \
    2011-06-15 "birth date updated"
idm import sip "$D/birth_change.csv" --school 75123 --year 2027/28 --dry-run --json
expect_eq "$(json "(j['counts']['moved_class'], j['changes'])")" "(10, 10)" "a new school year: every pupil moves to its new class"

# ---- school change between two files ----
idm import sip "$D/school_a.csv" --school 75123 --yes
expect_rc 0 "school_a applied (the others of 75123 leave, confirmed)"
login8=$(sql "select login from account a join person_external_key k using (person_id) where k.key = '8001'")
idm import sip "$D/school_b.csv" --school 75124 --json
expect_rc 0 "school_b applied"
expect_eq "$(json "(j['counts']['moved_school'], j['counts']['new'])")" "(1, 1)" "8001 moved school, 8003 new"
expect_eq "$(sql "select string_agg(o.code || '/' || g.name, ',') from role_assignment r join org_unit o on o.id = r.org_unit_id join person_group g on g.id = r.group_id join account a on a.person_id = r.person_id where a.login = '$login8'")" \
    "75124/8c" "same account, new role context at 75124"
expect_eq "$(sql "select count(*) from account a join person_external_key k using (person_id) where k.key = '8001'")" 1 "no second account"

# ---- leavers, guard, reactivation, grace deletion ----
newdb import_l
idm migrate
idm org add --type ministry --code bm-mv --name Ministerium
idm org add --type authority --code ssa-schwerin --name SSA --parent bm-mv
idm org add --type school --number 75123 --name "Gymnasium" --parent ssa-schwerin
idm import sip "$D/name_change.csv" --school 75123
expect_rc 0 "fresh school with 10 pupils"
before=$(dump)
idm import sip "$D/empty.csv" --school 75123 --yes
expect_rc 1 "empty file refused, even with --yes"
expect_err "never wipes a school" "says why"
idm import sip "$D/half.csv" --school 75123
expect_rc 1 "half file stopped by the mass-leaving guard"
expect_err "5 of 10 persons (50 %) would leave" "guard names the share"
idm import sip "$D/truncated.csv" --school 75123 --yes
expect_rc 1 "truncated file (cut inside a quote) refused"
expect_eq "$(dump)" "$before" "nothing written by the refused runs"
idm import sip "$D/leaver_one.csv" --school 75123 --json
expect_rc 0 "one leaver of ten (10 %) passes the guard"
expect_eq "$(json "j['counts']['leaving']")" 1 "one leaving"
gone=$(sql "select login from account a join person_external_key k using (person_id) where k.key = '1010'")
expect_eq "$(sql "select status from account where login = '$gone'")" disabled "leaver disabled"
expect_eq "$(sql "select count(*) from import_leaver")" 1 "leaver recorded for the grace period"
idm import sip "$D/leaver_one.csv" --school 75123
expect_out "applied: 0 change(s)" "leaver not counted twice"
idm import sip "$D/name_change.csv" --school 75123 --json
expect_eq "$(json "j['counts']['reactivated']")" 1 "reappearing leaver reactivated"
expect_eq "$(sql "select status from account where login = '$gone'")" active "same login, active again"
expect_eq "$(sql "select count(*) from import_leaver")" 0 "grace record removed"
idm import sip "$D/leaver_one.csv" --school 75123
sql "update import_leaver set left_at = now() - interval '91 days'" > /dev/null
idm import sip "$D/leaver_one.csv" --school 75123 --json
expect_eq "$(json "j['counts']['deleted']")" 1 "grace period over: deleted"
expect_eq "$(sql "select status || ',' || (password_hash is null) from account where login = '$gone'")" "deleted,true" "account deleted, hash gone"
expect_eq "$(sql "select count(*) from person_external_key where key = '1010'")" 0 "external key forgotten (GDPR)"
expect_eq "$(sql "select count(*) from login_ledger where login = '$gone'")" 1 "login stays in the ledger"
idm import sip "$D/name_change.csv" --school 75123 --json
expect_eq "$(json "j['counts']['new']")" 1 "returning after deletion: a new person"
expect_eq "$(sql "select count(*) from account where login = '$gone'")" 1 "the old login is never reused"

# ---- staff profile ----
idm import sip "$D/staff.csv" --school 75123 --json
expect_rc 0 "staff file applied"
expect_eq "$(json "(j['profile'], j['counts']['new'])")" "('sip-personal', 5)" "staff profile recognised"
expect_eq "$(sql "select string_agg(r.role::text, ',' order by k.key) from role_assignment r join person_external_key k using (person_id) where k.key like 'L%'")" \
    "school_leader,teacher,trainee,municipal_staff,teacher" "functions mapped to roles"
idm import sip "$D/leaver_one.csv" --school 75123
expect_out "applied: 1 change(s)" "a pupil file does not make staff leave (1 pupil leaves)"

# ---- custom profile ----
idm import sip "$D/custom.csv" --school 75123 --profile "$D/custom-profile.ini" --dry-run --yes --json
expect_rc 0 "custom profile file"
expect_eq "$(json "(j['profile'], j['counts']['new'])")" "('beispiel-schule', 2)" "custom columns and fixed school"

# ---- an apply killed mid-transaction leaves nothing; re-run completes ----
newdb import_k
idm migrate
idm org add --type ministry --code bm-mv --name Ministerium
idm org add --type authority --code ssa-schwerin --name SSA --parent bm-mv
idm org add --type school --number 75123 --name "Gymnasium" --parent ssa-schwerin
before=$(dump)
db=$(echo "$DSN" | sed 's/.*dbname=\([^ ]*\).*/\1/')
psql -X -q -h "$IDM_TEST_PG_HOST" -p "$IDM_TEST_PG_PORT" -U "$IDM_TEST_PG_USER" -d "$db" \
    -c "BEGIN; LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(120)" > /dev/null 2>&1 &
locker=$!
for _ in $(seq 50); do
    [ "$(sql "select count(*) from pg_locks where relation = 'outbox'::regclass and granted")" -gt 0 ] && break
    sleep 0.1
done
"$IDMCTL" --config "$CONF" import sip "$D/utf8_semicolon.csv" --school 75123 > /dev/null 2>&1 &
importer=$!
waiting=0
for _ in $(seq 100); do
    if [ "$(sql "select count(*) from pg_stat_activity where datname = '$db' and wait_event_type = 'Lock' and query like '%INSERT INTO outbox%'")" -gt 0 ]; then
        waiting=1
        break
    fi
    sleep 0.1
done
expect_eq "$waiting" 1 "import blocked mid-transaction (before the outbox write)"
expect_eq "$(sql "select count(*) > 0 from pg_locks l join pg_stat_activity a using (pid) where a.query like '%INSERT INTO outbox%' and l.relation = 'person'::regclass and l.mode = 'RowExclusiveLock'")" t \
    "it has already written persons"
kill -9 "$importer"
wait "$importer" 2> /dev/null
sql "select pg_terminate_backend(pid) from pg_stat_activity where datname = '$db' and pid <> pg_backend_pid()" > /dev/null
kill "$locker" 2> /dev/null
wait "$locker" 2> /dev/null
sleep 0.5
# sequences are not transactional: a rolled-back insert still uses ids
expect_eq "$(dump | grep -v 'pg_catalog.setval')" "$(echo "$before" | grep -v 'pg_catalog.setval')" \
    "killed import left the database as before (rows; ids are not reused)"
idm import sip "$D/utf8_semicolon.csv" --school 75123
expect_rc 0 "re-run after the kill"
expect_out "applied: 10 change(s)" "re-run completes the import"

# ---- every way of planning gives the same plan ----
# A file with at least half of its source's keys is compared in C with
# every person of the source, read in two halves at once (import_pa) or,
# with [import] plan_connections = 1, in one query (import_p1); a smaller
# one is staged and compared on the server (import_ps, which holds 30 more
# persons of the source at a school outside the scope). All three must
# give the same plan for a file with every kind of row.
H="Schulnummer;Schülernummer;Nachname;Vorname;Geschlecht;Geburtsdatum;Klasse;Jahrgangsstufe"
{
    grep -v -e '^75123;1010;' -e '^75123;1008;' "$D/birth_change.csv"
    echo "75123;1008;Schmidt;Lena;w;14.02.2009;10/2;10"
    echo "75123;1008;Schmidt;Lea;w;14.02.2009;10/2;10"
    echo "75123;8001;Lorenz;Finn;m;01.01.2011;8a;8"
    echo "75123;8100;Neu;Nina;w;01.01.2012;5a;5"
    echo "75123;8101;Fehler;Fritz;m;31.02.2012;5a;5"
} > "$T_TMP/mixed.csv"
{ echo "$H"; for i in $(seq 30); do echo "75125;95$i;Weit;Kind$i;w;01.01.2012;5a;5"; done; } > "$T_TMP/far.csv"
for db in import_pa import_p1 import_ps; do
    newdb "$db"
    if [ "$db" = import_p1 ]; then
        printf '[import]\nplan_connections = 1\n' >> "$CONF"
    fi
    idm migrate
    idm org add --type ministry --code bm-mv --name Ministerium
    idm org add --type authority --code ssa-schwerin --name SSA --parent bm-mv
    for nr in 75123 75124 75125; do
        idm org add --type school --number "$nr" --name "Schule $nr" --parent ssa-schwerin
    done
    idm import sip "$D/utf8_semicolon.csv" --school 75123
    idm import sip "$D/school_b.csv" --school 75124
    sql "update account set status = 'disabled' from person_external_key k where k.person_id = account.person_id and k.key = '1007'" > /dev/null
    if [ "$db" = import_ps ]; then
        idm import sip "$T_TMP/far.csv" --school 75125
        expect_rc 0 "30 more persons of the source elsewhere"
    fi
    idm import sip "$T_TMP/mixed.csv" --school 75123 --dry-run --yes --max-errors 5 --json --report "$T_TMP/$db.csv"
    expect_rc 0 "$db: mixed file planned"
    json "sorted(j['counts'].items())" > "$T_TMP/$db.counts"
done
expect_eq "$(cat "$T_TMP/import_pa.counts")" \
    "[('deleted', 0), ('error', 3), ('leaving', 1), ('moved_class', 1), ('moved_school', 1), ('new', 1), ('reactivated', 0), ('unchanged', 5), ('updated', 2)]" \
    "every kind of row in the mixed file"
for db in import_p1 import_ps; do
    expect_eq "$(cat "$T_TMP/$db.counts")" "$(cat "$T_TMP/import_pa.counts")" "$db: same counts"
    expect_eq "$(cat "$T_TMP/$db.csv")" "$(cat "$T_TMP/import_pa.csv")" "$db: same report, row by row"
done

finish
