#!/usr/bin/python3
# SPDX-License-Identifier: EUPL-1.2
# An independent SAML SP (Debian's python3-pysaml2) driving idmd like a
# browser: AuthnRequest over HTTP-Redirect or HTTP-POST, the login form
# (cookies, CSRF field), the auto-POST form, and SP-initiated logout.
# pysaml2 validates signatures, audience, InResponseTo and attributes.
#   sp_pysaml2.py metadata SP_BASE KEYDIR
#   sp_pysaml2.py flow SP_BASE KEYDIR IDP_A IDP_B LOGIN PASSWORD
import base64
import html.parser
import json
import os
import re
import sys
import tempfile
import urllib.parse
import zlib

import requests
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, saml
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import create_metadata_string
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256


def config(sp_base, keydir, idp_md=None):
    c = {
        "entityid": sp_base + "/sp",
        "key_file": os.path.join(keydir, "sp1.key"),
        "cert_file": os.path.join(keydir, "sp1.crt"),
        # published as an encryption key: idmd encrypts the Assertions
        "encryption_keypairs": [{"key_file": os.path.join(keydir, "sp1.key"),
                                 "cert_file": os.path.join(keydir, "sp1.crt")}],
        "service": {"sp": {
            "endpoints": {
                "assertion_consumer_service": [(sp_base + "/acs", BINDING_HTTP_POST)],
                "single_logout_service": [(sp_base + "/slo", BINDING_HTTP_REDIRECT)],
            },
            # WantAssertionsSigned="true" in the metadata: idmd signs the
            # Assertion, one signature per Response (saml-bridge/README.md)
            "want_response_signed": False,
            "want_assertions_signed": True,
            "authn_requests_signed": False,
            # idmd refuses unsigned LogoutRequests, and SHA-1; pysaml2
            # reads the algorithms for them from the SP section
            "logout_requests_signed": True,
            "signing_algorithm": SIG_RSA_SHA256,
            "digest_algorithm": DIGEST_SHA256,
            "allow_unsolicited": False,
            "name_id_format": [saml.NAMEID_FORMAT_PERSISTENT],
        }},
        "signing_algorithm": SIG_RSA_SHA256,
        "digest_algorithm": DIGEST_SHA256,
        "xmlsec_binary": "/usr/bin/xmlsec1",
    }
    if idp_md:
        c["metadata"] = {"local": [idp_md]}
    cfg = SPConfig()
    cfg.load(c)
    return cfg


