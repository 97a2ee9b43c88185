#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
# The ACLs of deploy/ldap/acl.ldif against a private slapd built by
# deploy/lib/slapd.sh (the rules name the root base, so the sync writes
# into the root here): nobody reads userPassword, not even its owner, but
# binds work; a person reads only their own entry; anonymous sees nothing;
# each read-only service account in ou=services sees exactly what acl.ldif
# grants it (also through search filters) and can write nothing; an
# account not named in acl.ldif sees nothing; the replicator reads
# everything syncrepl needs, passwords and service accounts included.
. "$(dirname "$0")/lib_lsync.sh" "$1"
# shellcheck disable=SC1091
. "$SRC/deploy/lib/common.sh"
# shellcheck disable=SC1091
. "$SRC/deploy/lib/slapd.sh"

SD=$(mktemp -d /tmp/idm-lsa.XXXXXX)
chmod 755 "$SD"
export IDM_LDAP_DIR="$SRC/deploy/ldap"
cleanup() {
    idm_slapd_stop "$SD/s" > /dev/null 2>&1
    rm -rf "$SD" "$T_TMP"
}
trap cleanup EXIT
(umask 077 && LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 24 > "$SD/admin.pw")
PORT=$(idm_free_port)
idm_slapd_init "$SD/s" "$PORT" dc=schule-mv,dc=de "$SD/admin.pw" > "$T_TMP/init.log" 2>&1 ||
    { cat "$T_TMP/init.log"; echo "Bail out! slapd init failed"; exit 1; }
idm_slapd_start "$SD/s" "$PORT" > /dev/null 2>&1 || { echo "Bail out! slapd start failed"; exit 1; }
LSYNC_ROOT_BASE=1 lsync_env lsync_acl "ldap://127.0.0.1:$PORT" \
    "cn=admin,dc=schule-mv,dc=de" "$SD/admin.pw" dc=schule-mv,dc=de

idm org add --type ministry --code bm-mv --name M > /dev/null
idm org add --type authority --code ssa-s --parent bm-mv --name A > /dev/null
idm org add --type school --number 75123 --parent ssa-s --name S > /dev/null
idm group add --org 75123 --kind class --name 7a --year 2026/27 > /dev/null
STDIN='Alice-Password-1' idm user add --school 75123 --role pupil --class 7a \
    --given Alice --family Acl --password-stdin
STDIN='Bob-Password-2' idm user add --school 75123 --role teacher \
    --given Bob --family Acl --password-stdin
STDIN='Carla-Password-3' idm user add --school 75123 --role pupil \
    --given Carla --family Acl --info-block --password-stdin
lsync --once
expect_rc 0 "sync into the root base"
A=$(pdn alice.acl)
B=$(pdn bob.acl)
C=$(pdn carla.acl)
G="cn=75123-class-7a-2026/27,ou=groups,$BASE"
O="ou=75123,ou=orgs,$BASE"
S="ou=services,$BASE"
for svc in replicator wlan mail portal monitor; do
    lservice "$svc" "Svc-$svc-Password"
done
svc() { printf 'cn=%s,ou=services,%s' "$1" "$BASE"; }
spw() { printf 'Svc-%s-Password' "$1"; }

# --- persons ---------------------------------------------------------------------
lbind "$A" 'Alice-Password-1'
expect_eq "$?" 0 "a person can bind"
lbind "$A" 'wrong-password'
expect_eq "$?" 49 "a wrong password is refused"
OWN=$(lsee "$A" 'Alice-Password-1' "$A")
case " $OWN " in
    *" uid "*) _result 0 "a person reads their own entry" ;;
    *) _result 1 "a person reads their own entry" "saw: $OWN" ;;
esac
case " $OWN " in
    *" userpassword "*) _result 1 "not their own userPassword" "saw: $OWN" ;;
    *) _result 0 "not their own userPassword" ;;
