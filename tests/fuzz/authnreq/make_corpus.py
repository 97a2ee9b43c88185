#!/usr/bin/python3
# SPDX-License-Identifier: EUPL-1.2
# Writes the seed corpus of the AuthnRequest decoder fuzz target into
# corpus/ (run from this directory). Crashers found later are added to
# corpus/ by hand as crash-<what>; this script never deletes files.
import base64
import os
import urllib.parse
import zlib

NOW = "2026-11-22T16:00:00Z"
REQ = ('<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
       'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a1b2c3" '
       'Version="2.0" IssueInstant="%s" '
       'Destination="https://idp.test.invalid/saml/sso" '
       'AssertionConsumerServiceURL="https://sp1.test.invalid/acs" '
       'ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"%s>'
       '<saml:Issuer>https://sp1.test.invalid/sp</saml:Issuer>%s'
       '<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:'
       'persistent" AllowCreate="true"/></samlp:AuthnRequest>')
SIG = ('<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
       '<ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/'
       '2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="%s"/>'
       '<ds:Reference URI="#_a1b2c3"><ds:DigestMethod Algorithm="%s"/>'
       '<ds:DigestValue>AAAA</ds:DigestValue></ds:Reference></ds:SignedInfo>'
       '<ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature>')
RSA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
RSA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"


def xml(attrs="", sig=""):
    return (REQ % (NOW, attrs, sig)).encode()


def deflate(b):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(b) + c.flush()


def redirect(b, extra=""):
    q = "SAMLRequest=" + urllib.parse.quote(base64.b64encode(deflate(b)), safe="")
    return (q + extra).encode()


def post(b):
    return base64.b64encode(b)


sig_q = ("&SigAlg=" + urllib.parse.quote(RSA256, safe="") + "&Signature=" +
         urllib.parse.quote(base64.b64encode(b"\x01" * 256), safe=""))
cases = {
    "redirect-valid": redirect(xml()),
    "redirect-relaystate": redirect(xml(), "&RelayState=%2Fkurs%3Fid%3D7"),
    "redirect-signed": redirect(xml(), "&RelayState=s" + sig_q),
    "redirect-sha1": redirect(xml(), "&SigAlg=" + urllib.parse.quote(RSA1, safe="") + "&Signature=AAAA"),
    "redirect-sig-without-alg": redirect(xml(), "&Signature=AAAA"),
    "redirect-repeated-param": redirect(xml(), "&RelayState=a&RelayState=b"),
    "redirect-xml-signature": redirect(xml(sig=SIG % (RSA256, SHA256))),
    "redirect-truncated": redirect(xml())[:120],
    "redirect-truncated-deflate": b"SAMLRequest=" + urllib.parse.quote(base64.b64encode(deflate(xml())[:60]), safe="").encode(),
    "redirect-bad-base64": b"SAMLRequest=%%%21%21not*base64",
    "redirect-bad-escape": b"SAMLRequest=%zz&RelayState=%00",
    "redirect-bomb": redirect(b"<a>" + b" " * (1024 * 1024)),
    "redirect-dtd": redirect(b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "y">]>' + xml()),
    "redirect-index": redirect(xml(' AssertionConsumerServiceIndex="1" ForceAuthn="true" IsPassive="1"')),
    "redirect-bad-index": redirect(xml(' AssertionConsumerServiceIndex="-1x"')),
    "post-valid": post(xml()),
    "post-signed": post(xml(sig=SIG % (RSA256, SHA256))),
    "post-sha1-signature": post(xml(sig=SIG % (RSA1, SHA1))),
    "post-two-signatures": post(xml(sig=(SIG % (RSA256, SHA256)) * 2)),
    "post-truncated": post(xml())[:200],
    "post-bad-base64": b"PHNhbWxwOkF1dGhu!!!",
    "post-dtd": post(b'<!DOCTYPE samlp:AuthnRequest SYSTEM "http://evil.test.invalid/x.dtd">' + xml()),
    "post-entity-expansion": post(b'<!DOCTYPE a [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>' + xml()),
    "post-huge-attribute": post(xml(' Consent="' + "x" * 90000 + '"')),
    "post-huge-id": post(xml().replace(b'ID="_a1b2c3"', b'ID="' + b"i" * 300 + b'"')),
    "post-huge-issuer": post(xml().replace(b"https://sp1.test.invalid/sp", b"h" * 2000)),
    "post-nul-byte": post(xml().replace(b"_a1b2c3", b"_a1\x00b2")),
    "post-not-saml": post(b"<html><body>hi</body></html>"),
    "post-logout-request": post(b'<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_l1" Version="2.0" IssueInstant="' + NOW.encode() + b'"><saml:Issuer>https://sp1.test.invalid/sp</saml:Issuer><saml:NameID>x</saml:NameID><samlp:SessionIndex>s</samlp:SessionIndex></samlp:LogoutRequest>'),
    "post-version-1": post(xml().replace(b'Version="2.0"', b'Version="1.1"')),
    "post-oversized": b"A" * (300 * 1024),
    "empty": b"",
}
# issue 12: hostile requests (caps of the pre-parse, repeated singletons)
POL = ('<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:'
       'persistent" AllowCreate="true"/>')
STATUS = (b'<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
          b'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1" Version="2.0" '
          b'IssueInstant="' + NOW.encode() + b'" InResponseTo="_x"><saml:Issuer>'
          b'https://sp1.test.invalid/sp</saml:Issuer><samlp:Status>'
          b'<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>'
          b'<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Requester"/>'
          b'</samlp:Status></samlp:LogoutResponse>')


def ext(inner):
    return xml(sig="<samlp:Extensions>" + inner + "</samlp:Extensions>")


def form(b, extra=""):
    return ("SAMLRequest=" + urllib.parse.quote(base64.b64encode(b), safe="") +
            extra).encode()


cases.update({
    "redirect-repeated-nameidpolicy": redirect(xml(sig=POL * 120)),
    "post-repeated-nameidpolicy": post(xml(sig=POL * 2)),
    "post-repeated-issuer": post(xml(sig="<saml:Issuer>x</saml:Issuer>")),
    "post-repeated-statuscode": post(STATUS),
    "redirect-extensions-31000": redirect(ext("<a/>" * 31000)),
    "redirect-extensions-300": redirect(ext("<a/>" * 300)),
    "redirect-deep-nesting": redirect(ext("<a>" * 15 + "</a>" * 15)),
    "post-deep-nesting-1000": post(ext("<a>" * 1000 + "</a>" * 1000)),
    "redirect-many-attributes": redirect(ext("<a" + "".join(' a%d="x"' % i for i in range(17)) + "/>")),
    "post-many-namespaces": post(ext("<a" + "".join(' xmlns:n%d="urn:x:%d"' % (i, i) for i in range(17)) + "/>")),
    "redirect-decoded-33k": redirect(ext("<!--" + "x" * (33 * 1024) + "-->")),
    "form-valid": form(xml(), "&RelayState=%2Fkurs"),
    "form-repeated-field": form(xml(), "&SAMLRequest=AAAA"),
    "form-bad-escape": b"SAMLRequest=%4&RelayState=%zz",
})
os.makedirs("corpus", exist_ok=True)
for name, data in cases.items():
    with open(os.path.join("corpus", name), "wb") as f:
        f.write(data)
