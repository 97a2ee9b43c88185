#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
# The README's first command, end to end: ./deploy/quickstart up in a copy
# of the tree on free ports, then the demo users in the core and in LDAP, a
# password change reaching an LDAP bind, a real pysaml2 SP logging in and
# out (deploy/demo-sp), a quick and harmless second 'up', and 'down'.
. "$(dirname "$0")/lib.sh" "$1"
# shellcheck source=deploy/lib/common.sh
. "$SRC/deploy/lib/common.sh"

copy=$(mktemp -d "${TMPDIR:-/tmp}/idm-qs.XXXXXX")
chmod 755 "$copy" # the servers run as nobody when we are root
(cd "$SRC" && tar --exclude=./build --exclude='./build-*' --exclude=./var \
    --exclude=./.git -cf - .) | tar -xf - -C "$copy"
cleanup() {
    "$copy/deploy/quickstart" down > /dev/null 2>&1
    rm -rf "$copy" "$T_TMP"
}
trap cleanup EXIT
IDM_QS_PG_PORT=$(idm_free_port)
IDM_QS_LDAP_PORT=$(idm_free_port)
IDM_QS_IDP_PORT=$(idm_free_port)
IDM_QS_METRICS_PORT=$(idm_free_port)
export IDM_QS_PG_PORT IDM_QS_LDAP_PORT IDM_QS_IDP_PORT IDM_QS_METRICS_PORT
QS=$copy/deploy/quickstart
CONF=$copy/var/idm.conf
IDMCTL=$copy/build/bin/idmctl

run "$QS" up
expect_rc 0 "quickstart up"
expect_out "seeding the demo" "the demo is seeded"
expect_out "frank.schulz" "initial passwords are printed"
for key in pg ldap ldap_sync idp; do
    expect_out "$key=running" "$key runs"
done

run "$QS" up
expect_rc 0 "a second 'up' is safe"
case $OUT in *"seeding the demo"*) r=1 ;; *) r=0 ;; esac
expect_eq "$r" 0 "and does not seed again"

run "$QS" status
expect_rc 0 "status"
for key in config pg_dsn ldap_uri ldap_base ldap_admin_dn \
    ldap_admin_password_file idp_url; do
    case $OUT in *"$key="*) r=0 ;; *) r=1 ;; esac
    expect_eq "$r" 0 "status names $key="
done
value() { printf '%s\n' "$OUT" | sed -n "s/^$1=//p"; }
LDAP_URI=$(value ldap_uri)
ADMIN_DN=$(value ldap_admin_dn)
ADMIN_PW=$(value ldap_admin_password_file)
BASE=$(value ldap_base)
IDP=$(value idp_url)

idm user list --json
expect_rc 0 "user list on the demo"
expect_eq "$(json "len(j)")" 10 "ten demo users"

people() {
    ldapsearch -LLL -x -H "$LDAP_URI" -D "$ADMIN_DN" -y "$ADMIN_PW" \
        -b "ou=people,$BASE" "(uid=*)" uid 2>/dev/null | grep -c '^uid:'
}
expect_eq "$(people)" 10 "ten demo users in LDAP"
run "$copy/build/bin/idm-ldap-sync" --config "$CONF" --status
expect_out "parked_open=0" "the directory refused nothing"

STDIN='Quickstart-Test-2026!' idm user set-password mia.krueger --password-stdin
expect_rc 0 "set a known password"
bound=1
for _ in $(seq 1 30); do
    if ldapwhoami -x -H "$LDAP_URI" -D "uid=mia.krueger,ou=people,$BASE" \
        -w 'Quickstart-Test-2026!' > /dev/null 2>&1; then
        bound=0
        break
    fi
    sleep 0.5
done
expect_eq "$bound" 0 "the new password binds in LDAP within seconds"

run curl -sf "$IDP/saml/metadata"
expect_rc 0 "IdP metadata served"
expect_out "entityID=\"$IDP/saml/metadata\"" "entityID is the metadata URL"

run "$copy/deploy/demo-sp"
expect_rc 0 "a pysaml2 SP logs a demo user in and out"
expect_out "SP-initiated login, signed assertion, logout" \
    "signed assertion, logout"

run "$QS" down
expect_rc 0 "down"
run "$QS" status
for key in pg ldap ldap_sync idp; do
    expect_out "$key=stopped" "$key stopped"
done

finish
