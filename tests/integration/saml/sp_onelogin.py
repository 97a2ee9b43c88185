#!/usr/bin/python3
# SPDX-License-Identifier: EUPL-1.2
# An independent SAML SP built with OneLogin's toolkit (Debian's
# python3-onelogin-saml2, 1.12) that also plays the browser: it follows
# idmd's redirects with a cookie jar, fills in the login form (CSRF field)
# and hands what comes back to its SP endpoints (ACS, SLS) to onelogin,
# in strict mode, configured from idmd's metadata only.
#   sp_onelogin.py metadata SP_BASE KEYDIR OPTIONS
#   sp_onelogin.py flow SP_BASE KEYDIR OPTIONS IDP LOGIN PASSWORD
# OPTIONS is a comma-separated list: signed (AuthnRequestsSigned),
# transient (NameIDFormat transient, else persistent), msgsigned
# (wantMessagesSigned, and wantAssertionsSigned off: the Response's
# signature covers the Assertion), assertsigned (wantAssertionsSigned
# even with msgsigned). flow prints one JSON line of results
# and exits 1 with "FAIL: ..." on the first check that fails.
import base64
import json
import os
import re
import sys
import urllib.parse

import requests
from lxml import etree
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.authn_request import OneLogin_Saml2_Authn_Request
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.logout_request import OneLogin_Saml2_Logout_Request
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from onelogin.saml2.utils import OneLogin_Saml2_Utils

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sp_pysaml2 import fail, form  # noqa: E402  (browser helpers)


def settings(sp_base, keydir, opts, idp=None):
    """The SP as an administrator would set it up: secure defaults,
    SHA-256 (onelogin 1.12 still defaults to SHA-1, which idmd refuses),
    no RequestedAuthnContext (idmd has one way to log in)."""
    with open(os.path.join(keydir, "sp1.crt")) as f:
        cert = f.read()
    with open(os.path.join(keydir, "sp1.key")) as f:
        key = f.read()
    s = {
        "strict": True,
        "debug": False,
        "sp": {
            "entityId": sp_base + "/metadata",
            "assertionConsumerService": {"url": sp_base + "/acs",
                                         "binding": C.BINDING_HTTP_POST},
            "singleLogoutService": {"url": sp_base + "/sls",
                                    "binding": C.BINDING_HTTP_REDIRECT},
            "NameIDFormat": C.NAMEID_TRANSIENT if "transient" in opts
            else C.NAMEID_PERSISTENT,
            "x509cert": cert,
            "privateKey": key,
        },
        "security": {
            "authnRequestsSigned": "signed" in opts,
            "logoutRequestSigned": True,
            "logoutResponseSigned": True,
            "wantMessagesSigned": "msgsigned" in opts,
            "wantAssertionsSigned": "msgsigned" not in opts
            or "assertsigned" in opts,
            "wantNameId": True,
            # an encryption key in the metadata; unencrypted ones refused
            "wantAssertionsEncrypted": "encrypted" in opts,
            "requestedAuthnContext": False,
            "signatureAlgorithm": C.RSA_SHA256,
            "digestAlgorithm": C.SHA256,
        },
    }
    if idp is None:
        return OneLogin_Saml2_Settings(s, sp_validation_only=True)
    s["idp"] = idp
    return s


def page(r):
    """An HTML page's status and visible text, for failure messages."""
    body = r.text.split("</style>")[-1]
    return "%d %s" % (r.status_code,
                      " ".join(re.sub(r"<[^>]*>", " ", body).split())[:400])


def request_data(url, get=None, post=None):
    """onelogin's view of an HTTP request to one of our SP endpoints."""
    u = urllib.parse.urlsplit(url)
    return {"https": "on" if u.scheme == "https" else "off",
            "http_host": u.hostname, "server_port": str(u.port),
            "script_name": u.path, "get_data": get or {},
            "post_data": post or {}}


