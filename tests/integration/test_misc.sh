#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
# idmctl audit list, the append-only audit log, outbox ordering, help and
# usage errors of every command, and an unreachable database.
. "$(dirname "$0")/lib.sh" "$1"

newdb misc_t
idm migrate
expect_rc 0 "migrate"

# --- empty database: every --json list is valid JSON --------------------------
for cmd in "user list" "org list" "role list" "group list" "audit list"; do
    # shellcheck disable=SC2086
    idm $cmd --json
    expect_rc 0 "$cmd --json on an empty database"
    expect_eq "$(json "j")" "[]" "$cmd --json: empty array"
done
idm user list
expect_rc 0 "user list (text) on an empty database"
expect_eq "$(printf '%s\n' "$OUT" | wc -l)" 1 "only the header"

# --- some activity -------------------------------------------------------------
ME=system:${SUDO_USER:-$(id -un)}
idm org add --type ministry --code bm-mv --name "Ministerium"
idm org add --type authority --code ssa-schwerin --name "SSA Schwerin" --parent bm-mv
idm org add --type school --number 75123 --name "Gymnasium Neukloster" --parent ssa-schwerin
STDIN='Misc-Passwort-123' idm user add --given Anna --family Berg --school 75123 \
    --role teacher --password-stdin
expect_eq "$OUT" anna.berg "user added"
idm user lock anna.berg
STDIN='falsches-passwort' idm user passwd-check anna.berg
expect_rc 1 "passwd-check on a locked account fails"
idm user unlock anna.berg
idm user set-password anna.berg
expect_rc 0 "set-password"
TOTAL=$(sql "select count(*) from audit_log")
expect_eq "$TOTAL" 9 "nine audit rows"

idm user list --status disabled --json
expect_rc 0 "user list with a filter matching nobody"
expect_eq "$(json "j")" "[]" "still valid JSON"

# --- audit list ----------------------------------------------------------------
idm audit list
expect_rc 0 "audit list"
expect_eq "$(printf '%s\n' "$OUT" | wc -l)" "$TOTAL" "one line per entry"
expect_eq "$(printf '%s\n' "$OUT" | head -1 | awk '{print $2, $4, $5, $6}')" \
    "$ME user.set_password ok anna.berg" "newest first: set_password on the first line"
expect_eq "$(printf '%s\n' "$OUT" | tail -1 | awk '{print $4, $6}')" "org.add bm-mv" \
    "oldest last: the ministry"
idm audit list --json
expect_rc 0 "audit list --json"
expect_eq "$(json "len(j)")" "$TOTAL" "--json: every entry"
expect_eq "$(json "all(a['id'] > b['id'] for a, b in zip(j, j[1:]))")" True "--json: ids strictly descending"
expect_eq "$(json "[x['action'] for x in j]")" \
    "['user.set_password', 'user.unlock', 'login.fail', 'user.lock', 'role.grant', 'user.add', 'org.add', 'org.add', 'org.add']" \
    "--json: actions newest first"
expect_eq "$(json "all(isinstance(x['details'], dict) for x in j)")" True "--json: details parsed as objects"
expect_eq "$(json "[x['details']['parent'] for x in j if x['target'] == '75123']")" "['ssa-schwerin']" \
    "--json: details fields readable"
expect_eq "$(json "[x['details']['reason'] for x in j if x['action'] == 'login.fail']")" \
    "['wrong password']" "--json: the failed login's reason"
expect_eq "$(json "[x['result'] for x in j if x['action'] == 'login.fail']")" "['failed']" \
    "--json: denied result"
