# SPDX-License-Identifier: EUPL-1.2
# End to end: idmd enforces the rights policies (policies/) against real
# pysaml2 SPs registered for different applications. allow = SSO, reauth =
# the password every time without touching the shared session, deny = a
# plain-language page and RequestDenied, default deny for unknown keys;
# released attributes equal "idmctl policy explain"; Auskunftssperre; the
# portal; reload on SIGHUP and by polling, an invalid policy refused.
. "$(dirname "$0")/../lib.sh" "$1"
IDMD=${IDMD:?IDMD is not set}
DATA=$SRC/tests/data/saml
DRV="/usr/bin/python3 $SRC/tests/integration/saml/policy_sp.py"

newdb saml_policy
PA=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
IDP=http://127.0.0.1:$PA
PM=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
METRICS=http://127.0.0.1:$PM/metrics
POL=$T_TMP/policies
cp -r "$SRC/policies" "$POL"
cat >> "$CONF" <<EOF_CONF

[idp]
base_url = $IDP
port = $PA
threads = 2
key_file = $DATA/idp.key
cert_file = $DATA/idp.crt
pairwise_salt_file = $DATA/pairwise_salt
metrics_listen = 127.0.0.1:$PM

[policy]
dir = $POL
EOF_CONF

idm migrate
expect_rc 0 "migrate"
idm org add --type ministry --code bm --name Ministerium
idm org add --type authority --code ssa --parent bm --name Schulamt
idm org add --type school --number 75123 --parent ssa --name "Gymnasium"
idm group add --school 75123 --kind class --name 7a
expect_rc 0 "class 7a"
PW=Secret-Pass-123
STDIN=$PW idm user add --school 75123 --role pupil --class 7a --given Paul --family Schüler --birth 2012-03-04 --password-stdin
expect_rc 0 "pupil added"
PUPIL=$(printf '%s\n' "$OUT" | sed -n 1p)
STDIN=$PW idm user add --school 75123 --role school_leader --given Lena --family Leiterin --password-stdin
expect_rc 0 "school leader added"
LEADER=$(printf '%s\n' "$OUT" | sed -n 1p)
STDIN=$PW idm user add --school 75123 --role pupil --class 7a --given Geheim --family Gesperrt --info-block --password-stdin
expect_rc 0 "pupil with Auskunftssperre added"
BLOCKED=$(printf '%s\n' "$OUT" | sed -n 1p)

# one pysaml2 SP per application key (entityID $SPB/KEY/sp)
SPB=http://127.0.0.1:9
for app in lms stundenplan diagnostik mail unbekannt; do
    /usr/bin/python3 "$SRC/tests/integration/saml/sp_pysaml2.py" metadata "$SPB/$app" "$DATA" > "$T_TMP/$app.xml"
    key=$app
    [ "$app" = unbekannt ] && key=lms   # sp add refuses unknown keys
    idm sp add --app "$key" --allow-http "$T_TMP/$app.xml"
    expect_rc 0 "sp add --app $key ($app)"
done
# an SP whose key has left the catalogue since it was registered
sql "UPDATE saml_sp SET app_key = 'unbekannt' WHERE entity_id = '$SPB/unbekannt/sp'" > /dev/null

"$IDMD" --config "$CONF" > "$T_TMP/idmd.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$T_TMP"' EXIT
for i in $(seq 50); do
    curl -sf "$IDP/readyz" > /dev/null && break
    sleep 0.2
done

