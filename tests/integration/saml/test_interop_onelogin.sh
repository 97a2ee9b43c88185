# SPDX-License-Identifier: EUPL-1.2
# Interoperability with OneLogin's toolkit (Debian's python3-onelogin-saml2
# 1.12, strict mode): each SP configuration below is registered with
# "idmctl sp add" from the metadata onelogin generates, with nothing else,
# and sp_onelogin.py drives idmd like a browser: Redirect and POST
# AuthnRequests, attributes and NameID format, tampered Responses refused
# by onelogin, SP- and IdP-initiated Single Logout.
. "$(dirname "$0")/../lib.sh" "$1"
IDMD=${IDMD:?IDMD is not set}
DATA=$SRC/tests/data/saml
SP=$SRC/tests/integration/saml/sp_onelogin.py

newdb saml_onelogin
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
IDP=http://127.0.0.1:$PORT
cat >> "$CONF" <<EOF_CONF

[idp]
base_url = $IDP
port = $PORT
threads = 2
key_file = $DATA/idp.key
cert_file = $DATA/idp.crt
next_cert_file = $DATA/idp-next.crt
pairwise_salt_file = $DATA/pairwise_salt
metrics_listen = off
EOF_CONF

idm migrate
expect_rc 0 "migrate"
idm org add --type ministry --code bm --name Ministerium
idm org add --type authority --code ssa --parent bm --name Schulamt
idm org add --type school --number 75123 --parent ssa --name "Gymnasium"
STDIN=Secret-Pass-123 idm user add --school 75123 --role teacher --given Anna --family Test --password-stdin
expect_rc 0 "user added"
LOGIN=$(printf '%s\n' "$OUT" | sed -n 1p)

# The SP configurations (all with signed LogoutRequests and
# LogoutResponses, SHA-256, no RequestedAuthnContext):
#   a  unsigned AuthnRequests, persistent NameID, WantAssertionsSigned
#   b  signed AuthnRequests, persistent NameID, WantAssertionsSigned
#   c  signed AuthnRequests, transient NameID, WantAssertionsSigned
#   d  signed AuthnRequests, persistent NameID, wantMessagesSigned
#   e  as d, and WantAssertionsSigned: both signatures, the one case that
#      needs a setting in idmd (one signature per Response by default)
#   f  as b, and wantAssertionsEncrypted: an encryption key in its
#      metadata, so idmd encrypts (AES-256-GCM, RSA-OAEP) and onelogin
#      decrypts, then checks the Assertion's signature
RUNS="a: b:signed c:signed,transient d:signed,msgsigned e:signed,msgsigned,assertsigned f:signed,encrypted"
for r in $RUNS; do
    name=${r%%:*}
    opts=${r#*:}
    run /usr/bin/python3 "$SP" metadata "http://127.0.0.1:9/$name" "$DATA" "$opts"
    expect_rc 0 "onelogin metadata ($name)"
    printf '%s\n' "$OUT" > "$T_TMP/sp-$name.xml"
    case $opts in
    *msgsigned,assertsigned*)
        idm sp add --app lms --allow-http --sign both "$T_TMP/sp-$name.xml"
        expect_rc 0 "sp add --sign both ($name)"
        ;;
    *)
        idm sp add --app lms --allow-http "$T_TMP/sp-$name.xml"
        expect_rc 0 "sp add from onelogin's metadata alone ($name)"
        ;;
    esac
done
idm sp show http://127.0.0.1:9/b/metadata --json
expect_eq "$(json 'j["sign_requests"]')" True "AuthnRequestsSigned=true read from the metadata"

"$IDMD" --config "$CONF" > "$T_TMP/idmd.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$T_TMP"' EXIT
for i in $(seq 50); do
    curl -sf "$IDP/readyz" > /dev/null && break
    sleep 0.2
done

