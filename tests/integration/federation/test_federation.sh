# SPDX-License-Identifier: EUPL-1.2
# Federation metadata (idmctl federation, sp add --from-federation/--url)
# against a local HTTPS server serving aggregates signed here with
# xmlsec1: a good refresh, bad/foreign/SHA-1 signatures, signature
# wrapping, an expired validUntil and an oversized download are refused
# with the last good copy kept; only mapped entities reach idmd.
. "$(dirname "$0")/../lib.sh" "$1"
IDMD=${IDMD:?IDMD is not set}
DATA=$SRC/tests/data/saml
TOOL="/usr/bin/python3 $SRC/tests/integration/federation/fed_tool.py"
W=$T_TMP/www
K=$T_TMP/keys
mkdir -p "$W" "$K"

newdb federation
free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
PH=$(free_port)
PI=$(free_port)
cat >> "$CONF" <<EOF_CONF

[idp]
base_url = http://127.0.0.1:$PI
port = $PI
threads = 2
key_file = $DATA/idp.key
cert_file = $DATA/idp.crt
next_cert_file = $DATA/idp-next.crt
pairwise_salt_file = $DATA/pairwise_salt
metrics_listen = off
EOF_CONF

# keys: the HTTPS server (its certificate is the test's CA), the
# federation's signing key and another one
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$K/tls.key" -out "$K/tls.crt" 2>/dev/null
for k in fed other; do
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$k" \
        -keyout "$K/$k.key" -out "$K/$k.crt" 2>/dev/null
done

# SP entities: A (mapped later), B (never mapped), C, D (added later), E
# (added later, its md: prefix declared only on the aggregate's root)
for e in a b c d e; do
    /usr/bin/python3 "$SRC/tests/integration/saml/sp_pysaml2.py" metadata \
        "http://127.0.0.1:9/$e" "$DATA" > "$T_TMP/$e.xml"
done
sed -i 's/ns0:/md:/g' "$T_TMP/e.xml"
FUTURE=$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%SZ)
PAST=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
# sign ID VALIDUNTIL ALG KEY OUT ENTITY...
sign() {
    _id=$1 _vu=$2 _alg=$3 _key=$4 _out=$5
    shift 5
    $TOOL template "$T_TMP/tmpl.xml" "$_id" "$_vu" "$_alg" "$@"
    xmlsec1 --sign --privkey-pem "$K/$_key.key,$K/$_key.crt" \
        --id-attr:ID urn:oasis:names:tc:SAML:2.0:metadata:EntitiesDescriptor \
        --output "$_out" "$T_TMP/tmpl.xml" 2> "$T_TMP/xmlsec.err" ||
        { echo "Bail out! xmlsec1 --sign failed"; cat "$T_TMP/xmlsec.err"; exit 1; }
}
sign agg1 "$FUTURE" sha256 fed "$T_TMP/good1.xml" "$T_TMP/a.xml" "$T_TMP/b.xml" "$T_TMP/c.xml"
cp "$T_TMP/good1.xml" "$W/fed.xml"

$TOOL serve "$PH" "$W" "$K/tls.crt" "$K/tls.key" &
PID_H=$!
PID_I=
trap 'kill $PID_H $PID_I 2>/dev/null; rm -rf "$T_TMP"' EXIT
for i in $(seq 50); do
    curl -sf --cacert "$K/tls.crt" "https://127.0.0.1:$PH/fed.xml" > /dev/null && break
    sleep 0.1
done
URL=https://127.0.0.1:$PH/fed.xml
CA="--ca-file $K/tls.crt"

idm migrate
expect_rc 0 "migrate"
idm org add --type ministry --code bm --name Ministerium
idm org add --type authority --code ssa --parent bm --name Schulamt
idm org add --type school --number 75123 --parent ssa --name "Gymnasium"
STDIN=Secret-Pass-123 idm user add --school 75123 --role teacher --given Anna --family Test --password-stdin
expect_rc 0 "user added"
LOGIN=$(printf '%s\n' "$OUT" | sed -n 1p)

