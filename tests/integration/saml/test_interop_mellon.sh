# SPDX-License-Identifier: EUPL-1.2
# Interoperability with Apache + mod_auth_mellon (Debian 12's
# libapache2-mod-auth-mellon, its default settings): a private Apache on
# loopback with two mellon SPs, registered in idmd from the metadata mellon
# generates. /a uses mellon's defaults (HTTP-Redirect, signed AuthnRequest,
# NameIDPolicy transient); /b gets IdP metadata without a Redirect SSO
# endpoint, so mellon posts its AuthnRequest (XML signature). mellon
# cannot send unsigned requests (it fails without a key): pysaml2 covers
# those. Checked: the
# attributes reach the protected page, a tampered Response is refused, SLO
# from the SP and from the IdP, and every message idmd sent validates
# against the OASIS SAML schemas.
. "$(dirname "$0")/../lib.sh" "$1"
IDMD=${IDMD:?IDMD is not set}
APACHE=${IDM_APACHE:-/usr/sbin/apache2}
MODS=/usr/lib/apache2/modules
DATA=$SRC/tests/data/saml
if [ ! -x "$APACHE" ] || [ ! -e "$MODS/mod_auth_mellon.so" ]; then
    echo "not ok 1 - apache2 and libapache2-mod-auth-mellon are installed (deploy/install-deps)"
    exit 1
fi

newdb saml_mellon
free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
PI=$(free_port)
PM=$(free_port)
PMET=$(free_port)
IDP=http://127.0.0.1:$PI
SP=http://127.0.0.1:$PM
cat >> "$CONF" <<EOF_CONF

[idp]
base_url = $IDP
port = $PI
threads = 2
key_file = $DATA/idp.key
cert_file = $DATA/idp.crt
pairwise_salt_file = $DATA/pairwise_salt
metrics_listen = 127.0.0.1:$PMET
EOF_CONF

idm migrate
expect_rc 0 "migrate"
idm org add --type ministry --code bm --name Ministerium
idm org add --type authority --code ssa --parent bm --name Schulamt
idm org add --type school --number 75123 --parent ssa --name "Gymnasium"
STDIN=Secret-Pass-123 idm user add --school 75123 --role teacher --given Anna --family Test --password-stdin
expect_rc 0 "user added"
LOGIN=$(printf '%s\n' "$OUT" | sed -n 1p)

"$IDMD" --config "$CONF" > "$T_TMP/idmd.log" 2>&1 &
PID_I=$!
PID_A=
# Apache runs as nobody when started as root: its files must be readable
M=$(mktemp -d "${TMPDIR:-/tmp}/idm-mellon.XXXXXX")
chmod 755 "$M"
trap 'kill $PID_I 2>/dev/null; [ -n "$PID_A" ] && kill "$PID_A" 2>/dev/null; rm -rf "$T_TMP" "$M"' EXIT
for i in $(seq 50); do
    curl -sf "$IDP/readyz" > /dev/null && break
    sleep 0.2
done
curl -sf -o "$M/idp.xml" "$IDP/saml/metadata"
expect_eq "$?" 0 "idmd serves its metadata"
# /b's copy: no HTTP-Redirect SingleSignOnService (and so no signature)
/usr/bin/python3 - "$M/idp.xml" "$M/idp-post.xml" <<'EOF_PY'
import sys, xml.etree.ElementTree as ET
ET.register_namespace("md", "urn:oasis:names:tc:SAML:2.0:metadata")
ET.register_namespace("ds", "http://www.w3.org/2000/09/xmldsig#")
md, ds = "{urn:oasis:names:tc:SAML:2.0:metadata}", "{http://www.w3.org/2000/09/xmldsig#}"
t = ET.parse(sys.argv[1])
r = t.getroot()
r.remove(r.find(ds + "Signature"))
idp = r.find(md + "IDPSSODescriptor")
for e in idp.findall(md + "SingleSignOnService"):
    if e.get("Binding").endswith("HTTP-Redirect"):
        idp.remove(e)
t.write(sys.argv[2], xml_declaration=True, encoding="UTF-8")
EOF_PY

openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 2 -subj "/CN=mellon-test" \
    -keyout "$M/sp.key" -out "$M/sp.crt" > /dev/null 2>&1