for r in $RUNS; do
    name=${r%%:*}
    opts=${r#*:}
    run /usr/bin/python3 "$SP" flow "http://127.0.0.1:9/$name" "$DATA" "$opts" \
        "$IDP" "$LOGIN" Secret-Pass-123
    expect_rc 0 "onelogin ($name: ${opts:-unsigned}): redirect + post login, tampering refused, SLO both ways"
    [ "$RC" -eq 0 ] || continue
    printf '%s\n' "$OUT" | tail -1 > "$T_TMP/res-$name.json"
    OUT=$(cat "$T_TMP/res-$name.json")
    case $opts in
    *transient*) fmt=urn:oasis:names:tc:SAML:2.0:nameid-format:transient ;;
    *) fmt=urn:oasis:names:tc:SAML:2.0:nameid-format:persistent ;;
    esac
    expect_eq "$(json 'j["redirect"]["name_id_format"]')" "$fmt" "NameID format ($name)"
    expect_eq "$(json 'j["post"]["name_id_format"]')" "$fmt" "NameID format over POST ($name)"
    expect_eq "$(json 'j["redirect"]["attributes"]["givenName"]')" "['Anna']" "givenName released ($name)"
    expect_eq "$(json 'j["redirect"]["attributes"]["eduPersonAffiliation"][0]')" faculty "affiliation released ($name)"
    expect_eq "$(json '"eduPersonPrincipalName" in j["redirect"]["attributes"]')" False "nothing beyond the policy ($name)"
    expect_eq "$(json 'j["redirect"]["session_index"]')" True "SessionIndex for SLO ($name)"
    case $opts in
    *msgsigned,assertsigned*)
        expect_eq "$(json 'j["redirect"]["signed"]')" "{'response': True, 'assertion': True}" "Response and Assertion signed ($name)"
        ;;
    *msgsigned*) expect_eq "$(json 'j["redirect"]["signed"]["response"]')" True "Response signed ($name)" ;;
    *encrypted*)
        # signed inside: onelogin verified it after decrypting
        expect_eq "$(json '(j["redirect"]["encrypted"], j["redirect"]["signed"])')" \
            "('http://www.w3.org/2009/xmlenc11#aes256-gcm', {'response': False, 'assertion': False})" \
            "Assertion encrypted (AES-256-GCM), its signature inside ($name)"
        ;;
    *) expect_eq "$(json 'j["redirect"]["signed"]["assertion"]')" True "Assertion signed ($name)" ;;
    esac
    case $opts in
    *encrypted*)
        echo "# $name: tampered ciphertext: $(json 'j["tamper_cipher"]')"
        expect_eq "$(json 'bool(j["tamper_cipher"])')" True "changed ciphertext refused ($name)"
        ;;
    *)
        expect_eq "$(json 'j["redirect"]["encrypted"]')" None "no encryption key, no encryption ($name)"
        echo "# $name: tampered attribute: $(json 'j["tamper_attribute"]')"
        echo "# $name: tampered NameID: $(json 'j["tamper_nameid"]')"
        expect_eq "$(json '"ignature" in j["tamper_attribute"]')" True "changed attribute: signature check failed ($name)"
        expect_eq "$(json '"ignature" in j["tamper_nameid"]')" True "changed NameID: signature check failed ($name)"
        ;;
    esac
    case $opts in
    *signed*) expect_eq "$(json 'j.get("sha1_refused")')" True "onelogin's default SHA-1 refused with the reason ($name)" ;;
    esac
    case $opts in
    *transient*)
        expect_eq "$(json 'j["transient_same_session"]')" True \
            "transient NameID: the same in both assertions of the session ($name)"
        expect_eq "$(json 'j["transient_new_session"]')" True \
            "transient NameID: another one in the next IdP session ($name)"
        ;;
    esac
    expect_eq "$(json 'j["sp_slo"]')" ok "SP-initiated SLO ($name)"
    expect_eq "$(json 'j["idp_slo"]')" ok "IdP-initiated SLO ($name)"
    expect_eq "$(json '"<li>lms</li>" in j["idp_slo_page"]')" True "portal lists the app as logged out ($name)"
done

run sql "SELECT count(*) FROM audit_log WHERE action = 'saml.assertion_issue' AND details->>'sp' LIKE 'http://127.0.0.1:9/%'"
expect_eq "$OUT" 18 "three assertions per configuration, each audited"
run sql "SELECT count(*) FROM audit_log WHERE action = 'saml.logout'"
expect_eq "$OUT" 12 "two logouts per configuration"
run sql "SELECT count(*) FROM saml_session"
expect_eq "$OUT" 0 "no session left"
run grep -c 'level=error' "$T_TMP/idmd.log"
expect_eq "$OUT" 0 "no error in idmd's log"
kill "$PID"
wait "$PID" 2>/dev/null
finish