# --- registration ---
idm federation add test-fed --url "http://127.0.0.1:$PH/fed.xml" --cert "$K/fed.crt" --no-refresh
expect_rc 1 "plain http federation URL refused"
idm federation add test-fed --url "$URL" --cert "$T_TMP/a.xml" --no-refresh
expect_rc 1 "a pinned certificate that is no PEM certificate refused"
idm federation add test-fed --url "$URL" --cert "$K/fed.crt" --no-refresh
expect_rc 0 "federation add"
idm federation refresh test-fed
expect_rc 1 "TLS verification on: self-signed server refused without --ca-file"
expect_err "could not fetch" "fetch failure named"

# --- a good refresh ---
idm federation refresh test-fed $CA
expect_rc 0 "good refresh"
expect_err "change=added entity=\"http://127.0.0.1:9/a/sp\"" "added entity logged"
expect_err "federation.refresh" "refresh summary logged"
idm federation show test-fed --json
expect_eq "$(json 'j["entities"]')" "['http://127.0.0.1:9/a/sp', 'http://127.0.0.1:9/b/sp', 'http://127.0.0.1:9/c/sp']" "entities listed"
expect_eq "$(json 'j["last_error"]')" None "no error recorded"
expect_eq "$(json 'j["valid_until"] is not None and j["next_refresh"] is not None')" True "validUntil and next refresh kept"
run sql "SELECT next_refresh > now() + interval '100 minutes' AND next_refresh <= now() + interval '2 hours' FROM saml_federation WHERE name = 'test-fed'"
expect_eq "$OUT" t "next refresh follows cacheDuration PT2H"
run sql "SELECT count(*) FROM saml_sp"
expect_eq "$OUT" 0 "a refresh registers no SP"
idm federation list
expect_out "test-fed" "federation list"

# --- mapping ---
idm sp add --app lms --allow-http --from-federation test-fed http://127.0.0.1:9/x/sp
expect_rc 1 "an entity not in the federation cannot be mapped"
idm sp add --app lms --allow-http --from-federation test-fed http://127.0.0.1:9/a/sp
expect_rc 0 "map entity A to lms"
idm sp show http://127.0.0.1:9/a/sp --metadata
expect_out "validUntil=\"$FUTURE\"" "the SP's metadata expires with the aggregate"
idm federation show test-fed --json
expect_eq "$(json 'j["mapped"]')" 1 "one SP mapped"
SNAP=$(sql "SELECT metadata FROM saml_federation")

# refusals keep the last good copy
refused() { # DESC ERRTEXT
    idm federation refresh test-fed $CA
    expect_rc 1 "$1 refused"
    expect_err "$2" "$1: reason given"
    expect_eq "$(sql "SELECT metadata FROM saml_federation")" "$SNAP" "$1: last good copy kept"
    expect_eq "$(sql "SELECT last_error IS NOT NULL FROM saml_federation")" t "$1: error recorded"
}
sed 's#http://127.0.0.1:9/c/acs#http://127.0.0.1:9/evil/acs#' "$T_TMP/good1.xml" > "$W/fed.xml"
refused "tampered aggregate" "not valid for the pinned certificate"
sign agg1 "$FUTURE" sha256 other "$W/fed.xml" "$T_TMP/a.xml" "$T_TMP/d.xml"
refused "aggregate signed by another key" "not valid for the pinned certificate"
sign agg1 "$FUTURE" sha1 fed "$W/fed.xml" "$T_TMP/a.xml" "$T_TMP/d.xml"
refused "RSA-SHA1 signature" "could not be checked"
sign agg1 "$PAST" sha256 fed "$W/fed.xml" "$T_TMP/a.xml" "$T_TMP/d.xml"
refused "expired validUntil" "expired"
$TOOL wrap "$W/fed.xml" "$T_TMP/good1.xml" evil "$T_TMP/d.xml"
refused "signature wrapping (new root ID)" "does not cover the root"
$TOOL wrap "$W/fed.xml" "$T_TMP/good1.xml" agg1 "$T_TMP/d.xml"
refused "signature wrapping (root ID reused)" "not valid for the pinned certificate"
$TOOL template "$W/fed.xml" agg1 "$FUTURE" sha256 "$T_TMP/a.xml" "$T_TMP/d.xml"
refused "unsigned aggregate" "signature"
head -c $((64 * 1024 * 1024 + 1)) /dev/zero > "$W/fed.xml"
refused "oversized download" "larger than"
idm federation show test-fed --json
expect_eq "$(json 'len(j["entities"])')" 3 "entities unchanged after refusals"
run sql "SELECT count(*) FROM audit_log WHERE action = 'federation.refresh' AND result = 'failed'"
expect_eq "$OUT" 9 "failed refreshes audited (TLS and 8 refusals)"

