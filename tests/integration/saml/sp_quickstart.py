#!/usr/bin/python3
# SPDX-License-Identifier: EUPL-1.2
# A pysaml2 SP (the one of sp_pysaml2.py) logging a demo user into the
# quickstart's idmd: SP-initiated login over HTTP-Redirect, the login form,
# the forced password change of a first login, the signed Assertion (one
# signature per Response, as the SP's metadata asks) with the released
# attributes, then SP-initiated logout.
#   sp_quickstart.py SP_BASE KEYDIR IDP_URL LOGIN PASSWORD NEW_PASSWORD
# Prints one JSON object; exit 1 with "FAIL: ..." otherwise.
import json
import os
import sys
import tempfile
import urllib.parse

import requests
from saml2 import BINDING_HTTP_REDIRECT, BINDING_HTTP_POST, saml
from saml2.client import Saml2Client

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sp_pysaml2 import config, fail, form  # noqa: E402


def main():
    if len(sys.argv) != 7:
        print("usage: sp_quickstart.py SP_BASE KEYDIR IDP_URL LOGIN PASSWORD "
              "NEW_PASSWORD", file=sys.stderr)
        sys.exit(2)
    sp_base, keydir, idp, login, password, new_password = sys.argv[1:7]
    s = requests.Session()
    md = s.get(idp + "/saml/metadata")
    if md.status_code != 200 or "validUntil" not in md.text or "Signature" not in md.text:
        fail("metadata not served signed with validUntil")
    fd, path = tempfile.mkstemp(suffix=".xml")
    os.write(fd, md.content)
    os.close(fd)
    try:
        client = Saml2Client(config(sp_base, keydir, path))
        result = {"password_changed": False}
        req_id, info = client.prepare_for_authenticate(
            entityid=idp + "/saml/metadata", relay_state="demo",
            binding=BINDING_HTTP_REDIRECT)
        r = s.get(dict(info["headers"])["Location"])
        f = form(r.text)
        if f.action != "/login" or "csrf" not in f.fields:
            fail("no login form: %d %s" % (r.status_code, r.text[:300]))
        data = dict(f.fields)
        data["login"], data["password"] = login, password
        r = s.post(idp + "/login", data=data)
        f = form(r.text)
        if f.action == "/password":
            # first login: the IdP insists on a new password first
            data = dict(f.fields)
            data["pw1"] = data["pw2"] = new_password
            r = s.post(idp + "/password", data=data)
            f = form(r.text)
            result["password_changed"] = True
        if "SAMLResponse" not in f.fields:
            fail("no SAMLResponse form: %d %s" % (r.status_code, r.text[:500]))
        if f.fields.get("RelayState") != "demo":
            fail("RelayState not echoed")
        # want_assertions_signed: pysaml2 checks the Assertion's signature
        # against the certificate in the IdP metadata
        resp = client.parse_authn_request_response(
            f.fields["SAMLResponse"], BINDING_HTTP_POST, outstanding={req_id: "/"})
        if resp is None:
            fail("pysaml2 rejected the response")
        if resp.assertion.signature is None or resp.response.signature is not None:
            fail("not one signature, on the assertion")
        nid = resp.name_id
        if nid.format != saml.NAMEID_FORMAT_PERSISTENT or login in nid.text:
            fail("NameID is not an opaque persistent id")
        result["acs"] = f.action
        result["response_signed"] = False
        result["assertion_signed"] = True
        result["name_id"] = nid.text
        result["attributes"] = resp.get_identity()
        out = client.global_logout(nid)
        for _, (_, info) in out.items():
            r = s.get(dict(info["headers"])["Location"], allow_redirects=False)
            if r.status_code != 303:
                fail("logout: %d %s" % (r.status_code, r.text[:300]))
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.headers["Location"]).query)
            lr = client.parse_logout_request_response(q["SAMLResponse"][0],
                                                      BINDING_HTTP_REDIRECT)
            if lr is None or not lr.status_ok():
                fail("logout response not accepted")
        r = s.get(idp + "/")
        if 'action="/login"' not in r.text:
            fail("session survived the logout")
        result["logout"] = "ok"
        print(json.dumps(result, ensure_ascii=False, indent=1))
    finally:
        os.unlink(path)


if __name__ == "__main__":
    main()