class Browser:
    """Follows redirects while they lead to idmd; stops at the SP."""

    def __init__(self, idp, sp_base):
        self.s = requests.Session()
        self.idp, self.sp_base = idp, sp_base

    def go(self, method, url, data=None):
        while True:
            r = self.s.request(method, url, data=data, allow_redirects=False)
            if r.status_code not in (302, 303):
                return r, None
            url = urllib.parse.urljoin(url, r.headers["Location"])
            method, data = "GET", None
            if url.startswith(self.sp_base + "/"):
                return r, url

    def sso_answer(self, r, creds):
        """The page after an AuthnRequest: log in if asked, then return
        the fields of the auto-POST form to the ACS."""
        f = form(r.text)
        if "SAMLResponse" not in f.fields:
            if creds is None:
                fail("expected an assertion without login, got " + page(r))
            if f.action != "/login" or "csrf" not in f.fields:
                fail("no login form: " + page(r))
            data = dict(f.fields)
            data["login"], data["password"] = creds
            r, _ = self.go("POST", self.idp + "/login", data)
            f = form(r.text)
        if "SAMLResponse" not in f.fields:
            fail("no SAMLResponse form: " + page(r))
        if f.action != self.sp_base + "/acs":
            fail("the form posts to %r, not to our ACS" % f.action)
        return f.fields


def login(b, cfg, binding, creds):
    """SP-initiated SSO; returns (auth, the ACS form fields, request id)."""
    acs = b.sp_base + "/acs"
    relay = "rs-" + binding
    auth = OneLogin_Saml2_Auth(request_data(b.sp_base + "/login"), cfg)
    if binding == "redirect":
        loc = auth.login(return_to=relay)
        req_id = auth.get_last_request_id()
        r, at_sp = b.go("GET", loc)
    else:
        # onelogin 1.12 builds the request; the HTTP-POST binding (and its
        # enveloped signature) is what its newer login_post() does
        st = OneLogin_Saml2_Settings(cfg)
        req = OneLogin_Saml2_Authn_Request(st)
        xml = req.get_xml()
        sec = st.get_security_data()
        if sec["authnRequestsSigned"]:
            xml = OneLogin_Saml2_Utils.add_sign(
                xml, st.get_sp_key(), st.get_sp_cert(),
                sign_algorithm=sec["signatureAlgorithm"],
                digest_algorithm=sec["digestAlgorithm"])
        if isinstance(xml, str):
            xml = xml.encode()
        req_id = req.get_id()
        r, at_sp = b.go("POST", st.get_idp_sso_url(),
                        {"SAMLRequest": base64.b64encode(xml).decode(),
                         "RelayState": relay})
    if at_sp is not None:
        fail("idmd redirected to the SP instead of answering: " + at_sp)
    fields = b.sso_answer(r, creds)
    if fields.get("RelayState") != relay:
        fail("RelayState not echoed")
    auth = OneLogin_Saml2_Auth(request_data(acs, post=fields), cfg)
    auth.process_response(request_id=req_id)
    if auth.get_errors() or not auth.is_authenticated():
        fail("onelogin refused the %s response: %s %s" % (
            binding, auth.get_errors(), auth.get_last_error_reason()))
    return auth, fields, req_id


def signed_parts(fields):
    """Which elements carry an enveloped signature of their own."""
    root = etree.fromstring(base64.b64decode(fields["SAMLResponse"]))
    ns = {"ds": C.NS_DS, "saml": C.NS_SAML}
    return {"response": bool(root.xpath("ds:Signature", namespaces=ns)),
            "assertion": bool(root.xpath("saml:Assertion/ds:Signature",
                                         namespaces=ns))}


def encryption(fields):
    """The content encryption of the EncryptedAssertion, or None."""
    root = etree.fromstring(base64.b64decode(fields["SAMLResponse"]))
    m = root.xpath("saml:EncryptedAssertion/xenc:EncryptedData/"
                   "xenc:EncryptionMethod/@Algorithm",
                   namespaces={"saml": C.NS_SAML, "xenc": C.NS_XENC})
    return m[0] if m else None