chmod 644 "$M/sp.key"
mkdir -p "$M/htdocs/a/protected" "$M/htdocs/b/protected" "$M/run"
for d in a b; do
    printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n"\nenv | grep -E "^(MELLON_|REMOTE_USER=)" | sort\n' \
        > "$M/htdocs/$d/protected/env.cgi"
    chmod 755 "$M/htdocs/$d/protected/env.cgi"
    echo bye > "$M/htdocs/$d/bye.html"
done
USER_LINE=
[ "$(id -u)" -eq 0 ] && USER_LINE="User nobody
Group nogroup"
# Only what a private server needs; the mellon directives are Debian's
# defaults plus the three every SP must set (key, certificate, IdP
# metadata). MellonVariable: two SPs on one host need two cookies.
cat > "$M/apache2.conf" <<EOF_AP
ServerRoot $M
ServerName 127.0.0.1
Listen 127.0.0.1:$PM
PidFile $M/run/httpd.pid
DefaultRuntimeDir $M/run
Mutex file:$M/run default
ErrorLog $M/error.log
LogLevel info auth_mellon:debug
$USER_LINE
LoadModule mpm_prefork_module $MODS/mod_mpm_prefork.so
LoadModule authn_core_module $MODS/mod_authn_core.so
LoadModule authz_core_module $MODS/mod_authz_core.so
LoadModule authz_user_module $MODS/mod_authz_user.so
LoadModule cgi_module $MODS/mod_cgi.so
LoadModule auth_mellon_module $MODS/mod_auth_mellon.so
DocumentRoot $M/htdocs
<Directory $M/htdocs>
    Require all granted
</Directory>
<Directory ~ "$M/htdocs/[ab]/protected">
    Options +ExecCGI
    SetHandler cgi-script
</Directory>
<Location /a>
    MellonEndpointPath /a/mellon
    MellonSPPrivateKeyFile $M/sp.key
    MellonSPCertFile $M/sp.crt
    MellonIdPMetadataFile $M/idp.xml
</Location>
<Location /b>
    MellonEndpointPath /b/mellon
    MellonVariable b
    MellonSPPrivateKeyFile $M/sp.key
    MellonSPCertFile $M/sp.crt
    MellonIdPMetadataFile $M/idp-post.xml
</Location>
<Location /a/protected>
    AuthType Mellon
    MellonEnable auth
    Require valid-user
</Location>
<Location /b/protected>
    AuthType Mellon
    MellonEnable auth
    Require valid-user
</Location>
EOF_AP
"$APACHE" -X -f "$M/apache2.conf" > "$M/apache.out" 2>&1 &
PID_A=$!
for i in $(seq 50); do
    curl -s -o /dev/null "$SP/a/bye.html" && break
    sleep 0.2
done
for d in a b; do
    curl -sf -o "$T_TMP/$d.xml" "$SP/$d/mellon/metadata"
    expect_eq "$?" 0 "mellon /$d publishes its metadata"
    idm sp add --app lms --allow-http "$T_TMP/$d.xml"
    expect_rc 0 "mellon /$d registered from its own metadata, unchanged"
done
# idmd picks SP changes up at once (NOTIFY; metrics list its SPs)
for i in $(seq 100); do
    n=$(curl -s "http://127.0.0.1:$PMET/metrics" | grep -c '^idmd_assertions_issued_total{sp=')
    [ "$n" -eq 2 ] && break
    sleep 0.2
done
expect_eq "$n" 2 "idmd serves both mellon SPs"

mkdir "$T_TMP/dump"
run /usr/bin/python3 "$SRC/tests/integration/saml/mellon_driver.py" "$SP" "$IDP" \
    "$LOGIN" Secret-Pass-123 "$T_TMP/dump" "$M/sp.key"
