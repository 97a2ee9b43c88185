#!/bin/sh
# SPDX-License-Identifier: EUPL-1.2
# Smoke test of the slapd test harness: needs a server started with
# `tests/harness/slapd start STATE_DIR`; adds a person with an {ARGON2}
# password and checks search, bind and the placeholder ACLs.  Prints TAP
# lines, exits non-zero on failure.
set -eu

[ $# -eq 1 ] || { printf '%s\n' "usage: $0 STATE_DIR" >&2; exit 2; }
state=$1
[ -f "$state/slapd.env" ] ||
    { printf '%s\n' "$0: $state/slapd.env missing (run tests/harness/slapd start $state)" >&2; exit 1; }
set -a
# shellcheck disable=SC1091
. "$state/slapd.env"
set +a
# Ignore /etc/ldap/ldap.conf and ~/.ldaprc: everything is on the command line.
LDAPNOINIT=1
export LDAPNOINIT

uri=$IDM_TEST_LDAP_URI
base=$IDM_TEST_LDAP_BASE
admin_dn=$IDM_TEST_LDAP_ADMIN_DN
admin_pw=$IDM_TEST_LDAP_ADMIN_PASSWORD_FILE
user_dn="uid=anna.mueller,ou=people,$base"
cn_utf8=$(printf 'Anna M\303\274ller')
sn_utf8=$(printf 'M\303\274ller')

work=$(mktemp -d "${TMPDIR:-/tmp}/idm-slapd-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP

n=0 failed=0
ok() { n=$((n + 1)); printf 'ok %d - %s\n' "$n" "$1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); printf 'not ok %d - %s\n' "$n" "$1"; }
diag() { sed 's/^/#   /' "$@"; }

# Print the (base64-decoded if needed) values of ATTR from LDIF on stdin.
ldif_values() {
    awk -v a="$1" 'tolower($0) ~ "^" tolower(a) "::? " { print }' |
        while IFS= read -r line; do
            case $line in
                *::\ *) printf '%s' "${line#*:: }" | base64 -d; printf '\n' ;;
                *) printf '%s\n' "${line#*: }" ;;
            esac
        done
}

# admin TOOL ARGS...: run an ldap tool bound as the rootdn.
admin() {
    tool=$1
    shift
    "$tool" -x -H "$uri" -D "$admin_dn" -y "$admin_pw" "$@"
}

printf '1..7\n'

# --- 1: add the person with an argon2 password ------------------------------
(umask 077 && LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 24 >"$work/anna.pw")
if command -v argon2 >/dev/null 2>&1; then
    salt=$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 16)
    hash_tool="argon2 CLI (argon2id)"
    hash="{ARGON2}$(argon2 "$salt" -id -e <"$work/anna.pw")"
else
    hash_tool="slappasswd -o module-load=argon2"
    hash=$(slappasswd -o module-path=/usr/lib/ldap -o module-load=argon2 \
        -h '{ARGON2}' -T "$work/anna.pw" 2>"$work/slappasswd.err") || hash=
fi
printf '# password hash made with %s: %.30s...\n' "$hash_tool" "$hash"

admin ldapdelete "$user_dn" >/dev/null 2>&1 || : # left over from a rerun
cat >"$work/anna.ldif" <<EOF
dn: $user_dn
objectClass: inetOrgPerson
uid: anna.mueller
cn:: $(printf '%s' "$cn_utf8" | base64 -w0)
sn:: $(printf '%s' "$sn_utf8" | base64 -w0)
givenName: Anna
mail: anna.mueller@example.invalid
userPassword: $hash
EOF
# shellcheck disable=SC2016  # literal $ in the hash prefix
case $hash in
    '{ARGON2}$argon2'*)
        if admin ldapadd -f "$work/anna.ldif" >"$work/add.out" 2>&1; then
            ok "admin adds $user_dn"
        else
            not_ok "admin adds $user_dn"; diag "$work/add.out"
        fi ;;
    *)
        not_ok "admin adds $user_dn (no {ARGON2} hash)"
        [ ! -s "$work/slappasswd.err" ] || diag "$work/slappasswd.err" ;;
esac

# --- 2: search finds it with the UTF-8 cn ------------------------------------
got=$(admin ldapsearch -LLL -o ldif-wrap=no -b "ou=people,$base" '(uid=anna.mueller)' cn 2>&1 | ldif_values cn || :)
if [ "$got" = "$cn_utf8" ]; then
    ok "admin search finds uid=anna.mueller with cn '$cn_utf8'"
else
    not_ok "admin search finds uid=anna.mueller with cn '$cn_utf8'"
    printf '#   got cn: %s\n' "$got"
fi

# --- 3: stored password is an {ARGON2} hash ----------------------------------
got=$(admin ldapsearch -LLL -o ldif-wrap=no -b "$user_dn" -s base userPassword 2>&1 | ldif_values userPassword || :)
# shellcheck disable=SC2016
case $got in
    '{ARGON2}$argon2'*) ok "userPassword is stored as {ARGON2}" ;;
    *) not_ok "userPassword is stored as {ARGON2}"; printf '#   got: %.40s\n' "$got" ;;
esac

# --- 4: bind with the right password -----------------------------------------
if got=$(ldapwhoami -x -H "$uri" -D "$user_dn" -y "$work/anna.pw" 2>&1) &&
        [ "$got" = "dn:$user_dn" ]; then
    ok "simple bind as anna.mueller with the right password"
else
    not_ok "simple bind as anna.mueller with the right password"
    printf '#   %s\n' "$got"
fi

# --- 5: bind with a wrong password fails with invalidCredentials -------------
rc=0
ldapwhoami -x -H "$uri" -D "$user_dn" -w 'wrong-password' >"$work/wrong.out" 2>&1 || rc=$?
if [ "$rc" -eq 49 ]; then
    ok "simple bind with a wrong password fails (49 invalidCredentials)"
else
    not_ok "simple bind with a wrong password fails (49 invalidCredentials)"
    printf '#   exit %s\n' "$rc"; diag "$work/wrong.out"
fi

# --- 6: anonymous search of the people subtree returns nothing ---------------
rc=0
ldapsearch -x -LLL -H "$uri" -b "ou=people,$base" '(objectClass=*)' >"$work/anon.out" 2>&1 || rc=$?
# 0 with no entries or 32 noSuchObject (the base is not disclosed) are fine;
# anything else (e.g. 255, server down) is a failure, not a pass.
if { [ "$rc" -eq 0 ] || [ "$rc" -eq 32 ]; } && ! grep -q '^dn:' "$work/anon.out"; then
    ok "anonymous search of ou=people returns no entries (exit $rc)"
else
    not_ok "anonymous search of ou=people returns no entries"
    printf '#   exit %s\n' "$rc"; diag "$work/anon.out"
fi

# --- 7: anonymous cannot read the password hash either -----------------------
rc=0
ldapsearch -x -LLL -H "$uri" -b "$user_dn" -s base userPassword >"$work/anon2.out" 2>&1 || rc=$?
if ! grep -qi '^userPassword' "$work/anon2.out" && { [ "$rc" -eq 0 ] || [ "$rc" -eq 32 ]; }; then
    ok "anonymous cannot read userPassword (exit $rc)"
else
    not_ok "anonymous cannot read userPassword"
    printf '#   exit %s\n' "$rc"; diag "$work/anon2.out"
fi

[ "$failed" -eq 0 ] || { printf '# %d of %d failed\n' "$failed" "$n"; exit 1; }