expect_eq "$(json "all(x['addr'] == 'cli' for x in j)")" True "--json: origin cli"
expect_eq "$(json "all(__import__('re').fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z', x['at']) for x in j)")" \
    True "--json: ISO 8601 UTC times"
idm audit list --actor "$ME" --json
expect_rc 0 "--actor"
expect_eq "$(json "len(j)")" "$TOTAL" "--actor $ME: all entries"
expect_eq "$(json "{x['actor'] for x in j}")" "{'$ME'}" "--actor: only that actor"
idm audit list --actor system:nobody --json
expect_eq "$(json "j")" "[]" "--actor of someone else: nothing"
idm audit list --action user. --json
expect_rc 0 "--action prefix"
expect_eq "$(json "[x['action'] for x in j]")" "['user.set_password', 'user.unlock', 'user.lock', 'user.add']" \
    "--action user.: user actions only, newest first"
idm audit list --action login.fail
expect_eq "$(printf '%s\n' "$OUT" | wc -l)" 1 "--action login.fail (text): one line"
expect_out "login.fail" "--action login.fail (text)"
idm audit list --target 75123 --json
expect_eq "$(json "[(x['action'], x['target']) for x in j]")" "[('org.add', '75123')]" "--target"
idm audit list --target anna.berg --action user.lo --json
expect_eq "$(json "[x['action'] for x in j]")" "['user.lock']" "--target and --action combine"
idm audit list --limit 2 --json
expect_eq "$(json "[x['id'] for x in j]")" \
    "$(sql "select '[' || string_agg(id::text, ', ' order by id desc) || ']' from
            (select id from audit_log order by id desc limit 2) s")" "--limit 2: the two newest"
idm audit list --limit 0
expect_rc 2 "--limit 0"
expect_err 'limit: "0" is not 1..100000' "--limit 0: message"
idm audit list --limit many
expect_rc 2 "--limit many"
idm audit list extra
expect_rc 2 "audit list with a stray argument"

# --- the audit log is append-only ------------------------------------------------
SUM=$(sql "select md5(string_agg(a::text, '|' order by id)) from audit_log a")
run sql "update audit_log set actor = 'someone else'"
expect_rc 1 "UPDATE of audit_log fails"
expect_err "audit_log is append-only" "UPDATE: message"
run sql "delete from audit_log where id = 1"
expect_rc 1 "DELETE from audit_log fails"
expect_err "audit_log is append-only" "DELETE: message"
run sql "truncate audit_log"
expect_rc 1 "TRUNCATE of audit_log fails"
expect_err "audit_log is append-only" "TRUNCATE: message"
expect_eq "$(sql "select md5(string_agg(a::text, '|' order by id)) from audit_log a")" "$SUM" \
    "audit_log unchanged"

# --- outbox order and transactions -------------------------------------------------
expect_eq "$(sql "select count(*) from outbox")" 8 "eight outbox rows"
expect_eq "$(sql "select count(*) from (select id, lag(id) over (order by at, txid) prev
                  from outbox) s where id <= prev")" 0 "ids strictly increase in write order"
expect_eq "$(sql "select count(*) from (select txid, lag(txid) over (order by id) prev
                  from outbox) s where txid < prev")" 0 "later ids never belong to older transactions"
expect_eq "$(sql "select count(*) || ' ' || count(distinct txid) from outbox
                  where key = (select uuid::text from person where given_name = 'Anna')
                  and event in ('person.created', 'person.role_granted')")" "2 1" \
    "user add with a role: two events in one transaction"
expect_eq "$(sql "select count(distinct txid) from outbox")" 7 "one transaction per write command"
expect_eq "$(sql "select count(*) from (select txid from outbox group by txid
                  having max(id) - min(id) + 1 <> count(*)) s")" 0 "a command's ids are contiguous"

# --- help and usage ------------------------------------------------------------------
run "$IDMCTL" --help
expect_rc 0 "idmctl --help"
expect_out "usage:" "idmctl --help: usage"
expect_out "Exit codes: 0 ok, 1 failed, 2 usage error." "idmctl --help: exit codes"
run "$IDMCTL" -h
expect_rc 0 "idmctl -h"
run "$IDMCTL" --version
expect_rc 0 "idmctl --version"
expect_eq "$(printf '%s' "$OUT" | grep -cE '^idmctl [0-9]+\.[0-9]+\.[0-9]+$')" 1 "--version: idmctl X.Y.Z"

declare -A SUBS=(
    [migrate]=""
    [config]="check"
    [org]="add list show"
    [user]="add show list lock unlock disable enable delete set-password passwd-check"
    [role]="grant revoke list mapping"
    [group]="add list members add-member remove-member"
    [audit]="list"
    [policy]="check explain matrix"
    [sp]="add list remove show set"
    [federation]="add list show remove refresh"
    [import]="sip profiles"
)
run "$IDMCTL" --help
expect_eq "$(printf '%s\n' "$OUT" | sed -n '/^commands:/,/^$/p' | awk 'NF > 1 {print $1}' | sort | tr '\n' ' ')" \
    "$(printf '%s\n' "${!SUBS[@]}" | sort | tr '\n' ' ')" "every command of --help is covered here"
for g in migrate config org user role group audit sp federation; do
    run env -u IDM_CONFIG "$IDMCTL" "$g" --help
    expect_rc 0 "$g --help"
    expect_out "usage:" "$g --help prints usage"
    [ -n "${SUBS[$g]}" ] || continue
    expect_eq "$(printf '%s\n' "$OUT" | sed -n '/^commands:/,/^$/p' | awk 'NF > 1 {print $1}' | tr '\n' ' ')" \
        "${SUBS[$g]} " "$g: every subcommand is covered here"
    for s in ${SUBS[$g]}; do
        run env -u IDM_CONFIG "$IDMCTL" "$g" "$s" --help
        expect_rc 0 "$g $s --help"
        expect_out "usage: idmctl" "$g $s --help prints usage"
        run env -u IDM_CONFIG "$IDMCTL" "$g" "$s" -h
        expect_rc 0 "$g $s -h"
    done
    run "$IDMCTL" --config "$CONF" "$g"
    expect_rc 2 "$g without a subcommand"
    expect_err "usage: idmctl" "$g without a subcommand: usage on stderr"
    run "$IDMCTL" --config "$CONF" "$g" frobnicate
    expect_rc 2 "$g frobnicate"
    expect_err "unknown command \"$g frobnicate\"" "$g frobnicate: message"
done
run "$IDMCTL" --config "$CONF" frobnicate
expect_rc 2 "unknown command"
expect_err 'unknown command "frobnicate"' "unknown command: message"
run "$IDMCTL" --config "$CONF"
expect_rc 2 "no command"
expect_err "usage: idmctl" "no command: usage on stderr"
expect_eq "$OUT" "" "no command: nothing on stdout"
run "$IDMCTL" --frobnicate user list
expect_rc 2 "unknown global option"
expect_err 'unknown option "--frobnicate"' "unknown global option: message"
idm user list --frobnicate
expect_rc 2 "unknown subcommand option"

# --verbose adds the server detail to a failure, which is otherwise hidden.
# A duplicate code is caught by the database's unique constraint: the
# message names the field, --verbose adds the server's detail.
idm org add --type school_board --code sb-doppelt --parent bm-mv --name "Doppelt"
expect_rc 0 "school board added"
idm org add --type school_board --code sb-doppelt --parent bm-mv --name "Doppelt"
expect_rc 1 "duplicate code"
expect_err 'code: a unit "sb-doppelt" already exists' "message names the field"
case $ERR in *sqlstate*) r=1 ;; *) r=0 ;; esac
expect_eq "$r" 0 "no detail without --verbose"
run "$IDMCTL" --config "$CONF" --verbose org add --type school_board --code sb-doppelt --parent bm-mv --name "Doppelt"
expect_rc 1 "duplicate code with --verbose"
expect_err "detail: sqlstate=23505" "--verbose shows the SQLSTATE"
expect_err "constraint=org_unit_code_key" "--verbose names the constraint"

# --- unreachable database ------------------------------------------------------------
printf '[database]\nconninfo = host=/nonexistent port=1 dbname=x\nconnect_timeout = 2\n' \
    > "$T_TMP/down.conf"
for cmd in "user list" "user list --json" "org list" "audit list" "role list" "group list" \
           "user show anna.berg" "user lock anna.berg"; do
    start=$SECONDS
    # shellcheck disable=SC2086
    run "$IDMCTL" --config "$T_TMP/down.conf" $cmd
    expect_rc 1 "$cmd: unreachable database"
    expect_err "could not connect to the database" "$cmd: clear message"
    expect_err "idmctl: detail:" "$cmd: the reason is shown"
    expect_eq "$OUT" "" "$cmd: nothing on stdout"
    expect_eq "$(( SECONDS - start <= 5 ))" 1 "$cmd: gives up within the timeout"
done
STDIN='Misc-Passwort-123' run "$IDMCTL" --config "$T_TMP/down.conf" user passwd-check anna.berg
expect_rc 1 "passwd-check: unreachable database"
expect_err "could not connect to the database" "passwd-check: clear message"

finish