esac
expect_eq "$(lsee "$A" 'Alice-Password-1' "$B")" "" "a person sees nothing of another person"
expect_eq "$(lcount "$A" 'Alice-Password-1' "$BASE" '(objectClass=*)')" 0 "a person's subtree search finds nothing (own entry by DN only)"
expect_eq "$(lcount "$A" 'Alice-Password-1' "ou=people,$BASE" '(uid=bob.acl)')" 0 "a person cannot probe other logins"
expect_eq "$(lsee "$A" 'Alice-Password-1' "$G")" "" "a person does not read groups"
expect_eq "$(lsee "$A" 'Alice-Password-1' "$O")" "" "a person does not read orgs"
expect_eq "$(lsee "$A" 'Alice-Password-1' "$(svc wlan)")" "" "a person does not read service accounts"
las "$A" 'Alice-Password-1' ldapcompare "$A" 'userPassword:Alice-Password-1' > /dev/null 2>&1
expect_eq "$?" 50 "a person cannot compare their own userPassword"
las "$A" 'Alice-Password-1' ldapmodify > /dev/null 2>&1 <<LDIF
dn: $A
changetype: modify
replace: cn
cn: Changed
LDIF
expect_eq "$?" 50 "a person cannot modify their own entry"
las "$A" 'Alice-Password-1' ldappasswd -s 'New-Password-9' "$A" > "$T_TMP/pw.out" 2>&1
expect_eq "$(grep -c 'Insufficient access (50)' "$T_TMP/pw.out")" 1 "a person cannot set their password in LDAP (the core does)"
lbind "$A" 'Alice-Password-1'
expect_eq "$?" 0 "and the password is unchanged"

# --- anonymous -------------------------------------------------------------------
expect_eq "$(lcount "" "" "$BASE" '(objectClass=*)')" 0 "anonymous finds nothing"
expect_eq "$(lsee "" "" "$A")" "" "anonymous reads no person"
expect_eq "$(lcount "" "" "ou=people,$BASE" '(uid=alice.acl)')" 0 "anonymous cannot probe logins"
# ldapcompare exits 6 (compareTrue) or 5 (compareFalse) when it may compare
no_compare() { # RC DESC
    case $1 in 5|6) _result 1 "$2" "ldapcompare exit $1" ;; *) _result 0 "$2" ;; esac
}
las "" "" ldapcompare "$A" 'userPassword:Alice-Password-1' > /dev/null 2>&1
no_compare "$?" "anonymous cannot compare a password (only bind)"
las "" "" ldapsearch -LLL -b "" -s base '(objectClass=*)' namingContexts > "$T_TMP/dse" 2>&1
expect_eq "$(ldif_values namingContexts < "$T_TMP/dse")" "$BASE" "anonymous reads the root DSE"

# --- services --------------------------------------------------------------------
expect_svc() { # NAME ENTRY EXPECTED-ATTRS DESC
    got=$(lsee "$(svc "$1")" "$(spw "$1")" "$2" | tr ' ' '\n' |
        grep -v '^\(entrycsn\|entrydn\|entryuuid\|hassubordinates\|subschemasubentry\|structuralobjectclass\|creatorsname\|createtimestamp\|modifiersname\|modifytimestamp\)$' |
        tr '\n' ' ' | sed 's/ $//')
    expect_eq "$got" "$3" "$4"
}
lbind "$(svc wlan)" "$(spw wlan)"
expect_eq "$?" 0 "a service account can bind"
PEOPLE_WLAN="idmaccountstatus idmpersonuuid objectclass uid"
PEOPLE_MAIL="cn displayname givenname idmaccountstatus idmpersonuuid objectclass sn uid"
PEOPLE_ALL="cn displayname edupersonaffiliation edupersonprincipalname edupersonscopedaffiliation givenname idmaccountstatus idminfoblock idmorgcode idmpersonuuid idmprocessingrestricted idmrolecontext idmschoolcode idmschulconnexrole objectclass schachomeorganization sn uid"
GROUP_ALL="cn description idmgroupkey idmgroupkind idmorgcode idmschoolyear member objectclass"
expect_svc wlan "$A" "$PEOPLE_WLAN" "wlan: uid, status, UUID of a person only"
expect_svc mail "$A" "$PEOPLE_MAIL" "mail: + names and mail, no flags, no roles"
expect_svc portal "$A" "$PEOPLE_ALL" "portal: everything but the password"
expect_svc monitor "$A" "" "a service not in acl.ldif sees no person"
for s in wlan mail portal; do
    expect_svc "$s" "$G" "$GROUP_ALL" "$s reads groups"
