# SPDX-License-Identifier: EUPL-1.2
# Hostile suite, the low findings of issue 12 that idmctl reaches:
# - sp_userinfo: SP metadata whose endpoint carries a user name
#   ("http://localhost:1@evil.example/acs" passed as loopback under
#   --allow-http) is refused, ACS, SLO and SLO ResponseLocation alike
# - csv_long_cell: an import cell over 4096 bytes ending inside a UTF-8
#   character is a row error with line and column, not a cut cell read
#   past its end
. "$(dirname "$0")/../lib.sh" "$1"
MD=$SRC/tests/data/saml/sp1-metadata.xml
unset LC_ALL LC_MESSAGES
idm() { run env LANG=en_US.UTF-8 "$IDMCTL" --config "$CONF" "$@"; }

newdb hostile_small
printf '\n[import]\nlogin_url = https://login.example.test/\n' >> "$CONF"
idm migrate
expect_rc 0 "migrate"

# ---- sp_userinfo ----
ACS='Location="https://sp1.test.invalid/acs"'
SLO='Location="https://sp1.test.invalid/slo"'
# md NAME SED: a variant of sp1's metadata
md() { sed "$2" "$MD" > "$T_TMP/$1.xml"; }
md acs_userinfo "s|$ACS|Location=\"http://localhost:1@evil.example/acs\"|"
md acs_user "s|$ACS|Location=\"http://127.0.0.1@evil.example/acs\"|"
md acs_https_user "s|$ACS|Location=\"https://user:pw@sp1.test.invalid/acs\"|"
md slo_userinfo "s|$SLO|Location=\"http://localhost:1@evil.example/slo\"|"
md slo_resp_userinfo "s|$SLO|$SLO ResponseLocation=\"http://[::1]@evil.example/slo\"|"
md acs_lookalike "s|$ACS|Location=\"http://localhost.evil.example/acs\"|"
for c in acs_userinfo acs_user acs_https_user slo_userinfo slo_resp_userinfo acs_lookalike; do
    idm sp add --app lms --allow-http "$T_TMP/$c.xml"
    expect_rc 1 "sp_userinfo: $c refused"
    expect_err "without user name" "sp_userinfo: $c: the refusal says why"
done
idm sp list --json
expect_eq "$(json 'len(j)')" 0 "sp_userinfo: nothing registered"
md loopback "s|$ACS|Location=\"http://127.0.0.1:9/acs\"|"
idm sp add --app lms --allow-http "$T_TMP/loopback.xml"
expect_rc 0 "sp_userinfo: a plain loopback ACS still passes"

# ---- csv_long_cell ----
idm org add --type ministry --code bm-mv --name Ministerium
idm org add --type authority --code ssa --name Schulamt --parent bm-mv
idm org add --type school --number 75123 --name Gymnasium --parent ssa
expect_rc 0 "csv_long_cell: school created"
/usr/bin/python3 - "$T_TMP/long.csv" <<'PY'
import sys
cls = "ä" + "a" * 4093 + "€"   # byte 4096 is the first of "€"
rows = ["Schulnummer;Schülernummer;Nachname;Vorname;Klasse",
        "75123;S-1;" + "M" * 4080 + ";Anna;" + cls,
        "75123;S-2;Kurz;Ben;7a"]
open(sys.argv[1], "w", encoding="utf-8").write("\n".join(rows) + "\n")
PY
idm import sip "$T_TMP/long.csv" --school 75123 --dry-run --json
expect_rc 1 "csv_long_cell: the row error stops the run"
expect_eq "$(json "(j['errors'][0]['line'], j['counts']['new'])")" "(2, 1)" \
    "csv_long_cell: line 2 refused, the next row read"
expect_out "line 2, column 5 (Klasse): the cell is longer than 4096 bytes" \
    "csv_long_cell: the message names line and column"
finish
