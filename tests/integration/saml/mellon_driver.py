#!/usr/bin/python3
# SPDX-License-Identifier: EUPL-1.2
# A browser between idmd and Apache + mod_auth_mellon (test_interop_mellon.sh):
# logins through mellon's own AuthnRequests (HTTP-Redirect at /a,
# HTTP-POST at /b, both signed), the protected CGI page showing mellon's
# MELLON_* environment, a tampered Response (its ciphertext, if the
# Assertion is encrypted), SP- and IdP-initiated Single
# Logout. Prints one JSON object of what it saw; the shell test asserts.
# Every SAML message idmd sent is written to DUMP_DIR for the schema check.
# An EncryptedAssertion is decrypted with SP_KEY (xmlsec1) to read the
# NameID; mellon decrypts it on its own.
#   mellon_driver.py MELLON_BASE IDP_BASE LOGIN PASSWORD DUMP_DIR SP_KEY
import base64
import html.parser
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse
import xml.etree.ElementTree as ET
import zlib

import requests

NS_SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
NS_XENC = "http://www.w3.org/2001/04/xmlenc#"


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


class Run:
    def __init__(self, mellon, idp, login, password, dump, sp_key):
        self.m, self.idp, self.creds, self.dump = mellon, idp, (login, password), dump
        self.sp_key = sp_key
        self.n = 0
        self.out = {}
        self.last = None

    def remember(self, r, *args, **kwargs):
        self.last = r

    def save(self, kind, xml):
        self.n += 1
        with open(os.path.join(self.dump, "%02d-%s.xml" % (self.n, kind)), "wb") as f:
            f.write(xml)

    def dump_redirects(self, r):
        """Keep every SAML message idmd sent over HTTP-Redirect in r's chain."""
        for h in list(r.history) + [r]:
            loc = h.headers.get("Location") or ""
            if not h.url.startswith(self.idp) or "?" not in loc:
                continue
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)
            for k in ("SAMLRequest", "SAMLResponse"):
                if k in q:
                    xml = zlib.decompress(base64.b64decode(q[k][0]), -15)
                    self.save("redirect-" + k, xml)

    def env(self, text):
        return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)

    def sso(self, s, path, creds=None, name=None):
        """Open the protected page of /path, answering the IdP like a
        browser; returns (facts, last response before the ACS, form). The
        facts are out[name] from the start."""
        facts = {}
        if name is not None:
            self.out[name] = facts
        r = s.get(self.m + path + "/protected/env.cgi")
        f = form(r.text)
        if "SAMLRequest" in f.fields:  # mellon's HTTP-POST binding
            xml = base64.b64decode(f.fields["SAMLRequest"])
            facts["binding"] = "post"
            facts["signed"] = b"Signature>" in xml
            facts["nameid_policy"] = nameid_policy(xml)
            r = s.post(f.action, data=f.fields)
        else:
            for h in r.history:
                loc = h.headers.get("Location", "")
                if loc.startswith(self.idp + "/saml/sso?"):
                    q = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)
                    xml = zlib.decompress(base64.b64decode(q["SAMLRequest"][0]), -15)
                    facts["binding"] = "redirect"
                    facts["signed"] = "Signature" in q and "SigAlg" in q
                    facts["sig_alg"] = q.get("SigAlg", [""])[0]
                    facts["nameid_policy"] = nameid_policy(xml)
        f = form(r.text)
        if "SAMLResponse" not in f.fields and f.action == "/login":
            data = dict(f.fields)
            data["login"], data["password"] = creds
            r = s.post(self.idp + "/login", data=data)
            f = form(r.text)
        facts["idp_status"] = r.status_code
        if "SAMLResponse" in f.fields:
            xml = base64.b64decode(f.fields["SAMLResponse"])
            self.save("post-SAMLResponse", xml)
            facts["acs"] = f.action
            enc = ET.fromstring(xml).find("{%s}EncryptedAssertion" % NS_SAML)
            facts["assertion"] = "plain"
            if enc is not None:
                m = enc.find("{%s}EncryptedData/{%s}EncryptionMethod" % (NS_XENC, NS_XENC))
                facts["assertion"] = "encrypted " + m.get("Algorithm")
                xml = self.decrypt(xml)
            nid = ET.fromstring(xml).find(".//{%s}NameID" % NS_SAML)
            if nid is not None:
                facts["name_id"], facts["name_id_format"] = nid.text, nid.get("Format")
        return facts, r, f

    def decrypt(self, xml):
        """The Response with its EncryptedData decrypted (xmlsec1)."""
        with tempfile.NamedTemporaryFile(suffix=".xml") as t:
            t.write(xml)
            t.flush()
            return subprocess.run(
                ["xmlsec1", "--decrypt", "--privkey-pem", self.sp_key, t.name],
                check=True, capture_output=True).stdout

    def logout_request(self, r):
        """NameID and SessionIndex of the LogoutRequest an SP sent idmd."""
        for h in r.history:
            loc = h.headers.get("Location", "")
            if loc.startswith(self.idp + "/saml/slo?"):
                q = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)
                if "SAMLRequest" in q:
                    doc = ET.fromstring(zlib.decompress(base64.b64decode(q["SAMLRequest"][0]), -15))
                    n = doc.find("{%s}NameID" % NS_SAML)
                    i = doc.find("{urn:oasis:names:tc:SAML:2.0:protocol}SessionIndex")
                    return {"name_id": None if n is None else n.text,
                            "session_index": None if i is None else i.text}
        return None

    def finish(self, s, f, facts):
        r = s.post(f.action, data=f.fields)
        facts["sp_status"] = r.status_code
        facts["env"] = self.env(r.text) if r.status_code == 200 else {}
        return facts

    def main(self):
        try:
            self.steps()
        except Exception as e:  # the facts so far, and where it stopped
            self.out["error"] = "%s: %s" % (type(e).__name__, e)
            if self.last is not None:
                self.out["last"] = {"url": self.last.url, "status": self.last.status_code,
                                    "text": text_of(self.last.text)[:400]}
        print(json.dumps(self.out))

    def steps(self):
        s = requests.Session()
        s.hooks["response"].append(self.remember)
        # /a: mellon's defaults, HTTP-Redirect, signed AuthnRequest
        facts, r, f = self.sso(s, "/a", self.creds, "a")
        self.finish(s, f, facts)
        # /b: HTTP-POST binding (its IdP metadata lists no Redirect SSO);
        # the IdP session answers without login
        facts, r, f = self.sso(s, "/b", None, "b")
        self.finish(s, f, facts)
        # a Response changed on the way (another givenName): refused; the
        # unchanged one of a new request is accepted (the control). Each
        # in a browser of its own with its own login: in the first
        # browser's IdP session a new Response to /a would replace the
        # NameID its SLO below names (saml_session_sp, one row per SP)
        for name, change in (("tampered", True), ("control", False)):
            s2 = requests.Session()
            s2.hooks["response"].append(self.remember)
            facts, r, f = self.sso(s2, "/a", self.creds, name)
            if change and "SAMLResponse" in f.fields:
                xml = base64.b64decode(f.fields["SAMLResponse"])
                if b"EncryptedAssertion" in xml:
                    # one base64 character of the encrypted Assertion
                    # (the last CipherValue, after the wrapped key's)
                    i = xml.rfind(b"<xenc:CipherValue>") + len(b"<xenc:CipherValue>") + 100
                    c = b"B" if xml[i:i + 1] != b"B" else b"C"
                    changed = xml[:i] + c + xml[i + 1:]
                else:
                    changed = xml.replace(b">Anna<", b">Eve<")
                facts["changed"] = changed != xml
                f.fields["SAMLResponse"] = base64.b64encode(changed).decode()
            self.finish(s2, f, facts)
        # SP-initiated Single Logout from /a: idmd ends the session, sends
        # /b a LogoutRequest, and answers /a
        back = self.m + "/a/bye.html"
        r = s.get(self.m + "/a/mellon/logout?ReturnTo=" + urllib.parse.quote(back, safe=""))
        self.dump_redirects(r)
        self.out["sp_logout"] = {
            "final": r.url, "status": r.status_code,
            "request": self.logout_request(r),
            "idp_session": 'action="/login"' not in s.get(self.idp + "/").text,
            "a_session": self.protected_open(s, "/a"),
            "b_session": self.protected_open(s, "/b"),
        }
        # IdP-initiated Single Logout (the portal's button) after new logins
        facts, r, f = self.sso(s, "/a", self.creds)
        self.finish(s, f, facts)
        facts, r, f = self.sso(s, "/b")
        self.finish(s, f, facts)
        before = (self.protected_open(s, "/a"), self.protected_open(s, "/b"))
        p = form(s.get(self.idp + "/").text)
        r = s.post(self.idp + "/logout", data={"csrf": p.fields.get("csrf", "")})
        self.dump_redirects(r)
        self.out["idp_logout"] = {
            "before": list(before), "status": r.status_code, "final": r.url,
            "idp_session": 'action="/login"' not in s.get(self.idp + "/").text,
            "a_session": self.protected_open(s, "/a"),
            "b_session": self.protected_open(s, "/b"),
        }

    def protected_open(self, s, path):
        r = s.get(self.m + path + "/protected/env.cgi", allow_redirects=False)
        return r.status_code == 200


def text_of(page):
    page = re.sub(r"<(style|title)>.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)).strip()


def nameid_policy(doc):
    p = ET.fromstring(doc).find("{urn:oasis:names:tc:SAML:2.0:protocol}NameIDPolicy")
    return None if p is None else p.get("Format")


if __name__ == "__main__":
    Run(*sys.argv[1:7]).main()