class Form(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.action, self.fields = None, {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = a.get("action")
        if tag == "input" and a.get("name"):
            self.fields[a["name"]] = a.get("value", "")


def form(text):
    f = Form()
    f.feed(text)
    return f


def dump(kind, xml):
    """Keep a message idmd sent in $IDM_SAML_DUMP (if set) for the schema
    check (xsd_check.sh)."""
    d = os.environ.get("IDM_SAML_DUMP")
    if d:
        fd, _ = tempfile.mkstemp(prefix=kind + "-", suffix=".xml", dir=d)
        os.write(fd, xml)
        os.close(fd)


def dump_redirect(kind, value):
    dump(kind, zlib.decompress(base64.b64decode(value), -15))


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


ENCRYPTED = {}


def login_flow(client, s, idp, binding, creds, tamper=False):
    """Returns the parsed response after driving the IdP like a browser;
    with tamper, changes the encrypted Assertion and returns pysaml2's
    verdict (None if refused)."""
    dest = idp + "/saml/sso"
    if binding == "redirect":
        req_id, info = client.prepare_for_authenticate(
            entityid=idp + "/saml/metadata", relay_state="rs-" + binding,
            binding=BINDING_HTTP_REDIRECT)
        loc = dict(info["headers"])["Location"]
        r = s.get(loc, allow_redirects=True)
    else:
        req_id, req = client.create_authn_request(dest, binding=BINDING_HTTP_POST)
        r = s.post(dest, data={"SAMLRequest": base64.b64encode(str(req).encode()).decode(),
                               "RelayState": "rs-" + binding}, allow_redirects=True)
    f = form(r.text)
    if "SAMLResponse" not in f.fields:
        if creds is None:
            fail("expected an assertion without login, got %d %s" % (r.status_code, r.url))
        if f.action != "/login" or "csrf" not in f.fields:
            fail("no login form: %d %s" % (r.status_code, r.text[:300]))
        data = dict(f.fields)
        data["login"], data["password"] = creds
        r = s.post(idp + "/login", data=data, allow_redirects=True)
        f = form(r.text)
    if "SAMLResponse" not in f.fields:
        fail("no SAMLResponse form: %d %s" % (r.status_code, r.text[:500]))
    xml = base64.b64decode(f.fields["SAMLResponse"])
    dump("response", xml)
    if f.fields.get("RelayState") != "rs-" + binding:
        fail("RelayState not echoed")
    m = re.search(rb'<xenc:EncryptedData[^>]*><xenc:EncryptionMethod Algorithm="([^"]+)"', xml)
    ENCRYPTED[binding] = m.group(1).decode() if m and b"<saml:Assertion" not in xml else None
    if tamper:
        # one base64 character of the encrypted Assertion (the last
        # CipherValue, after the wrapped key's)
        i = xml.rfind(b"<xenc:CipherValue>") + len(b"<xenc:CipherValue>") + 100
        c = b"B" if xml[i:i + 1] != b"B" else b"C"
        bad = base64.b64encode(xml[:i] + c + xml[i + 1:]).decode()
        try:
            r = client.parse_authn_request_response(
                bad, BINDING_HTTP_POST, outstanding={req_id: "/"})
        except Exception:  # pysaml2 raises on a failed decryption
            return None
        # or it keeps the Response without an Assertion it could read
        if r is None or r.assertion is None or not r.get_identity():
            return None
        return r
    resp = client.parse_authn_request_response(
        f.fields["SAMLResponse"], BINDING_HTTP_POST, outstanding={req_id: "/"})
    if resp is None:
        fail("pysaml2 rejected the response")
    return resp


def main():
    mode, sp_base, keydir = sys.argv[1:4]
    if mode == "metadata":
        sys.stdout.write(create_metadata_string(None, config(sp_base, keydir), 4, None, None, None, None, None).decode())
        return
    idp_a, idp_b, login, password = sys.argv[4:8]
    s = requests.Session()
    md = s.get(idp_a + "/saml/metadata")
    if md.status_code != 200 or "validUntil" not in md.text or "Signature" not in md.text:
        fail("metadata not served signed with validUntil")
    fd, path = tempfile.mkstemp(suffix=".xml")
    os.write(fd, md.content)
    os.close(fd)
    client = Saml2Client(config(sp_base, keydir, path))
    result = {}
    resp = login_flow(client, s, idp_a, "redirect", (login, password))
    ava = resp.get_identity()
    nid = resp.name_id
    result["redirect"] = {"ava": {k: v for k, v in ava.items()},
                          "name_id_format": nid.format, "name_id": nid.text}
    if nid.format != saml.NAMEID_FORMAT_PERSISTENT or login in nid.text:
        fail("NameID is not an opaque persistent id")
    # HTTP-POST binding, existing session: no password again
    resp2 = login_flow(client, s, idp_a, "post", None)
    if resp2.name_id.text != nid.text:
        fail("pairwise id not stable")
    result["post"] = "ok"
    result["encrypted"] = ENCRYPTED
    bad = login_flow(client, s, idp_a, "post", None, tamper=True)
    if bad is not None:
        fail("pysaml2 accepted a changed encrypted Assertion: %s" % bad.get_identity())
    result["tampered"] = "refused"
    # the other idmd node shares sessions through PostgreSQL
    b = urllib.parse.urlsplit(idp_b)
    s.cookies.set("idm_s", s.cookies.get("idm_s"), domain=b.hostname)
    client_b = Saml2Client(config(sp_base, keydir, path))
    # node B publishes the same entity at its own URL only if configured so;
    # both nodes share base_url in this test, so we post to B directly
    req_id, req = client_b.create_authn_request(idp_a + "/saml/sso", binding=BINDING_HTTP_POST)
    r = s.post(idp_b + "/saml/sso", data={"SAMLRequest": base64.b64encode(str(req).encode()).decode()})
    f = form(r.text)
    if "SAMLResponse" not in f.fields:
        fail("node B did not find the session: %d %s" % (r.status_code, r.text[:300]))
    if client_b.parse_authn_request_response(f.fields["SAMLResponse"], BINDING_HTTP_POST,
                                             outstanding={req_id: "/"}) is None:
        fail("node B response rejected")
    result["node_b"] = "ok"
    # SP-initiated logout
    out = client.global_logout(nid)
    for _, (binding, info) in out.items():
        loc = dict(info["headers"])["Location"]
        r = s.get(loc, allow_redirects=False)
        if r.status_code != 303:
            fail("logout: %d %s" % (r.status_code, r.text[:300]))
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.headers["Location"]).query)
        dump_redirect("logout-response", q["SAMLResponse"][0])
        lr = client.parse_logout_request_response(q["SAMLResponse"][0], BINDING_HTTP_REDIRECT)
        if lr is None or not lr.status_ok():
            fail("logout response not accepted")
    r = s.get(idp_a + "/")
    if 'action="/login"' not in r.text:
        fail("session survived the logout")
    result["logout"] = "ok"
    print(json.dumps(result))


if __name__ == "__main__":
    main()
