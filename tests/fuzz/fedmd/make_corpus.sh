#!/bin/sh
# SPDX-License-Identifier: EUPL-1.2
# Seeds of the fedmd fuzz target: aggregates signed with a throw-away key
# whose certificate is kept as fed.crt (the key is not kept), and the
# hostile variants of tests/integration/federation. Run from anywhere;
# rewrites corpus/ and fed.crt.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$here/../../..
tool="/usr/bin/python3 $src/tests/integration/federation/fed_tool.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -subj /CN=fedmd-fuzz \
    -keyout "$tmp/k.pem" -out "$here/fed.crt" 2>/dev/null
for e in a b evil; do
    /usr/bin/python3 "$src/tests/integration/saml/sp_pysaml2.py" metadata \
        "https://sp.example.org/$e" "$src/tests/data/saml" > "$tmp/$e.xml"
done
sign() { # ALG OUT ENTITIES...
    alg=$1 out=$2
    shift 2
    $tool template "$tmp/t.xml" agg1 2099-01-01T00:00:00Z "$alg" "$@"
    xmlsec1 --sign --privkey-pem "$tmp/k.pem,$here/fed.crt" \
        --id-attr:ID urn:oasis:names:tc:SAML:2.0:metadata:EntitiesDescriptor \
        --output "$out" "$tmp/t.xml"
}
c=$here/corpus
rm -rf "$c" && mkdir -p "$c"
sign sha256 "$c/good.xml" "$tmp/a.xml" "$tmp/b.xml"
sign sha1 "$c/sha1.xml" "$tmp/a.xml"
$tool wrap "$c/wrap-newid.xml" "$c/good.xml" evil "$tmp/evil.xml"
$tool wrap "$c/wrap-sameid.xml" "$c/good.xml" agg1 "$tmp/evil.xml"
sed 's#https://sp.example.org/b/acs#https://sp.example.org/evil/acs#' "$c/good.xml" > "$c/tampered.xml"
$tool template "$c/unsigned.xml" agg1 2099-01-01T00:00:00Z sha256 "$tmp/a.xml"
$tool entity "$tmp/et.xml" e1 sha256 "$tmp/a.xml"
xmlsec1 --sign --privkey-pem "$tmp/k.pem,$here/fed.crt" \
    --id-attr:ID urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor \
    --output "$c/entity.xml" "$tmp/et.xml"
printf '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>' > "$c/dtd.xml"
# the replay checks the verdict: these two must verify
for f in good entity; do
    echo '<!-- fedmd:accept -->' >> "$c/$f.xml"
done
