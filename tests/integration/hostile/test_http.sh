# SPDX-License-Identifier: EUPL-1.2
# The HTTP edge of idmd under hostile clients (issue 12): connection and
# body limits, the absolute request deadline, the per-address limit (and
# the higher one of [idp] shared_networks),
# X-Real-IP only from trusted proxies, __Host- cookies behind https,
# /metrics only on its own listener, and idmd's memory (VmRSS from
# /proc) under each hostile request class. One case per ctest run:
#   test_http.sh STATE CASE
# RSS bounds are generous (growth < 64 MiB on the ASan build); nothing
# here asserts a time.
. "$(dirname "$0")/../lib.sh" "$1"
CASE=${2:?usage: test_http.sh STATE CASE}
IDMD=${IDMD:?IDMD is not set}
DATA=$SRC/tests/data/saml
PY=/usr/bin/python3
DRIVER=$SRC/tests/integration/hostile/http_hostile.py
RSS_GROWTH_MAX_KB=$((64 * 1024))

free_port() {
    $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
P=$(free_port)
PM=$(free_port)
IDP=http://127.0.0.1:$P
BASE=https://127.0.0.1:$P # cookies as behind the TLS proxy
TIMEOUT=30
case $CASE in trickle_*) TIMEOUT=3 ;; esac

newdb "hostile_http_$CASE"
# notice lines carry the client address (proxy case)
sed -i 's/^level = warn$/level = notice/' "$CONF"
cat >> "$CONF" <<EOF_CONF

[idp]
base_url = $BASE
port = $P
threads = 2
key_file = $DATA/idp.key
cert_file = $DATA/idp.crt
pairwise_salt_file = $DATA/pairwise_salt
max_connections = 2048
max_connections_per_address = 16
shared_networks = 127.0.4.0/24, 2001:db8:4::/48
max_connections_per_shared_address = 64
request_timeout = $TIMEOUT
trusted_proxies = 127.0.0.2, 10.0.0.0/8
metrics_listen = 127.0.0.1:$PM
EOF_CONF
idm migrate
expect_rc 0 "migrate"
SPB=http://127.0.0.1:9
$PY "$SRC/tests/integration/saml/sp_pysaml2.py" metadata "$SPB" "$DATA" > "$T_TMP/sp.xml"
idm sp add --app lms --allow-http "$T_TMP/sp.xml"
expect_rc 0 "sp add"

# ASan keeps up to 256 MiB of freed memory in quarantine by default: that
# would be growth without a leak. A small quarantine keeps RSS honest.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4:thread_local_quarantine_size_kb=64:detect_leaks=0" \
    "$IDMD" --config "$CONF" > "$T_TMP/idmd.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$T_TMP"' EXIT
for i in $(seq 100); do
    curl -sf "$IDP/readyz" > /dev/null && break
    sleep 0.2
done
run curl -sf "$IDP/readyz"
expect_rc 0 "idmd ready"

# rss_ok JSON DESC [BOUND_KB]: growth from VmRSS "before" to the peak
# (VmHWM "after") below the bound: the peak also counts memory that was
# freed again once connections timed out
rss_ok() {
    bound=${3:-$RSS_GROWTH_MAX_KB}
    g=$(printf '%s' "$1" | $PY -c 'import json,sys; j=json.load(sys.stdin); print(j["after"]["VmHWM"] - j["before"]["VmRSS"])')
    echo "# peak RSS growth ${g} kB (bound $bound kB): $1"
    [ "$g" -lt "$bound" ]
    RC=$?
    expect_rc 0 "$2"
}
jget() { printf '%s' "$OUT" | $PY -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
drive() { run $PY "$DRIVER" "$1" "$PID" 127.0.0.1 "$P" "${@:2}"; }

case $CASE in
idle)
    # 520 idle connections from 33 addresses (16 each): all held, bounded
    drive idle 520 16
    expect_rc 0 "driver ran"
    expect_eq "$(jget 'j["held"]')" 520 "every idle connection under the limits is held"
    # a thread each: ~105 kB resident per idle connection on the ASan
    # build (54 MB measured for 520), far less in release
    rss_ok "$OUT" "RSS bounded with 520 idle connections" $((96 * 1024))
    ;;
bodies)
    # 100 announced 1 MiB bodies are refused before they are read; 100
    # bodies of 60,000 bytes (under the 64 KiB cap) left unfinished
    drive bodies 100 16 60000
    expect_rc 0 "driver ran"
    expect_eq "$(jget 'j["refused_413"]')" 100 "1 MiB bodies refused (413) before being read"
    expect_eq "$(jget 'j["unfinished_held"]')" 100 "bodies under the cap are read"
    rss_ok "$OUT" "RSS bounded with 100+100 unfinished large bodies"
    ;;
