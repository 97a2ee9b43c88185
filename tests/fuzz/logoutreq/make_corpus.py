#!/usr/bin/python3
# SPDX-License-Identifier: EUPL-1.2
# Writes the seed corpus of the Single Logout fuzz target into corpus/
# (run from this directory). The first byte of each file picks the
# transport (0/1: query with SAMLRequest/SAMLResponse, 2/3: form body).
# Crashers found later are added by hand as crash-<what>; this script
# never deletes files.
import base64
import os
import urllib.parse
import zlib

NOW = "2026-12-05T21:00:00Z"
NS = ('xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
      'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"')
ISS = "<saml:Issuer>https://sp1.test.invalid/sp</saml:Issuer>"
NID = ('<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:'
       'persistent">0f3a9c</saml:NameID>')
SI = "<samlp:SessionIndex>_si-1</samlp:SessionIndex>"
RSA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
SIG = ('<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
       '<ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/'
       '2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="' + RSA256 +
       '"/><ds:Reference URI="#_l1"><ds:DigestMethod Algorithm="' + SHA256 +
       '"/><ds:DigestValue>AAAA</ds:DigestValue></ds:Reference></ds:SignedInfo>'
       '<ds:SignatureValue>' + "QUFB" * 64 + '</ds:SignatureValue></ds:Signature>')


def req(body=ISS + NID + SI, attrs=""):
    return ('<samlp:LogoutRequest %s ID="_l1" Version="2.0" IssueInstant="%s" '
            'Destination="https://idp.test.invalid/saml/slo"%s>%s'
            '</samlp:LogoutRequest>' % (NS, NOW, attrs, body)).encode()


def resp(status='<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:'
         'status:Success"/>'):
    return ('<samlp:LogoutResponse %s ID="_r1" Version="2.0" IssueInstant="%s" '
            'Destination="https://idp.test.invalid/saml/slo" InResponseTo="_x">'
            '%s<samlp:Status>%s</samlp:Status></samlp:LogoutResponse>'
            % (NS, NOW, ISS, status)).encode()


def deflate(b):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(b) + c.flush()


def q(v):
    return urllib.parse.quote(v, safe="")


def redirect(b, param="SAMLRequest", extra=""):
    mode = b"\x00" if param == "SAMLRequest" else b"\x01"
    return mode + (param + "=" + q(base64.b64encode(deflate(b)))).encode() + extra.encode()


def form(b, param="SAMLRequest", extra=""):
    mode = b"\x02" if param == "SAMLRequest" else b"\x03"
    return mode + (param + "=" + q(base64.b64encode(b))).encode() + extra.encode()


sig_q = "&SigAlg=" + q(RSA256) + "&Signature=" + q(base64.b64encode(b"\x01" * 256))
cases = {
    "redirect-unsigned": redirect(req()),
    "redirect-signed": redirect(req(), extra="&RelayState=rs" + sig_q),
    "redirect-sha1": redirect(req(), extra="&SigAlg=" + q("http://www.w3.org/2000/09/xmldsig#rsa-sha1") + "&Signature=AAAA"),
    "redirect-no-session-index": redirect(req(ISS + NID), extra=sig_q),
    "redirect-two-session-index": redirect(req(ISS + NID + SI + SI), extra=sig_q),
    "redirect-encrypted-id": redirect(req(ISS + '<saml:EncryptedID><x/></saml:EncryptedID>' + SI), extra=sig_q),
    "redirect-xml-signature": redirect(req(ISS + SIG + NID + SI)),
    "redirect-repeated-signature": redirect(req(), extra=sig_q + sig_q),
    "redirect-response": redirect(resp(), "SAMLResponse", "&RelayState=" + "A" * 43 + sig_q),
    "redirect-response-nested-status": redirect(resp(
        '<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Requester">'
        '<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal"/>'
        '</samlp:StatusCode>'), "SAMLResponse"),
    "redirect-bad-deflate": b"\x00SAMLRequest=" + q(base64.b64encode(b"\xff" * 40)).encode(),
    "form-unsigned": form(req(), extra="&RelayState=rs"),
    "form-bogus-signature": form(req(ISS + SIG + NID + SI)),
    "form-two-signatures": form(req(ISS + SIG + SIG + NID + SI)),
    "form-repeated-field": form(req()) + b"&SAMLRequest=AAAA",
    "form-bad-escape": b"\x02SAMLRequest=%zz&RelayState=%",
    "form-nul-escape": b"\x02SAMLRequest=PHg%00+Lz4=",
    "form-response": form(resp(), "SAMLResponse", "&RelayState=" + "B" * 43),
    "form-authnrequest": form(b'<samlp:AuthnRequest ' + NS.encode() + b' ID="_a" Version="2.0">' + ISS.encode() + b'</samlp:AuthnRequest>'),
    "form-dtd": form(b'<!DOCTYPE x [<!ENTITY a "b">]>' + req()),
    "form-nameid-entities": form(req(ISS + '<saml:NameID>&lt;&amp;&#x0;</saml:NameID>' + SI)),
    "empty": b"",
    "mode-only": b"\x02",
}
os.makedirs("corpus", exist_ok=True)
for name, data in cases.items():
    with open(os.path.join("corpus", name), "wb") as f:
        f.write(data)