# sso JAR APP [LOGIN PASSWORD] [--nameid F] [--lang L]: one SP-initiated login
sso() {
    local jar=$T_TMP/$1.jar app=$2
    shift 2
    mkdir -p "$T_TMP/dump"
    IDM_SAML_DUMP="$T_TMP/dump" run $DRV sso "$jar" "$IDP" "$SPB/$app" "$DATA" "$@"
}
# attrs_match LOGIN APP DESC: the attributes of the last assertion are
# exactly those "idmctl policy explain" names, with its values
attrs_match() {
    local got=$OUT
    idm policy explain --user "$1" --app "$2" --json
    run /usr/bin/python3 -c '
import json, sys
got, want = json.loads(sys.argv[1]), json.loads(sys.argv[2])
w = {a["saml"]: a for a in want["attributes"]}
g = got.get("attrs", {})
p = []
if set(w) != set(g):
    p.append("names: got %s, policy %s" % (sorted(g), sorted(w)))
for n, a in w.items():
    if n not in g:
        continue
    if g[n]["friendly"] != a["name"]:
        p.append("FriendlyName of %s: %s" % (n, g[n]["friendly"]))
    if g[n]["format"] != "urn:oasis:names:tc:SAML:2.0:attrname-format:uri":
        p.append("NameFormat of %s" % n)
    if a["values"] and sorted(g[n]["values"]) != sorted(a["values"]):
        p.append("values of %s: %s, policy %s" % (a["name"], g[n]["values"], a["values"]))
    if not a["values"] and (len(g[n]["values"]) != 1 or not g[n]["values"][0].endswith("@schule-mv.de")):
        p.append("computed %s: %s" % (a["name"], g[n]["values"]))
print("; ".join(p) or "same")
' "$got" "$OUT"
    expect_eq "$OUT" same "$3"
    OUT=$got
}

# ---- allow: SSO ----
sso pupil stundenplan "$PUPIL" "$PW"
expect_eq "$(json 'j["result"]')" assertion "pupil: stundenplan after the password"
attrs_match "$PUPIL" stundenplan "stundenplan: attributes exactly as the policy says"
sso pupil lms
expect_eq "$(json 'j["result"]')" assertion "pupil: lms by SSO, no password"
attrs_match "$PUPIL" lms "lms: attributes exactly as the policy says"
expect_eq "$(json '"urn:oid:2.5.4.42" in j["names"]')" True "lms: givenName released"
expect_eq "$(json '"eduPersonPrincipalName" in j["friendly"] or "mail" in j["friendly"]')" False "lms: nothing beyond the policy"
expect_eq "$(json 'j["name_id_format"]')" "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" "lms: persistent NameID"
expect_eq "$(json '28700 <= j["session_seconds"] <= 28810')" True "lms: SessionNotOnOrAfter = session-max 28800 s"
expect_eq "$(json 'j["attrs"]["urn:oasis:names:tc:SAML:attribute:pairwise-id"]["values"][0].endswith("@schule-mv.de")')" True "pairwise-id scoped @schule-mv.de"
LMS_PW=$(json 'j["attrs"]["urn:oasis:names:tc:SAML:attribute:pairwise-id"]["values"][0]')
sso pupil stundenplan
expect_eq "$(json 'j["attrs"]["urn:oasis:names:tc:SAML:attribute:pairwise-id"]["values"][0] != "'"$LMS_PW"'"')" True "pairwise-id differs per SP"

# NameID formats: lms lists only persistent, but a transient NameID
# (one per IdP session and SP) is always available; other formats fail
# closed
sso pupil lms
LMS_NID=$(json 'j["name_id"]')
sso pupil lms --nameid transient
expect_eq "$(json 'j["result"]')" assertion "transient NameID granted although lms lists only persistent"
expect_eq "$(json 'j["name_id_format"]')" "urn:oasis:names:tc:SAML:2.0:nameid-format:transient" "lms: transient NameID on request"
T1=$(json 'j["name_id"]')
sso pupil lms --nameid transient
T2=$(json 'j["name_id"]')
expect_eq "$([ -n "$T1" ] && [ "$T1" = "$T2" ] && [ "$T1" != "$LMS_NID" ] && echo session)" session \
    "transient NameID the same within the IdP session, not the persistent one"
sso pupil2 lms "$PUPIL" "$PW" --nameid transient
T3=$(json 'j["name_id"]')
expect_eq "$([ -n "$T3" ] && [ "$T3" != "$T1" ] && [ "$T3" != "$LMS_NID" ] && echo fresh)" fresh \
    "transient NameID of another IdP session differs"
