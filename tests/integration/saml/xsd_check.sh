#!/bin/sh
# SPDX-License-Identifier: EUPL-1.2
# Validate SAML messages and metadata against the OASIS SAML 2.0 schemas
# that Debian's python3-pysaml2 ships, offline: xmllint --nonet with an
# XML catalog mapping the W3C schemaLocations (xmldsig, xmlenc, xml.xsd)
# to the local copies. A root element that no schema declares fails.
#   xsd_check.sh FILE...   exit 0 if every file validates, else 1
set -eu
S=${IDM_SAML_XSD_DIR:-/usr/lib/python3/dist-packages/saml2/data/schemas}
[ -r "$S/saml-schema-protocol-2.0.xsd" ] || {
    echo "xsd_check: no SAML schemas in $S (python3-pysaml2)" >&2
    exit 1
}
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
W3=http://www.w3.org
{
    echo '<?xml version="1.0"?>'
    echo '<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">'
    for m in "$W3/TR/2002/REC-xmldsig-core-20020212/xmldsig-core-schema.xsd" \
             "$W3/TR/2002/REC-xmlenc-core-20021210/xenc-schema.xsd" \
             "$W3/2001/xml.xsd"; do
        echo "  <uri name=\"$m\" uri=\"file://$S/${m##*/}\"/>"
        echo "  <system systemId=\"$m\" uri=\"file://$S/${m##*/}\"/>"
    done
    echo '</catalog>'
} > "$d/catalog.xml"
cat > "$d/all.xsd" <<EOF_XSD
<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
           targetNamespace="urn:idm:test:saml-all">
  <xs:import namespace="urn:oasis:names:tc:SAML:2.0:metadata"
             schemaLocation="file://$S/saml-schema-metadata-2.0.xsd"/>
  <xs:import namespace="urn:oasis:names:tc:SAML:2.0:protocol"
             schemaLocation="file://$S/saml-schema-protocol-2.0.xsd"/>
</xs:schema>
EOF_XSD
rc=0
for f in "$@"; do
    if ! XML_CATALOG_FILES="$d/catalog.xml" xmllint --nonet --noout \
            --schema "$d/all.xsd" "$f" 2> "$d/err"; then
        echo "xsd_check: $f does not validate:" >&2
        cat "$d/err" >&2
        rc=1
    fi
done
exit $rc
