#!/usr/bin/python3
# SPDX-License-Identifier: EUPL-1.2
# Writes the seed corpus of the XML pre-parse fuzz target into corpus/
# (run from this directory): plain XML texts, valid and hostile. Crashers
# found later are added by hand as crash-<what>; nothing is deleted.
import os

NOW = "2026-11-22T16:00:00Z"
HEAD = ('<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a1b2c3" '
        'Version="2.0" IssueInstant="' + NOW + '" '
        'Destination="https://idp.test.invalid/saml/sso">'
        '<saml:Issuer>https://sp1.test.invalid/sp</saml:Issuer>')
TAIL = '</samlp:AuthnRequest>'
POL = ('<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:'
       'persistent" AllowCreate="true"/>')
SIG = ('<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
       '<ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/'
       '2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/'
       '2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#_a1b2c3">'
       '<ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/'
       'xmldsig#enveloped-signature"/></ds:Transforms><ds:DigestMethod '
       'Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>'
       'AAAA</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>'
       'AAAA</ds:SignatureValue><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
       'AAAA</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>')


def req(inner=""):
    return (HEAD + inner + TAIL).encode()


def ext(inner):
    return req("<samlp:Extensions>" + inner + "</samlp:Extensions>")


cases = {
    "valid": req(POL),
    "valid-signed": req(SIG + POL),
    "valid-decl": b'<?xml version="1.0" encoding="UTF-8"?>' + req(POL),
    "repeated-nameidpolicy": req(POL * 120),
    "extensions-255": ext("<a/>" * 253),
    "extensions-300": ext("<a/>" * 300),
    "depth-16": ext("<a>" * 14 + "</a>" * 14),
    "depth-17": ext("<a>" * 15 + "</a>" * 15),
    "depth-5000": b"<a>" * 5000 + b"</a>" * 5000,
    "attrs-16": ext("<a" + "".join(' a%d="x"' % i for i in range(16)) + "/>"),
    "attrs-17": ext("<a" + "".join(' a%d="x"' % i for i in range(17)) + "/>"),
    "namespaces-17": ext("<a" + "".join(' xmlns:n%d="urn:x:%d"' % (i, i) for i in range(17)) + "/>"),
    "duplicate-attr": req().replace(b'Version="2.0"', b'Version="2.0" Version="2.0"'),
    "dtd-internal": b'<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>',
    "dtd-external": b'<!DOCTYPE a SYSTEM "http://evil.test.invalid/a.dtd"><a/>',
    "entity-undeclared": b"<a>&e;</a>",
    "entity-predefined": b"<a b=\"&lt;&amp;&#x41;\">&gt;&quot;</a>",
    "pi-and-comment": b"<?pi x?><!-- c --><a><![CDATA[x]]></a>",
    "not-wellformed": b"<a><b></a>",
    "truncated": req(POL)[:150],
    "two-roots": b"<a/><b/>",
    "text-only": b"hello",
    "nul": b"<a>\x00</a>",
    "utf16-bom": b"\xff\xfe<\x00a\x00/\x00>\x00",
    "empty": b"",
}
os.makedirs("corpus", exist_ok=True)
for name, data in cases.items():
    with open(os.path.join("corpus", name), "wb") as f:
        f.write(data)
