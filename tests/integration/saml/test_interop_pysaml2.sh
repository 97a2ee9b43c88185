# SPDX-License-Identifier: EUPL-1.2
# Interoperability with Debian's python3-pysaml2 (7.0): two SP entities
# registered with "idmctl sp add" from the metadata pysaml2 generates,
# one with unsigned AuthnRequests, one with AuthnRequestsSigned="true"
# (idmd then refuses its unsigned requests). sp_pysaml2.py interop drives
# idmd like a browser for each: Redirect and POST logins, attributes,
# Responses with a changed attribute or NameID refused by pysaml2 (the
# untouched one accepted), SP- and IdP-initiated Single Logout; every
# message idmd sent is checked against the SAML schemas.
. "$(dirname "$0")/../lib.sh" "$1"
IDMD=${IDMD:?IDMD is not set}
DATA=$SRC/tests/data/saml
SP=$SRC/tests/integration/saml/sp_pysaml2.py
SPB=http://127.0.0.1:9

newdb saml_pysaml2
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

run /usr/bin/python3 "$SP" metadata "$SPB" "$DATA"
printf '%s\n' "$OUT" > "$T_TMP/sp.xml"
run /usr/bin/python3 "$SP" metadata "$SPB" "$DATA" signed
printf '%s\n' "$OUT" > "$T_TMP/sp-signed.xml"
expect_out 'AuthnRequestsSigned="true"' "pysaml2's metadata asks to sign AuthnRequests"
# plain Assertions here, so that the tampering below changes signed XML;
# encrypted ones (pysaml2 decrypts, a changed ciphertext is refused) are
# integration.saml_e2e's
for f in sp sp-signed; do
    idm sp add --app lms --allow-http --encrypt no "$T_TMP/$f.xml"
    expect_rc 0 "sp add from pysaml2's metadata alone ($f)"
done
idm sp show "$SPB/sp-signed" --json
expect_eq "$(json 'j["sign_requests"]')" True "AuthnRequestsSigned=true read from the metadata"
idm sp show "$SPB/sp" --json
expect_eq "$(json 'j["sign_requests"]')" False "unsigned SP: signatures not required"

"$IDMD" --config "$CONF" > "$T_TMP/idmd.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$T_TMP"' EXIT
for i in $(seq 50); do
    curl -sf "$IDP/readyz" > /dev/null && break
    sleep 0.2
done