done
expect_svc monitor "$G" "" "a service not in acl.ldif sees no group"
expect_svc wlan "$O" "" "wlan does not read orgs"
expect_svc mail "$O" "" "mail does not read orgs"
expect_svc portal "$O" "description idmorgtype idmparentorg idmschoolcode objectclass ou" "portal reads orgs"
for s in wlan mail portal monitor; do
    expect_eq "$(lcount "$(svc "$s")" "$(spw "$s")" "$S" '(objectClass=*)')" 0 "$s sees no service account"
    expect_eq "$(lcount "$(svc "$s")" "$(spw "$s")" "$BASE" '(userPassword=*)')" 0 "$s cannot filter on userPassword"
    las "$(svc "$s")" "$(spw "$s")" ldapcompare "$A" 'userPassword:Alice-Password-1' > /dev/null 2>&1
    no_compare "$?" "$s cannot compare a password"
    las "$(svc "$s")" "$(spw "$s")" ldapmodify > /dev/null 2>&1 <<LDIF
dn: $A
changetype: modify
replace: idmAccountStatus
idmAccountStatus: active
LDIF
    expect_eq "$?" 50 "$s cannot write"
done
# search filters on attributes a service may not read match nothing
expect_eq "$(lcount "$(svc wlan)" "$(spw wlan)" "ou=people,$BASE" '(uid=alice.acl)')" 1 "wlan finds a person by uid"
expect_eq "$(lcount "$(svc wlan)" "$(spw wlan)" "ou=people,$BASE" '(sn=Acl)')" 0 "wlan cannot search by name"
expect_eq "$(lcount "$(svc mail)" "$(spw mail)" "ou=people,$BASE" '(sn=Acl)')" 2 "mail searches by name (the blocked person has none)"
expect_eq "$(lcount "$(svc mail)" "$(spw mail)" "ou=people,$BASE" '(idmInfoBlock=TRUE)')" 0 "mail cannot probe the information release block"
expect_eq "$(lcount "$(svc mail)" "$(spw mail)" "ou=people,$BASE" '(idmRoleContext=75123:pupil)')" 0 "mail cannot probe roles"
expect_eq "$(lcount "$(svc portal)" "$(spw portal)" "ou=people,$BASE" '(idmInfoBlock=TRUE)')" 1 "portal sees the block (to honour it)"
expect_eq "$(lsee "$(svc mail)" "$(spw mail)" "$C" | grep -c 'givenname')" 0 "blocked person: no name to the mail service"

# --- replicator --------------------------------------------------------------------
R=$(svc replicator)
RP=$(spw replicator)
case " $(lsee "$R" "$RP" "$A") " in
    *" userpassword "*" "*) _result 0 "replicator reads userPassword" ;;
    *" userpassword "*) _result 0 "replicator reads userPassword" ;;
    *) _result 1 "replicator reads userPassword" ;;
esac
expect_svc replicator "$G" "$GROUP_ALL" "replicator reads groups"
expect_eq "$(lcount "$R" "$RP" "$S" '(userPassword=*)')" 5 "replicator reads service accounts with passwords"
case " $(lsee "$R" "$RP" "$BASE") " in
    *" contextcsn "*) _result 0 "replicator reads the suffix with contextCSN" ;;
    *) _result 1 "replicator reads the suffix with contextCSN" ;;
esac
TOTAL=$(ladmin ldapsearch -LLL -b "$BASE" '(objectClass=*)' dn 2>/dev/null | grep -c '^dn:')
expect_eq "$(lcount "$R" "$RP" "$BASE" '(objectClass=*)')" "$TOTAL" "replicator sees every entry"
las "$R" "$RP" ldapmodify > /dev/null 2>&1 <<LDIF
dn: $A
changetype: modify
replace: cn
cn: Changed
LDIF
expect_eq "$?" 50 "replicator cannot write"

finish