sso pupil lms --nameid email
expect_eq "$(json 'j["status"][-1]')" "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy" "emailAddress NameID refused: InvalidNameIDPolicy"
expect_eq "$(json 'j["has_assertion"]')" False "no assertion with InvalidNameIDPolicy"

# ---- deny ----
sso pupil mail
expect_eq "$(json 'j["result"]')" denied "pupil: mail denied"
expect_eq "$(json 'j["http"]')" 403 "denial page is 403"
expect_out "Diese Anwendung steht für Ihr Konto nicht zur Verfügung." "denial page in plain German"
expect_eq "$(json 'j["status"]')" "['urn:oasis:names:tc:SAML:2.0:status:Responder', 'urn:oasis:names:tc:SAML:2.0:status:RequestDenied']" "SP receives Responder/RequestDenied"
expect_eq "$(json 'j["has_assertion"]')" False "no assertion for a denied app"
expect_eq "$(json 'j["acs"]')" "$SPB/mail/acs" "RequestDenied goes to the SP's ACS"
sso pupil mail --lang "en-GB,en;q=0.9,de;q=0.5"
expect_out "This application is not available for your account." "denial page in English when preferred"
sso pupil diagnostik
expect_eq "$(json 'j["result"]')" denied "pupil: diagnostik denied"
run sql "SELECT count(*) FROM audit_log WHERE action = 'saml.policy_deny' AND details->>'sp' = '$SPB/mail/sp' AND details->>'reason' LIKE '%app mail%default deny%'"
expect_eq "$OUT" 2 "denials audited with app and reason"
# default deny: an SP bound to a key the policy does not know, before login
sso fresh unbekannt
expect_eq "$(json 'j["result"]')" denied "unknown application key: default deny, without a login"
expect_eq "$(grep -c 'policy.app_unknown' "$T_TMP/idmd.log")" 1 "admin log line for the unknown key"
expect_eq "$(grep 'policy.app_unknown' "$T_TMP/idmd.log" | grep -c 'app="unbekannt"')" 1 "log line names the key"
expect_eq "$(grep -c 'comp=saml event=policy.app_unknown' "$T_TMP/idmd.log")" 1 "a SAML decision: comp=saml"

# ---- reauth ----
sso leader lms "$LEADER" "$PW"
expect_eq "$(json 'j["result"]')" assertion "leader: lms after the password"
T0=$(json 'j["authn_instant"]')
sleep 1.2
sso leader diagnostik
expect_eq "$(json 'j["result"]')" login_form "leader: diagnostik asks for the password despite the session"
sso leader diagnostik "$LEADER" "$PW"
expect_eq "$(json 'j["result"]')" assertion "leader: diagnostik after the password"
T1=$(json 'j["authn_instant"]')
expect_eq "$([ "$T1" -gt "$T0" ] && echo fresh)" fresh "diagnostik: fresh AuthnInstant"
expect_eq "$(json '800 <= j["session_seconds"] <= 910')" True "diagnostik: SessionNotOnOrAfter capped at 900 s"
attrs_match "$LEADER" diagnostik "diagnostik: attributes exactly as the policy says"
sso leader diagnostik
expect_eq "$(json 'j["result"]')" login_form "diagnostik again: the password again"
sso leader lms
expect_eq "$(json 'j["result"]')" assertion "leader: lms still by SSO"
expect_eq "$(json 'j["authn_instant"]')" "$T0" "the reauth login did not renew the shared session"

# ---- Auskunftssperre ----
sso blocked lms "$BLOCKED" "$PW"
expect_eq "$(json 'j["result"]')" assertion "blocked pupil: lms"
attrs_match "$BLOCKED" lms "blocked pupil: attributes as the policy says"
expect_eq "$(json 'sorted(set(j["friendly"]) & {"givenName", "sn", "displayName"})')" "[]" "blocked pupil: no names"