body_cap)
    { printf 'SAMLRequest='; head -c 70000 /dev/zero | tr '\0' A; } > "$T_TMP/big"
    { printf 'login='; head -c 9000 /dev/zero | tr '\0' a; } > "$T_TMP/form"
    { printf 'SAMLRequest='; head -c 40000 /dev/zero | tr '\0' A; } > "$T_TMP/fits"
    run curl -s -o /dev/null -w '%{http_code}' --data-binary "@$T_TMP/big" "$IDP/saml/sso"
    expect_eq "$OUT" 413 "a 70,000-byte POST to /saml/sso is refused"
    run curl -s -o /dev/null -w '%{http_code}' --data-binary "@$T_TMP/form" "$IDP/login"
    expect_eq "$OUT" 413 "a 9,000-byte login form is refused"
    run curl -s -o /dev/null -w '%{http_code}' --data-binary "x=1" "$IDP/healthz"
    expect_eq "$OUT" 413 "a body on a GET-only route is refused"
    run curl -s -o /dev/null -w '%{http_code}' -H 'Transfer-Encoding: chunked' --data-binary "@$T_TMP/form" "$IDP/login"
    expect_eq "$OUT" 000 "a chunked body over the cap ends the connection"
    run curl -s -o /dev/null -w '%{http_code}' --data-binary "@$T_TMP/fits" "$IDP/saml/sso"
    expect_eq "$OUT" 400 "a 40,000-byte SAML POST still reaches the IdP"
    ;;
trickle_body|trickle_head)
    drive trickle "$TIMEOUT" "${CASE#trickle_}"
    expect_rc 0 "driver ran"
    expect_eq "$(jget 'j["closed"]')" True "a trickling client is cut off at the deadline"
    run curl -s "http://127.0.0.1:$PM/metrics"
    expect_out 'idmd_http_refused_total{reason="deadline"} 1' "deadline closures counted"
    ;;
peraddr)
    drive peraddr 16 8
    expect_rc 0 "driver ran"
    expect_eq "$(jget 'j["served"]')" 16 "connections over the per-address limit are refused"
    expect_eq "$(jget 'j["other_address_served"]')" True "other addresses are still served"
    run curl -s "http://127.0.0.1:$PM/metrics"
    expect_out 'idmd_http_refused_total{reason="per_address"} 8' "refusals counted"
    # a trusted proxy carries many clients: not limited per address
    run $PY -c '
import socket, sys
ss = []
for _ in range(40):
    s = socket.socket(); s.bind(("127.0.0.2", 0)); s.connect(("127.0.0.1", int(sys.argv[1]))); ss.append(s)
ok = 0
for s in ss:
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    ok += s.recv(64).startswith(b"HTTP/1.1 200")
print(ok)' "$P"
    expect_eq "$OUT" 40 "a trusted proxy is exempt from the per-address limit"
    ;;
shared)
    # 127.0.4.0/24 is in [idp] shared_networks (a school's NAT): more
    # connections than max_connections_per_address are served ...
    drive conns 127.0.4.9 48
    expect_rc 0 "driver ran"
    expect_eq "$(jget 'j["served"]')" 48 "48 connections from a shared address are served (limit 16 elsewhere)"
    # ... up to max_connections_per_shared_address, refusals counted apart
    drive conns 127.0.4.10 72
    expect_rc 0 "driver ran"
    expect_eq "$(jget 'j["served"]')" 64 "a shared address is limited by max_connections_per_shared_address"
    run curl -s "http://127.0.0.1:$PM/metrics"
    expect_out 'idmd_http_refused_total{reason="per_shared_address"} 8' "refusals of a shared address counted"
    expect_out 'idmd_http_refused_total{reason="per_address"} 0' "no other refusal so far"
    # an address outside the list keeps the limit of a single client
    drive conns 127.0.3.9 24
    expect_rc 0 "driver ran"
    expect_eq "$(jget 'j["served"]')" 16 "an unlisted address keeps max_connections_per_address"
    run curl -s "http://127.0.0.1:$PM/metrics"
    expect_out 'idmd_http_refused_total{reason="per_address"} 8' "its refusals counted as before"
    # the keys are listed, and a bad entry is refused with its line, the
    # key and its position, and a non-zero exit
    idm config check --help-keys
    expect_out 'shared_networks' "--help-keys lists shared_networks"
    expect_out 'max_connections_per_shared_address' "--help-keys lists max_connections_per_shared_address"
    sed 's|^shared_networks = .*|shared_networks = 127.0.4.0/24, 10.0.0.0/33|' "$CONF" > "$T_TMP/bad.conf"
    line=$(grep -n '^shared_networks' "$T_TMP/bad.conf" | cut -d: -f1)
    run "$IDMCTL" --config "$T_TMP/bad.conf" config check
    expect_rc 1 "shared_networks with 10.0.0.0/33 refused"
    expect_err "bad.conf:$line: [idp] shared_networks: " "the refusal names line and key"
    expect_err "(entry 2, at character 15 of the value)" "the refusal names the entry and where it starts"
    ;;
