# SPDX-License-Identifier: EUPL-1.2
# End to end: two idmd processes on one database, a real independent SP
# (Debian's python3-pysaml2) registered with "idmctl sp add", login over
# HTTP-Redirect and HTTP-POST, SSO on the second node with the session of
# the first, SP-initiated logout; metadata validation by idmctl sp add.
. "$(dirname "$0")/../lib.sh" "$1"
IDMD=${IDMD:?IDMD is not set}
DATA=$SRC/tests/data/saml

newdb saml_e2e
free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
PA=$(free_port)
PB=$(free_port)
PM=$(free_port)
cat >> "$CONF" <<EOF_CONF

[idp]
base_url = http://127.0.0.1:$PA
port = $PA
threads = 2
key_file = $DATA/idp.key
cert_file = $DATA/idp.crt
next_cert_file = $DATA/idp-next.crt
pairwise_salt_file = $DATA/pairwise_salt
metrics_listen = 127.0.0.1:$PM
EOF_CONF

# info: the SP rebuilds (sp.notify, sp.reload) are checked below
sed -i 's/^level = warn$/level = info/' "$CONF"
idm migrate
expect_rc 0 "migrate"
idm org add --type ministry --code bm --name Ministerium
idm org add --type authority --code ssa --parent bm --name Schulamt
idm org add --type school --number 75123 --parent ssa --name "Gymnasium"
STDIN=Secret-Pass-123 idm user add --school 75123 --role teacher --given Anna --family Test --password-stdin
expect_rc 0 "user added"
LOGIN=$(printf '%s\n' "$OUT" | sed -n 1p)

SPB=http://127.0.0.1:9
/usr/bin/python3 "$SRC/tests/integration/saml/sp_pysaml2.py" metadata "$SPB" "$DATA" > "$T_TMP/sp.xml"
idm sp add --app lms "$T_TMP/sp.xml"
expect_rc 1 "http endpoints refused without --allow-http"
expect_err "https" "refusal names the reason"
printf '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>' > "$T_TMP/dtd.xml"
idm sp add --app x "$T_TMP/dtd.xml"
expect_rc 1 "metadata with a DTD refused"
sed "s/ entityID=/ validUntil=\"2001-01-01T00:00:00Z\" entityID=/" "$T_TMP/sp.xml" > "$T_TMP/old.xml"
idm sp add --app x --allow-http "$T_TMP/old.xml"
expect_rc 1 "expired metadata refused"
idm sp add --app lms --allow-http "$T_TMP/sp.xml"
expect_rc 0 "sp add"
expect_eq "$OUT" "$SPB/sp" "sp add prints the entityID"
idm sp list --json
expect_eq "$(json 'j[0]["app"]')" lms "sp list"
idm sp show "$SPB/sp"
expect_out "allow_http:    yes" "sp show"
expect_out "sign:          metadata" "sp show: one signature as the metadata says"
expect_out "encrypt:       metadata" "sp show: encrypted as the metadata says"
idm sp set --sign both "$SPB/sp"
expect_rc 0 "sp set --sign both"
idm sp show --json "$SPB/sp"
expect_eq "$(json 'j["sign"]')" both "sp set stored --sign both"
idm sp set --sign everything "$SPB/sp"
expect_rc 2 "sp set --sign with an unknown value refused"
idm sp set --sign metadata "$SPB/sp"
expect_rc 0 "sp set --sign metadata"
idm sp add --app x --allow-http --sign twice "$T_TMP/sp.xml"
expect_rc 2 "sp add --sign with an unknown value refused"
run sql "SELECT count(*) FROM audit_log WHERE action = 'sp.set' AND target = '$SPB/sp'"
expect_eq "$OUT" 2 "sp set audited"

# node A as systemd runs it (Type=notify): the states it reports
/usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[2] + ".up", "w").close()
with open(sys.argv[2], "a") as f:
    while True:
        f.write(s.recv(4096).decode() + "\n")
        f.flush()
' "$T_TMP/notify.sock" "$T_TMP/notify.log" &
PID_N=$!
for i in $(seq 50); do [ -e "$T_TMP/notify.log.up" ] && break; sleep 0.1; done
NOTIFY_SOCKET="$T_TMP/notify.sock" "$IDMD" --config "$CONF" > "$T_TMP/a.log" 2>&1 &
PID_A=$!
"$IDMD" --config "$CONF" --port "$PB" --metrics-listen off > "$T_TMP/b.log" 2>&1 &
PID_B=$!
trap 'kill $PID_A $PID_B $PID_N 2>/dev/null; rm -rf "$T_TMP"' EXIT
for i in $(seq 50); do
    curl -sf "http://127.0.0.1:$PA/readyz" > /dev/null && curl -sf "http://127.0.0.1:$PB/readyz" > /dev/null && break
    sleep 0.2
done
run curl -sf "http://127.0.0.1:$PA/healthz"
expect_rc 0 "healthz"

# metadata as schema-validating SPs (Shibboleth) and federations read it:
# ds:Signature first, the scope of scoped attributes declared, the
# signature valid with our certificate, the OASIS schema satisfied
curl -sf -o "$T_TMP/idp-md.xml" "http://127.0.0.1:$PA/saml/metadata"
run /usr/bin/python3 -c '
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
ds, md = "{http://www.w3.org/2000/09/xmldsig#}", "{urn:oasis:names:tc:SAML:2.0:metadata}"
print(r[0].tag == ds + "Signature")
print(",".join(s.text + ":" + s.get("regexp") for s in r.iter("{urn:mace:shibboleth:metadata:1.0}Scope")
               if s in list(r.find(md + "IDPSSODescriptor/" + md + "Extensions"))))