expect_eq "$(printf "%s\n" "$OUT" | tail -1 | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin).get(\"error\"))")" None "driver ran to the end"
printf '%s\n' "$OUT" | tail -1 > "$T_TMP/result.json"
OUT=$(cat "$T_TMP/result.json")
T=urn:oasis:names:tc:SAML:2.0:nameid-format:transient
expect_eq "$(json '(j["a"]["binding"], j["a"]["signed"])')" "('redirect', True)" "/a: signed HTTP-Redirect AuthnRequest"
expect_eq "$(json 'j["a"]["sig_alg"]')" http://www.w3.org/2001/04/xmldsig-more#rsa-sha256 "/a: mellon signs with RSA-SHA256 by default"
expect_eq "$(json 'j["a"]["nameid_policy"]')" "$T" "/a: mellon asks for a transient NameID"
expect_eq "$(json 'j["a"]["sp_status"]')" 200 "/a: mellon accepts the Response, protected page served"
expect_eq "$(json 'j["a"]["name_id_format"]')" "$T" "/a: transient NameID"
expect_eq "$(json 'j["a"]["name_id"] == j["a"]["env"].get("MELLON_NAME_ID") == j["a"]["env"].get("REMOTE_USER") and len(j["a"]["name_id"]) >= 32')" True "/a: mellon's user is the opaque NameID"
expect_eq "$(json '[v for k, v in j["a"]["env"].items() if k.endswith("2_5_4_42")]')" "['Anna']" "/a: givenName reaches the page"
expect_eq "$(json '[v for k, v in j["a"]["env"].items() if "pairwise" in k][0].endswith("@schule-mv.de")')" True "/a: pairwise-id reaches the page (scope declared)"
expect_eq "$(json '(j["b"]["binding"], j["b"]["signed"])')" "('post', True)" "/b: HTTP-POST AuthnRequest with an XML signature"
expect_eq "$(json 'j["b"]["sp_status"]')" 200 "/b: mellon accepts the Response (SSO from the session)"
expect_eq "$(json '[v for k, v in j["b"]["env"].items() if k.endswith("2_5_4_42")]')" "['Anna']" "/b: givenName reaches the page"
GCM=http://www.w3.org/2009/xmlenc11#aes256-gcm
# mellon's metadata publishes its certificate for encryption too
expect_eq "$(json '(j["a"]["assertion"], j["b"]["assertion"])')" "('encrypted $GCM', 'encrypted $GCM')" "an EncryptedAssertion (AES-256-GCM) to both, which mellon decrypts"
expect_eq "$(json 'j["tampered"]["changed"]')" True "tampered: the encrypted Assertion changed"
expect_eq "$(json 'j["tampered"]["sp_status"] != 200 and not j["tampered"]["env"]')" True "tampered: mellon refuses the Response"
expect_eq "$(json 'j["control"]["sp_status"]')" 200 "control: the same path unchanged is accepted"
expect_eq "$(json 'j["sp_logout"]["final"]')" "$SP/a/bye.html" "SP-initiated SLO returns to the SP"
expect_eq "$(json '(j["sp_logout"]["idp_session"], j["sp_logout"]["a_session"], j["sp_logout"]["b_session"])')" \
    "(False, False, False)" "SP-initiated SLO ends the IdP session and both mellon sessions"
expect_eq "$(json 'j["idp_logout"]["before"]')" "[True, True]" "IdP-initiated SLO: both mellon sessions open before"
expect_eq "$(json '(j["idp_logout"]["idp_session"], j["idp_logout"]["a_session"], j["idp_logout"]["b_session"])')" \
    "(False, False, False)" "IdP-initiated SLO ends the IdP session and both mellon sessions"
expect_eq "$(json 'j["idp_logout"]["status"]')" 200 "IdP-initiated SLO ends on idmd's page"

run sh "$SRC/tests/integration/saml/xsd_check.sh" "$T_TMP"/dump/*.xml
expect_rc 0 "every message idmd sent mellon validates against the SAML schemas"
run sh -c "ls '$T_TMP/dump' | sed 's/^[0-9]*-//' | sort -u | tr '\n' ' '"
expect_eq "$OUT" "post-SAMLResponse.xml redirect-SAMLRequest.xml redirect-SAMLResponse.xml " \
    "schema check covered Response, LogoutRequest and LogoutResponse"
if [ "$T_FAIL" -ne 0 ]; then
    echo "# driver: $(cat "$T_TMP/result.json")"
    run sql "SELECT string_agg(details::text, ' ') FROM audit_log WHERE action = 'saml.authn_reject'"
    echo "# rejected: $OUT"
    echo "# idmd log:"; tail -n 30 "$T_TMP/idmd.log" | sed 's/^/#   /'
    echo "# apache log:"; grep -v ':debug\]' "$M/error.log" "$M/apache.out" 2>&1 | tail -n 30 | sed 's/^/#   /'
fi
finish