# ---- portal ----
allowed() {
    local want="" k
    for k in $(ls "$POL/apps" | sed 's/\.xml$//'); do
        idm policy explain --user "$1" --app "$k" --json
        case $(json 'j["decision"]') in
            allow) want="$want $k" ;;
            reauth) want="$want $k(lock)" ;;
        esac
    done
    echo "$want" | tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' '
}
WANT=$(allowed "$PUPIL")
run $DRV portal "$T_TMP/pupil.jar" "$IDP"
expect_eq "$(json '" ".join(sorted(a["key"] + ("(lock)" if a["lock"] else "") for a in j["apps"])) + " "')" "$WANT" "pupil portal: exactly the allowed apps ($WANT)"
expect_eq "$(json '[a["key"] for a in j["apps"] if a["link"]]')" "['lms', 'stundenplan']" "pupil portal: links for registered SPs only"
WANT=$(allowed "$LEADER")
run $DRV portal "$T_TMP/leader.jar" "$IDP"
expect_eq "$(json '" ".join(sorted(a["key"] + ("(lock)" if a["lock"] else "") for a in j["apps"])) + " "')" "$WANT" "leader portal: allowed apps, reauth with lock ($WANT)"
expect_eq "$(json 'len(j["categories"]) > 1 and j["categories"] == sorted(set(j["categories"]), key=j["categories"].index)')" True "portal grouped by category (an h2 each, none twice)"
run $DRV launch "$T_TMP/leader.jar" "$IDP" diagnostik
expect_eq "$(json 'j["result"]')" login_form "portal: launching a locked app asks for the password"
run $DRV launch "$T_TMP/leader.jar" "$IDP" lms
expect_eq "$(json 'j["result"]')" assertion "portal: launching lms is SSO"

# ---- reload ----
printf '<?xml version="1.0"?>\n<application xmlns="urn:de:schule-mv:idm:policy:1"\n  key="kaputt">\n<name>x</name>\n' > "$POL/apps/kaputt.xml"
kill -HUP "$PID"
for i in $(seq 25); do
    curl -s "$METRICS" | grep -q 'idmd_policy_reloads_total{result="refused"} 1' && break
    sleep 0.2
done
run curl -s "$METRICS"
expect_out 'idmd_policy_reloads_total{result="refused"} 1' "metrics count the refused reload"
expect_eq "$([ "$(grep 'comp=web event=policy.problem' "$T_TMP/idmd.log" | grep -c 'kaputt.xml:[0-9]')" -ge 1 ] && echo yes)" yes "problem logged with file:line (by the web layer: comp=web)"
sso pupil lms
expect_eq "$(json 'j["result"]')" assertion "old policy still answers after the refused reload"
expect_eq "$(json '"displayName" in j["friendly"]')" True "old policy's attributes (displayName)"
rm "$POL/apps/kaputt.xml"
sed -i '/<attribute name="displayName"\/>/d' "$POL/apps/lms.xml"
for i in $(seq 40); do
    curl -s "$METRICS" | grep -q 'idmd_policy_reloads_total{result="ok"} 1' && break
    sleep 0.2
done
run curl -s "$METRICS"
expect_out 'idmd_policy_reloads_total{result="ok"} 1' "changed files picked up by the poll"
sso pupil lms
expect_eq "$(json '"displayName" in j["friendly"]')" False "the valid change takes effect: no displayName"
attrs_match "$PUPIL" lms "lms after the change: attributes exactly as the new policy says"
expect_eq "$(grep -c 'policy.refused' "$T_TMP/idmd.log")" 1 "one refusal logged (the poll does not retry unchanged files)"
expect_eq "$(grep -c 'comp=web event=policy.refused' "$T_TMP/idmd.log")" 1 "the refusal is the web layer's (comp=web)"

kill "$PID"
wait "$PID" 2>/dev/null
# every Response of this test (assertions, RequestDenied, NoPassive,
# InvalidNameIDPolicy) validates against the OASIS SAML schemas
run sh "$SRC/tests/integration/saml/xsd_check.sh" "$T_TMP"/dump/*.xml
expect_rc 0 "every Response validates against the SAML schemas"
run sh -c "grep -l RequestDenied '$T_TMP'/dump/*.xml | wc -l"
expect_eq "$([ "$OUT" -ge 1 ] && echo yes)" yes "schema check saw a RequestDenied Response"
finish