def tampered(b, cfg, fields, req_id, old, new):
    """The Response with one value changed must be refused; old None:
    one base64 character of the encrypted Assertion (the last
    CipherValue, after the wrapped key's)."""
    xml = base64.b64decode(fields["SAMLResponse"])
    if old is None:
        i = xml.rfind(b"<xenc:CipherValue>") + len(b"<xenc:CipherValue>") + 100
        old = xml[i:i + 40]
        new = (b"B" if old[:1] != b"B" else b"C") + old[1:]
    if xml.count(old) != 1:
        fail("tamper: %r occurs %d times" % (old, xml.count(old)))
    bad = dict(fields)
    bad["SAMLResponse"] = base64.b64encode(xml.replace(old, new)).decode()
    auth = OneLogin_Saml2_Auth(request_data(b.sp_base + "/acs", post=bad), cfg)
    try:
        auth.process_response(request_id=req_id)
    except Exception as e:  # a failed decryption raises
        return "%s: %s" % (type(e).__name__, e)
    if not auth.get_errors() or auth.is_authenticated():
        fail("onelogin accepted a tampered response (%r -> %r)" % (old, new))
    return auth.get_last_error_reason()


def main():
    mode, sp_base, keydir, opts = sys.argv[1:5]
    opts = set(o for o in opts.split(",") if o)
    if mode == "metadata":
        st = settings(sp_base, keydir, opts)
        md = st.get_sp_metadata()
        errors = st.validate_metadata(md)
        if errors:
            fail("onelogin metadata: %s" % errors)
        sys.stdout.write(md.decode() if isinstance(md, bytes) else md)
        return
    idp, user, password = sys.argv[5:8]
    b = Browser(idp, sp_base)
    r = b.s.get(idp + "/saml/metadata")
    if r.status_code != 200:
        fail("metadata: %d" % r.status_code)
    # only what an administrator gets from idmd: its metadata
    idp_cfg = OneLogin_Saml2_IdPMetadataParser.parse(r.text)["idp"]
    post_cfg = OneLogin_Saml2_IdPMetadataParser.parse(
        r.text, required_sso_binding=C.BINDING_HTTP_POST)["idp"]
    cfg = settings(sp_base, keydir, opts, idp_cfg)
    want_fmt = C.NAMEID_TRANSIENT if "transient" in opts else C.NAMEID_PERSISTENT
    res = {}

    # 0. onelogin's default SHA-1 signature is refused, with the reason
    if "signed" in opts:
        sha1 = dict(cfg, security=dict(cfg["security"],
                                       signatureAlgorithm=C.RSA_SHA1,
                                       digestAlgorithm=C.SHA1))
        loc = OneLogin_Saml2_Auth(request_data(sp_base + "/login"),
                                  sha1).login(return_to="rs-sha1")
        r, at_sp = b.go("GET", loc)
        if at_sp is not None or r.status_code != 400 \
                or "RSA-SHA256" not in r.text:
            fail("SHA-1 AuthnRequest not refused: " + page(r))
        res["sha1_refused"] = True

    # 1. HTTP-Redirect AuthnRequest, login with the password
    auth, fields, req_id = login(b, cfg, "redirect", (user, password))
    nid = auth.get_nameid()
    if auth.get_nameid_format() != want_fmt:
        fail("NameID format %s, asked for %s" % (auth.get_nameid_format(), want_fmt))
    if not nid or user in nid:
        fail("NameID %r is not opaque" % nid)
    res["redirect"] = {
        "name_id_format": auth.get_nameid_format(),
        "attributes": auth.get_friendlyname_attributes(),
        "attribute_names": sorted(auth.get_attributes()),
        "session_index": bool(auth.get_session_index()),
        "signed": signed_parts(fields),
        "encrypted": encryption(fields),
    }

    # 2. a tampered Response (attribute value, then NameID; or the
    # ciphertext of an encrypted Assertion) is refused
    if "encrypted" in opts:
        res["tamper_cipher"] = tampered(b, cfg, fields, req_id, None, None)
    else:
        res["tamper_attribute"] = tampered(b, cfg, fields, req_id,
                                           b">Anna<", b">Mallory<")
        res["tamper_nameid"] = tampered(b, cfg, fields, req_id,
                                        (">%s<" % nid).encode(),
                                        b">forged-id<")

    # 3. HTTP-POST AuthnRequest, the session of step 1: no password
    cfg_post = dict(cfg, idp=post_cfg)
    auth2, fields2, _ = login(b, cfg_post, "post", None)
    if "transient" not in opts and auth2.get_nameid() != nid:
        fail("persistent NameID not stable: %r, %r" % (nid, auth2.get_nameid()))
    if "transient" in opts:
        # one transient NameID per IdP session and SP
        res["transient_same_session"] = auth2.get_nameid() == nid
    res["post"] = {"name_id_format": auth2.get_nameid_format(),
                   "signed": signed_parts(fields2)}

    # 4. SP-initiated SLO: onelogin's signed LogoutRequest (Redirect) with
    # the NameID and SessionIndex of the session's first assertion (an SP
    # may keep those of any; the second one carried the same); idmd's
    # LogoutResponse checked by process_slo
    slo = OneLogin_Saml2_Auth(request_data(sp_base + "/logout"), cfg)
    loc = slo.logout(return_to="rs-slo", name_id=nid,
                     session_index=auth.get_session_index(),
                     name_id_format=auth.get_nameid_format(),
                     spnq=auth.get_nameid_spnq())
    r, at_sp = b.go("GET", loc)
    if at_sp is None or not at_sp.startswith(sp_base + "/sls?"):
        fail("SP-initiated logout: " + page(r))
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(at_sp).query))
    if "SAMLResponse" not in q or "Signature" not in q:
        fail("no signed LogoutResponse: %s" % at_sp[:300])
    sls = OneLogin_Saml2_Auth(request_data(sp_base + "/sls", get=q), cfg)
    sls.process_slo(request_id=slo.get_last_request_id(),
                    delete_session_cb=lambda: None)
    if sls.get_errors():
        fail("onelogin refused the LogoutResponse: %s %s" % (
            sls.get_errors(), sls.get_last_error_reason()))
    if q.get("RelayState") != "rs-slo":
        fail("RelayState of the LogoutResponse not echoed")
    r = b.s.get(idp + "/")
    if 'action="/login"' not in r.text:
        fail("session survived the SP-initiated logout")
    res["sp_slo"] = "ok"

    # 5. IdP-initiated SLO: log in again, press the portal's logout button;
    # idmd sends a LogoutRequest to our SLS, onelogin answers it
    auth3, _, _ = login(b, cfg, "redirect", (user, password))
    if "transient" in opts:
        # a new IdP session: a transient NameID not linkable to the last
        res["transient_new_session"] = auth3.get_nameid() != nid
    r = b.s.get(idp + "/")
    f = form(r.text)
    if f.action != "/logout" or "csrf" not in f.fields:
        fail("no logout button on the portal: " + page(r))
    r, at_sp = b.go("POST", idp + "/logout", {"csrf": f.fields["csrf"]})
    if at_sp is None or not at_sp.startswith(sp_base + "/sls?"):
        fail("IdP-initiated logout did not reach the SP: " + page(r))
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(at_sp).query))
    if "SAMLRequest" not in q or "Signature" not in q:
        fail("no signed LogoutRequest: %s" % at_sp[:300])
    sls = OneLogin_Saml2_Auth(request_data(sp_base + "/sls", get=q), cfg)
    # the application ends the local session that matches the request
    lreq = OneLogin_Saml2_Logout_Request(sls.get_settings(), q["SAMLRequest"])
    if (OneLogin_Saml2_Logout_Request.get_nameid(lreq.get_xml()) != auth3.get_nameid()
            or OneLogin_Saml2_Logout_Request.get_session_indexes(lreq.get_xml())
            != [auth3.get_session_index()]):
        fail("LogoutRequest names another NameID or SessionIndex")
    back = sls.process_slo(delete_session_cb=lambda: None)
    if sls.get_errors() or not back:
        fail("onelogin refused the LogoutRequest: %s %s" % (
            sls.get_errors(), sls.get_last_error_reason()))
    if not back.startswith(idp_cfg["singleLogoutService"]["url"]):
        fail("LogoutResponse goes to %s" % back[:200])
    r, at_sp = b.go("GET", back)
    if at_sp is not None or r.status_code != 200:
        fail("after the LogoutResponse: %d %s" % (r.status_code, at_sp))
    res["idp_slo_page"] = r.text
    r = b.s.get(idp + "/")
    if 'action="/login"' not in r.text:
        fail("session survived the IdP-initiated logout")
    res["idp_slo"] = "ok"
    print(json.dumps(res))


if __name__ == "__main__":
    main()