# a later good copy: D added, B removed, A's keys rolled over; the mapped
# SP follows, nothing is registered by the refresh
sed 's#http://127.0.0.1:9/a/slo#http://127.0.0.1:9/a/slo2#' "$T_TMP/a.xml" > "$T_TMP/a2.xml"
sign agg2 "$FUTURE" sha256 fed "$W/fed.xml" "$T_TMP/a2.xml" "$T_TMP/c.xml" "$T_TMP/d.xml" "$T_TMP/e.xml"
idm federation refresh $CA
expect_rc 0 "refresh of the sources due"
expect_eq "$(sql "SELECT last_error IS NOT NULL FROM saml_federation")" t "a failed source is retried later, not at once"
idm federation refresh --force $CA
expect_rc 0 "refresh with changes"
expect_err "change=added entity=\"http://127.0.0.1:9/d/sp\"" "added entity logged"
expect_err "change=removed entity=\"http://127.0.0.1:9/b/sp\"" "removed entity logged"
expect_err "change=changed entity=\"http://127.0.0.1:9/a/sp\"" "changed entity logged"
expect_err "federation.sp_update" "mapped SP updated"
idm sp show http://127.0.0.1:9/a/sp --metadata
expect_out "http://127.0.0.1:9/a/slo2" "mapped SP got the new metadata"
run sql "SELECT count(*) FROM saml_sp"
expect_eq "$OUT" 1 "still only the mapped SP"
idm sp add --app mail --allow-http --from-federation test-fed http://127.0.0.1:9/e/sp
expect_rc 0 "an entity using the aggregate's namespace declarations maps"
idm sp show http://127.0.0.1:9/e/sp --metadata
expect_out 'xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"' "its copy declares the namespace itself"

# --- a single SP's signed metadata from a URL ---
$TOOL entity "$T_TMP/ctmpl.xml" spc sha256 "$T_TMP/c.xml"
xmlsec1 --sign --privkey-pem "$K/other.key,$K/other.crt" \
    --id-attr:ID urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor \
    --output "$W/c.xml" "$T_TMP/ctmpl.xml" 2> "$T_TMP/xmlsec.err"
expect_eq "$?" 0 "single SP metadata signed"
idm sp add --app stundenplan --allow-http --url "https://127.0.0.1:$PH/c.xml" --cert "$K/fed.crt" $CA
expect_rc 1 "single SP metadata signed by another key refused"
run sql "SELECT count(*) FROM saml_sp"
expect_eq "$OUT" 2 "nothing registered"
idm sp add --app stundenplan --allow-http --url "https://127.0.0.1:$PH/c.xml" --cert "$K/other.crt" $CA
expect_rc 0 "sp add --url with signed metadata"
expect_eq "$OUT" "http://127.0.0.1:9/c/sp" "sp add --url prints the entityID"
idm federation list --json
expect_eq "$(json 'sorted((f["kind"], f["mapped"]) for f in j)')" "[('aggregate', 2), ('entity', 1)]" "single SP listed as a source"
idm federation refresh "http://127.0.0.1:9/c/sp" $CA
expect_rc 0 "single SP refresh"

# --- idmd: the mapped SP logs in, an unmapped entity of the federation not
"$IDMD" --config "$CONF" > "$T_TMP/idmd.log" 2>&1 &
PID_I=$!
for i in $(seq 50); do
    curl -sf "http://127.0.0.1:$PI/readyz" > /dev/null && break
    sleep 0.2
done
run $TOOL login ok "http://127.0.0.1:9/a" "$DATA" "http://127.0.0.1:$PI" "$LOGIN" Secret-Pass-123
expect_rc 0 "mapped federation entity logs in through idmd"
expect_out "ok Anna" "attributes released to the mapped SP"
run $TOOL login refused "http://127.0.0.1:9/d" "$DATA" "http://127.0.0.1:$PI" "$LOGIN" Secret-Pass-123
expect_rc 0 "unmapped federation entity cannot log in"

idm federation remove test-fed
expect_rc 0 "federation remove"
idm sp show http://127.0.0.1:9/a/sp
expect_rc 0 "its SP stays registered"
finish
