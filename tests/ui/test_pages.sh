# SPDX-License-Identifier: EUPL-1.2
# The pages users see, in real headless Chromium (tests/ui/pages.py): idmd
# on a free loopback port with the pysaml2 SP registered (so the portal
# lists an application), four accounts and one that may use no
# application (the portal's empty state), screenshots kept in
# build-debug/test-state/ui/ for a person to look at.
. "$(dirname "$0")/../integration/lib.sh" "$1"
IDMD=${IDMD:?IDMD is not set}
DATA=$SRC/tests/data/saml
AXE=$SRC/tests/ui/node_modules/axe-core/axe.min.js
[ -f "$AXE" ] || { echo "Bail out! $AXE missing: run 'npm ci --prefix tests/ui' (tests/run does)"; exit 1; }

newdb ui_pages
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >> "$CONF" <<EOF_CONF

[idp]
base_url = http://127.0.0.1:$PORT
port = $PORT
key_file = $DATA/idp.key
cert_file = $DATA/idp.crt
pairwise_salt_file = $DATA/pairwise_salt
metrics_listen = off
EOF_CONF
idm migrate
expect_rc 0 "migrate"
idm org add --type ministry --code bm --name Ministerium
idm org add --type authority --code ssa --parent bm --name Schulamt
idm org add --type school --number 75123 --parent ssa --name "Gymnasium Am See"
ACCOUNTS=
for i in 1 2 3 4; do
    STDIN=Ui-Pass-2468-$i idm user add --school 75123 --role teacher \
        --given Anna --family "Muster$i" --password-stdin
    expect_rc 0 "user $i added"
    ACCOUNTS="$ACCOUNTS $(printf '%s\n' "$OUT" | sed -n 1p):Ui-Pass-2468-$i"
done
# the fifth has no role: the policy lets it use no application
STDIN=Ui-Pass-2468-5 idm user add --given Erik --family Leer --password-stdin
expect_rc 0 "user without a role added"
ACCOUNTS="$ACCOUNTS $OUT:Ui-Pass-2468-5"
/usr/bin/python3 "$SRC/tests/integration/saml/sp_pysaml2.py" metadata \
    http://127.0.0.1:9 "$DATA" > "$T_TMP/sp.xml"
idm sp add --app lms --allow-http "$T_TMP/sp.xml"
expect_rc 0 "sp add"

"$IDMD" --config "$CONF" > "$T_TMP/idmd.log" 2>&1 &
IDMD_PID=$!
trap 'kill $IDMD_PID 2>/dev/null; wait $IDMD_PID 2>/dev/null; rm -rf "$T_TMP"' EXIT
i=0
until curl -sf "http://127.0.0.1:$PORT/readyz" > /dev/null; do
    i=$((i + 1))
    if [ "$i" -gt 150 ]; then
        cat "$T_TMP/idmd.log"
        echo "Bail out! idmd did not start"
        exit 1
    fi
    sleep 0.2
done

SHOTS=$STATE/ui
rm -rf "$SHOTS"
mkdir -p "$SHOTS"
# shellcheck disable=SC2086  # a list of LOGIN:PASSWORD words
/usr/bin/python3 "$SRC/tests/ui/pages.py" "http://127.0.0.1:$PORT" "$SHOTS" "$AXE" $ACCOUNTS
expect_eq "$?" 0 "pages in Chromium (screenshots in $SHOTS)"
kill "$IDMD_PID"
wait "$IDMD_PID"
expect_eq "$?" 0 "idmd stops cleanly (no leak under ASan)"
finish
