# SPDX-License-Identifier: EUPL-1.2
# idmctl sp add: the application key must be in the catalogue (issue 13:
# a typo was accepted, and every login to that SP then denied); the
# refusal names the key and lists the known ones, and nothing is stored.
. "$(dirname "$0")/lib.sh" "$1"
MD=$SRC/tests/data/saml/sp1-metadata.xml
ENTITY=https://sp1.test.invalid/sp

newdb idmctl_sp
idm migrate
expect_rc 0 "migrate"

idm sp add --app lsm "$MD"
expect_rc 1 "unknown application refused"
expect_err 'unknown application "lsm"' "refusal names the key"
expect_err "known applications: auswertung, diagnostik," "refusal lists the known keys"
expect_err " lms," "the list holds lms"
idm sp list --json
expect_eq "$(json 'len(j)')" 0 "nothing registered"

idm sp add --app LMS "$MD"
expect_rc 1 "keys are case-sensitive"

idm sp add --app lms "$MD"
expect_rc 0 "known application accepted"
expect_eq "$OUT" "$ENTITY" "sp add prints the entityID"

idm sp add --replace --app notenbuchx "$MD"
expect_rc 1 "unknown application refused on --replace"
idm sp show "$ENTITY" --json
expect_eq "$(json 'j["app"]')" lms "the registered SP keeps its application"

# metadata problems still come first
printf '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>' > "$T_TMP/dtd.xml"
idm sp add --app nosuch "$T_TMP/dtd.xml"
expect_rc 1 "bad metadata refused"
expect_err "DTD" "the metadata problem is named first"

# a policy directory that does not load: refused, saying so
mkdir -p "$T_TMP/pol/apps"
printf '\n[policy]\ndir = %s\n' "$T_TMP/pol" >> "$CONF"
idm sp add --replace --app lms "$MD"
expect_rc 1 "no usable catalogue: refused"
expect_err "does not load" "refusal says the policy does not load"
finish