' "$T_TMP/idp-md.xml"
expect_eq "$OUT" "True
schule-mv.de:false" "metadata: Signature first, shibmd:Scope in the IDPSSODescriptor"
run xmlsec1 --verify --pubkey-cert-pem "$DATA/idp.crt" \
    --id-attr:ID urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor "$T_TMP/idp-md.xml"
expect_rc 0 "metadata: signature verifies with xmlsec1 and the IdP certificate"
run sh "$SRC/tests/integration/saml/xsd_check.sh" "$T_TMP/idp-md.xml"
expect_rc 0 "metadata: valid against the OASIS metadata schema"
expect_eq "$(cat "$T_TMP/notify.log")" "READY=1" "sd_notify READY=1 once serving"
kill -HUP "$PID_A"
for i in $(seq 50); do [ "$(wc -l < "$T_TMP/notify.log")" -ge 3 ] && break; sleep 0.1; done
expect_eq "$(tr '\n' ' ' < "$T_TMP/notify.log")" "READY=1 RELOADING=1 READY=1 " \
    "sd_notify RELOADING=1 then READY=1 around SIGHUP"
run curl -sI "http://127.0.0.1:$PA/"
expect_out "X-Frame-Options: DENY" "security headers"
expect_out "Content-Security-Policy" "CSP header"
expect_out "Set-Cookie: idm_b=" "plain cookie name over http (no __Host- prefix)"
run curl -s -H 'Accept-Language: en-GB,en;q=0.9,de;q=0.5' "http://127.0.0.1:$PA/"
expect_out "User name" "English login page when preferred"
run curl -s "http://127.0.0.1:$PA/"
expect_out "Benutzername" "German login page by default"

mkdir "$T_TMP/dump"
IDM_SAML_DUMP="$T_TMP/dump" run /usr/bin/python3 "$SRC/tests/integration/saml/sp_pysaml2.py" flow "$SPB" "$DATA" \
    "http://127.0.0.1:$PA" "http://127.0.0.1:$PB" "$LOGIN" Secret-Pass-123
expect_rc 0 "pysaml2: redirect + post login, node B, logout"
printf '%s\n' "$OUT" | tail -1 > "$T_TMP/result.json"
OUT=$(cat "$T_TMP/result.json")
expect_eq "$(json 'j["redirect"]["ava"]["givenName"][0]')" Anna "givenName released"
expect_eq "$(json '"eduPersonPrincipalName" in j["redirect"]["ava"]')" False "no eduPersonPrincipalName"
expect_eq "$(json 'j["redirect"]["ava"]["eduPersonAffiliation"][0]')" faculty "affiliation released"
expect_eq "$(json '(j["encrypted"]["redirect"], j["encrypted"]["post"])')" \
    "('http://www.w3.org/2009/xmlenc11#aes256-gcm', 'http://www.w3.org/2009/xmlenc11#aes256-gcm')" \
    "pysaml2 decrypts the EncryptedAssertions (AES-256-GCM) for its encryption key"
expect_eq "$(json 'j["tampered"]')" refused "pysaml2 refuses a changed encrypted Assertion"
run sh "$SRC/tests/integration/saml/xsd_check.sh" "$T_TMP"/dump/*.xml
expect_rc 0 "every Response and LogoutResponse pysaml2 got validates against the SAML schemas"
expect_eq "$(ls "$T_TMP/dump" | sed 's/-.*//' | sort | uniq -c | tr -s ' ' | tr '\n' ,)" \
    " 1 logout, 3 response," "schema check saw the logins and the LogoutResponse"

run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PA/metrics"
expect_eq "$OUT" 404 "no /metrics on the public port"
run curl -s "http://127.0.0.1:$PM/metrics"
expect_out 'idmd_logins_total{result="ok"} 1' "metrics count the login"
expect_out 'idmd_assertions_issued_total' "metrics per SP"
run sql "SELECT count(*) FROM audit_log WHERE action = 'saml.assertion_issue' AND details->>'sp' = '$SPB/sp'"
expect_eq "$OUT" 4 "assertions audited with the SP"
run sql "SELECT count(*) FROM audit_log WHERE details::text LIKE '%Secret-Pass%'"
expect_eq "$OUT" 0 "no password in the audit log"

# an SP added while both nodes run is announced by NOTIFY, not found by
# the 30 s version poll: both nodes rebuild at once
SPC=http://127.0.0.1:11
/usr/bin/python3 "$SRC/tests/integration/saml/sp_pysaml2.py" metadata "$SPC" "$DATA" > "$T_TMP/spc.xml"
idm sp add --app lms --allow-http "$T_TMP/spc.xml"
expect_rc 0 "second sp add"
for i in $(seq 50); do
    grep -q 'sps=2' "$T_TMP/a.log" && grep -q 'sps=2' "$T_TMP/b.log" && break
    sleep 0.1
done
for n in a b; do
    run sed -n '/sp.notify/,$p' "$T_TMP/$n.log"
    expect_out 'sps=2' "node $n rebuilt after the NOTIFY of the new SP"
done
run curl -s "http://127.0.0.1:$PB/saml/metadata"
expect_rc 0 "metadata after the SP change"

idm sp remove "$SPB/sp"
expect_rc 0 "sp remove"
kill "$PID_A" "$PID_B"
wait "$PID_A" "$PID_B" 2>/dev/null
expect_eq "$(tail -n 1 "$T_TMP/notify.log")" "STOPPING=1" "sd_notify STOPPING=1"
kill "$PID_N" 2>/dev/null
finish