for opts in unsigned signed; do
    mkdir "$T_TMP/dump-$opts"
    IDM_SAML_DUMP="$T_TMP/dump-$opts" run /usr/bin/python3 "$SP" interop "$SPB" "$DATA" \
        "$opts" "$IDP" "$LOGIN" Secret-Pass-123
    expect_rc 0 "pysaml2 ($opts): redirect + post, tampering refused, SLO both ways"
    if [ "$RC" -ne 0 ]; then
        # the first lines are xmlsec1 refusing the tampered Responses
        printf '%s\n' "$ERR" | tail -n 20 | sed 's/^/#   err: /'
        continue
    fi
    printf '%s\n' "$OUT" | tail -1 > "$T_TMP/res-$opts.json"
    OUT=$(cat "$T_TMP/res-$opts.json")
    if [ "$opts" = signed ]; then
        expect_eq "$(json 'j["unsigned_refused_redirect"]')" "400 True" "unsigned Redirect AuthnRequest refused, saying why ($opts)"
        expect_eq "$(json 'j["unsigned_refused_post"]')" "400 True" "unsigned POST AuthnRequest refused, saying why ($opts)"
    fi
    expect_eq "$(json 'j["redirect"]["name_id_format"]')" \
        urn:oasis:names:tc:SAML:2.0:nameid-format:persistent "persistent NameID ($opts)"
    expect_eq "$(json 'j["redirect"]["ava"]["givenName"]')" "['Anna']" "givenName released ($opts)"
    expect_eq "$(json 'j["redirect"]["ava"]["eduPersonAffiliation"][0]')" faculty "affiliation released ($opts)"
    expect_eq "$(json '"eduPersonPrincipalName" in j["redirect"]["ava"]')" False "nothing beyond the policy ($opts)"
    expect_eq "$(json 'j["post"]["ava"]["givenName"]')" "['Anna']" "attributes over POST ($opts)"
    expect_eq "$(json 'j["redirect"]["session_index"]')" True "SessionIndex for SLO ($opts)"
    echo "# $opts: tampered attribute: $(json 'j["tamper_attribute"]')"
    echo "# $opts: tampered NameID: $(json 'j["tamper_nameid"]')"
    expect_eq "$(json 'j["tamper_attribute"].startswith("refused: SignatureError")')" True \
        "changed attribute: pysaml2 refuses the signature ($opts)"
    expect_eq "$(json 'j["tamper_nameid"].startswith("refused: SignatureError")')" True \
        "changed NameID: pysaml2 refuses the signature ($opts)"
    expect_eq "$(json 'j["control"]')" accepted "the untouched Response is accepted ($opts)"
    expect_eq "$(json 'j["sp_slo"]')" ok "SP-initiated SLO ($opts)"
    expect_eq "$(json 'j["idp_slo_signature"]')" "{'valid': True, 'forged': False}" \
        "IdP-initiated LogoutRequest: signature verifies, a forged one does not ($opts)"
    expect_eq "$(json 'j["idp_slo"]')" ok "IdP-initiated SLO ($opts)"
    expect_eq "$(json '"<li>lms</li>" in j["idp_slo_page"]')" True "portal lists the app as logged out ($opts)"
    run sh "$SRC/tests/integration/saml/xsd_check.sh" "$T_TMP/dump-$opts"/*.xml
    expect_rc 0 "every Response, LogoutResponse and LogoutRequest validates against the SAML schemas ($opts)"
    expect_eq "$(ls "$T_TMP/dump-$opts" | sed 's/-[^-]*$//' | sort | uniq -c | tr -s ' ' | tr '\n' ,)" \
        " 1 logout-request, 1 logout-response, 3 response," "schema check saw each kind of message ($opts)"
done

run sql "SELECT count(*) FROM audit_log WHERE action = 'saml.assertion_issue' AND details->>'sp' LIKE '$SPB/%'"
expect_eq "$OUT" 6 "three assertions per SP, each audited"
run sql "SELECT count(*) FROM saml_session"
expect_eq "$OUT" 0 "no session left"

# IdP-initiated logout answered over HTTP-POST with pysaml2's signed
# LogoutResponse (enveloped XML signature, the SP's metadata key): an
# unsigned and a changed answer are refused (audited) but end their walk
# without the app listed as logged out; the signed one lists it
mkdir "$T_TMP/dump-slo-post"
IDM_SAML_DUMP="$T_TMP/dump-slo-post" run /usr/bin/python3 "$SP" slo_post "$SPB" "$DATA" \
    "" "$IDP" "$LOGIN" Secret-Pass-123
expect_rc 0 "pysaml2: IdP-initiated logout answered over HTTP-POST"
printf '%s\n' "$OUT" | tail -1 > "$T_TMP/res-slo-post.json"
OUT=$(cat "$T_TMP/res-slo-post.json")
expect_eq "$(json 'j["unsigned"]')" "200 False" "unsigned POST LogoutResponse refused, the walk ends without the app"
expect_eq "$(json 'j["tampered"]')" "200 False" "POST LogoutResponse changed after signing refused, the walk ends without the app"
expect_eq "$(json 'j["signed"]')" "200 True" "pysaml2's signed POST LogoutResponse ends the walk, the app listed"
run sh "$SRC/tests/integration/saml/xsd_check.sh" "$T_TMP/dump-slo-post"/*.xml
expect_rc 0 "the Response and LogoutRequest of the POST logout validate against the SAML schemas"
run sql "SELECT count(*) FROM saml_session"
expect_eq "$OUT" 0 "no session left after the POST logout"
run grep -c 'level=error' "$T_TMP/idmd.log"
expect_eq "$OUT" 0 "no error in idmd's log"
kill "$PID"
wait "$PID" 2>/dev/null
# rejections are audited in aggregate, all of them at the latest when
# idmd stops
run sql "SELECT string_agg(details->>'reason', ',' ORDER BY details->>'reason') FROM audit_log WHERE action = 'saml.logout_reject' AND details->>'sp' = '$SPB/sp'"
expect_eq "$OUT" "logout responses must be signed,the response signature is invalid" \
    "both refused POST LogoutResponses audited"
finish
