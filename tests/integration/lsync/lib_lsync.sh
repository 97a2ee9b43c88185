# SPDX-License-Identifier: EUPL-1.2
# Helpers for the LDAP sync integration tests, on top of ../lib.sh: a fresh
# database and config with an [ldap] section, and ldap tool wrappers.
# Each test file syncs into its own base dc=<name>,dc=schule-mv,dc=de below
# the harness suffix, so tests running in parallel never see each other.
# Usage: . "$(dirname "$0")/lib_lsync.sh" "$1"

. "$(dirname "$0")/../lib.sh" "$1"
LSYNC=${IDM_LDAP_SYNC:?IDM_LDAP_SYNC is not set}
LDAPNOINIT=1
export LDAPNOINIT

# lsync_env NAME [URI ADMIN_DN PWFILE ROOT]: database NAME, config CONF for a
# sync into BASE=dc=NAME,ROOT (default: the harness slapd).
lsync_env() {
    name=$1
    # shellcheck disable=SC1091
    . "$STATE/slapd.env"
    L_URI=${2:-$IDM_TEST_LDAP_URI}
    L_ADMIN=${3:-$IDM_TEST_LDAP_ADMIN_DN}
    L_PW=${4:-$IDM_TEST_LDAP_ADMIN_PASSWORD_FILE}
    L_ROOT=${5:-$IDM_TEST_LDAP_BASE}
    if [ "${LSYNC_ROOT_BASE:-0}" = 1 ]; then
        BASE=$L_ROOT
    else
        BASE="dc=$(printf '%s' "$name" | tr -c 'a-z0-9\n' '-'),$L_ROOT"
    fi
    newdb "$name"
    cat >> "$CONF" <<CONF_EOF

[ldap]
uri = $L_URI
base = $BASE
admin_dn = $L_ADMIN
admin_password_file = $L_PW
CONF_EOF
    sed -i 's/^level = warn/level = notice/' "$CONF"
    idm migrate > /dev/null
    # a clean base for this test (the root entry itself stays)
    if [ "$BASE" = "$L_ROOT" ]; then
        for ou in people groups orgs services; do
            ladmin ldapdelete -r "ou=$ou,$BASE" > /dev/null 2>&1
        done
    else
        ladmin ldapdelete -r "$BASE" > /dev/null 2>&1
        printf 'dn: %s\nobjectClass: domain\ndc: %s\n' "$BASE" \
            "$(printf '%s' "${BASE%%,*}" | sed 's/^dc=//')" |
            ladmin ldapadd > /dev/null || echo "Bail out! cannot add $BASE"
    fi
}

# ladmin TOOL ARGS...: an ldap tool bound as the admin.
ladmin() {
    tool=$1
    shift
    "$tool" -x -H "$L_URI" -D "$L_ADMIN" -y "$L_PW" "$@"
}

# lsync ARGS...: run idm-ldap-sync with the test config (sets OUT ERR RC).
lsync() {
    run "$LSYNC" --config "$CONF" "$@"
}

# lget DN ATTR: the values of ATTR (sorted, base64 decoded), one per line.
lget() {
    ladmin ldapsearch -LLL -o ldif-wrap=no -b "$1" -s base '(objectClass=*)' "$2" 2>/dev/null |
        ldif_values "$2" | LC_ALL=C sort
}

# ldif_values ATTR: values of ATTR from LDIF on stdin.
ldif_values() {
    awk -v a="$1" 'tolower($0) ~ "^" tolower(a) "::? " { print }' |
        while IFS= read -r line; do
            case $line in
                *::\ *) printf '%s' "${line#*:: }" | base64 -d; printf '\n' ;;
                *) printf '%s\n' "${line#*: }" ;;
            esac
        done
}

# lexists DN: exit 0 if the entry exists.
lexists() {
    ladmin ldapsearch -LLL -b "$1" -s base dn > /dev/null 2>&1
}

# lbind DN PASSWORD: exit status of a simple bind.
lbind() {
    printf '%s' "$2" > "$T_TMP/bindpw"
    ldapwhoami -x -H "$L_URI" -D "$1" -y "$T_TMP/bindpw" > /dev/null 2>&1
}

# pdn LOGIN: the DN of a person.
pdn() {
    printf 'uid=%s,ou=people,%s' "$1" "$BASE"
}

# uuid_of LOGIN
uuid_of() {
    sql "SELECT p.uuid FROM person p JOIN account a ON a.person_id = p.id WHERE a.login = '$1'"
}

# full_clean DESC: --full --dry-run reports no difference.
full_clean() {
    lsync --full --dry-run
    expect_out "summary missing=0 extra=0 different=0" "$1"
}

# lservice NAME PASSWORD: (re)create the read-only service account
# cn=NAME,ou=services,BASE with that password (set by the admin).
lservice() {
    ladmin ldapadd > /dev/null 2>&1 <<LDIF
dn: ou=services,$BASE
objectClass: organizationalUnit
ou: services
LDIF
    ladmin ldapdelete "cn=$1,ou=services,$BASE" > /dev/null 2>&1
    ladmin ldapadd > /dev/null <<LDIF
dn: cn=$1,ou=services,$BASE
objectClass: applicationProcess
objectClass: simpleSecurityObject
cn: $1
userPassword: $2
LDIF
}

# las DN PASSWORD TOOL ARGS...: an ldap tool bound as DN ("" = anonymous).
las() {
    _dn=$1 _pw=$2 _tool=$3
    shift 3
    if [ -z "$_dn" ]; then
        "$_tool" -x -H "$L_URI" "$@"
    else
        printf '%s' "$_pw" > "$T_TMP/aspw"
        "$_tool" -x -H "$L_URI" -D "$_dn" -y "$T_TMP/aspw" "$@"
    fi
}

# lsee DN PASSWORD ENTRY_DN: the attribute names (lower case, sorted, one
# line) of ENTRY_DN that DN can read; empty if it sees no entry.
lsee() {
    las "$1" "$2" ldapsearch -LLL -o ldif-wrap=no -b "$3" -s base \
        '(objectClass=*)' '*' '+' 2>/dev/null |
        sed -n 's/^\([A-Za-z0-9;-]*\)::\{0,1\} .*/\1/p' | grep -v '^dn$' |
        tr 'A-Z' 'a-z' | LC_ALL=C sort -u | tr '\n' ' ' | sed 's/ $//'
}

# lcount DN PASSWORD BASE FILTER: entries DN finds below BASE.
lcount() {
    las "$1" "$2" ldapsearch -LLL -b "$3" "$4" dn 2>/dev/null | grep -c '^dn:'
}