proxy)
    # X-Real-IP from an untrusted peer is ignored ...
    run curl -s -o /dev/null -H 'X-Real-IP: 198.51.100.7' "$IDP/saml/sso"
    # ... and honoured from a trusted one ([idp] trusted_proxies)
    run curl -s -o /dev/null --interface 127.0.0.2 -H 'X-Real-IP: 203.0.113.9' "$IDP/saml/sso"
    run curl -s -o /dev/null --interface 127.0.0.2 -H 'X-Real-IP: 203.0.113.9, 1.2.3.4' "$IDP/saml/sso"
    sleep 0.5
    run cat "$T_TMP/idmd.log"
    case $OUT in *198.51.100.7*) RC=1 ;; *) RC=0 ;; esac
    expect_rc 0 "X-Real-IP from an untrusted peer is not believed"
    expect_out 'from="127.0.0.1"' "the untrusted peer's own address is used"
    expect_out 'from="203.0.113.9"' "X-Real-IP from a trusted proxy is used"
    expect_out 'from="127.0.0.2"' "a malformed X-Real-IP falls back to the proxy address"
    # the loader refuses what is not an address or CIDR
    sed 's|^trusted_proxies = .*|trusted_proxies = 127.0.0.1/33|' "$CONF" > "$T_TMP/bad.conf"
    idm_bad() { run "$IDMCTL" --config "$T_TMP/bad.conf" config check; }
    idm_bad
    expect_rc 1 "trusted_proxies = 127.0.0.1/33 refused"
    expect_err "trusted_proxies" "the refusal names the key"
    sed 's|^metrics_listen = .*|metrics_listen = localhost:9108|' "$CONF" > "$T_TMP/bad.conf"
    idm_bad
    expect_rc 1 "metrics_listen = localhost:9108 refused"
    ;;
cookie)
    run curl -s -D - -o /dev/null "$IDP/"
    expect_out 'Set-Cookie: __Host-idm_b=' "browser cookie has the __Host- prefix behind https"
    printf '%s\n' "$OUT" | grep '^Set-Cookie: __Host-idm_b=' | grep -q '; Path=/; HttpOnly; Secure; SameSite=Lax'
    RC=$?
    expect_rc 0 "__Host- cookie is Secure, Path=/, no Domain"
    case $OUT in *Domain=*) RC=1 ;; *) RC=0 ;; esac
    expect_rc 0 "no Domain attribute"
    ;;
metrics)
    run curl -s -o /dev/null -w '%{http_code}' "$IDP/metrics"
    expect_eq "$OUT" 404 "/metrics is not served on the public port"
    run curl -s "http://127.0.0.1:$PM/metrics"
    expect_out 'idmd_http_requests_total' "/metrics on [idp] metrics_listen"
    expect_out 'idmd_http_connections ' "connection gauge"
    run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PM/"
    expect_eq "$OUT" 404 "the metrics listener serves nothing else"
    ;;
saml_nameidpolicy)
    drive nameidpolicy "$BASE" 1000
    expect_rc 0 "driver ran"
    rss_ok "$OUT" "RSS bounded under 1000 Redirect requests with 120 NameIDPolicy each"
    ;;
saml_slo_badsig)
    drive slo_badsig "$BASE" "$SPB/sp" 2000
    expect_rc 0 "driver ran"
    rss_ok "$OUT" "RSS bounded under 2000 LogoutRequests with a bogus signature"
    ;;
saml_extensions)
    drive extensions "$BASE" "$SPB/sp" 3
    expect_rc 0 "driver ran"
    expect_eq "$(jget 'all(400 <= int(k) < 500 for k in j["statuses"])')" True \
        "AuthnRequests with 31,000 Extensions children are refused (4xx)"
    rss_ok "$OUT" "RSS bounded under AuthnRequests with 31,000 Extensions children"
    ;;
*)
    echo "Bail out! unknown case $CASE"
    exit 1
    ;;
esac
kill "$PID"
wait "$PID" 2>/dev/null
finish
