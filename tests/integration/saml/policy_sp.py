#!/usr/bin/python3
# SPDX-License-Identifier: EUPL-1.2
# One step of the policy end-to-end test, as a browser with a persistent
# cookie jar and the pysaml2 SP of sp_pysaml2.py (one entityID per SP
# base URL). Prints one JSON object describing what the SP received.
#   policy_sp.py sso JAR IDP SP_BASE KEYDIR [LOGIN PASSWORD]
#                [--nameid transient] [--lang en]
#   policy_sp.py portal JAR IDP
#   policy_sp.py launch JAR IDP KEY   (follow the portal link of app KEY)
import base64
import calendar
import http.cookiejar
import json
import os
import re
import sys
import tempfile
import time

import requests
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, saml
from saml2.client import Saml2Client

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sp_pysaml2 import config, dump, form  # noqa: E402


def session(jar, lang=None):
    s = requests.Session()
    s.cookies = http.cookiejar.LWPCookieJar(jar)
    if os.path.exists(jar):
        s.cookies.load(ignore_discard=True, ignore_expires=True)
    if lang:
        s.headers["Accept-Language"] = lang
    return s


def epoch(t):
    return calendar.timegm(time.strptime(t[:19], "%Y-%m-%dT%H:%M:%S"))


def text_of(html):
    html = re.sub(r"<(style|title)>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def sso(args):
    jar, idp, sp_base, keydir = args[:4]
    rest = args[4:]
    opts = {}
    while rest and rest[-2].startswith("--"):
        opts[rest[-2]] = rest[-1]
        rest = rest[:-2]
    creds = tuple(rest[:2]) if len(rest) >= 2 else None
    s = session(jar, opts.get("--lang"))
    md = s.get(idp + "/saml/metadata")
    fd, path = tempfile.mkstemp(suffix=".xml")
    os.write(fd, md.content)
    os.close(fd)
    client = Saml2Client(config(sp_base, keydir, path))
    kw = {}
    if opts.get("--nameid"):
        kw["nameid_format"] = {
            "transient": saml.NAMEID_FORMAT_TRANSIENT,
            "email": saml.NAMEID_FORMAT_EMAILADDRESS,
        }[opts["--nameid"]]
    req_id, info = client.prepare_for_authenticate(
        entityid=idp + "/saml/metadata", relay_state="rs",
        binding=BINDING_HTTP_REDIRECT, **kw)
    r = s.get(dict(info["headers"])["Location"], allow_redirects=True)
    f = form(r.text)
    out = {"result": "error"}
    if "SAMLResponse" not in f.fields and f.action == "/login":
        if creds is None:
            out["result"] = "login_form"
        else:
            data = dict(f.fields)
            data["login"], data["password"] = creds
            r = s.post(idp + "/login", data=data, allow_redirects=True)
            f = form(r.text)
    out["http"] = r.status_code
    out["page"] = text_of(r.text)[:600]
    if "SAMLResponse" in f.fields:
        dump("response", base64.b64decode(f.fields["SAMLResponse"]))
        xml = base64.b64decode(f.fields["SAMLResponse"]).decode()
        out["status"] = re.findall(r'StatusCode Value="([^"]+)"', xml)
        out["has_assertion"] = "Assertion " in xml or "Assertion>" in xml
        out["acs"] = f.action
        try:
            resp = client.parse_authn_request_response(
                f.fields["SAMLResponse"], BINDING_HTTP_POST,
                outstanding={req_id: "/"})
        except Exception as e:  # pysaml2 raises on a non-success status
            out["result"] = "denied" if r.status_code == 403 else "saml_error"
            out["exception"] = type(e).__name__
        else:
            if resp is None:
                out["result"] = "rejected"
            else:
                a = resp.assertion
                attrs = {}
                for st in a.attribute_statement:
                    for at in st.attribute:
                        attrs[at.name] = {
                            "friendly": at.friendly_name,
                            "format": at.name_format,
                            "values": [v.text for v in at.attribute_value]}
                st = a.authn_statement[0]
                out.update({
                    "result": "assertion",
                    "attrs": attrs,
                    "names": sorted(attrs),
                    "friendly": sorted(v["friendly"] for v in attrs.values()),
                    "name_id_format": resp.name_id.format,
                    "name_id": resp.name_id.text,
                    "authn_instant": epoch(st.authn_instant),
                    "session_seconds": epoch(st.session_not_on_or_after) - int(time.time()),
                    "not_on_or_after_seconds": epoch(
                        a.subject.subject_confirmation[0].subject_confirmation_data.not_on_or_after)
                    - int(time.time()),
                })
    s.cookies.save(ignore_discard=True, ignore_expires=True)
    print(json.dumps(out, ensure_ascii=False))


def portal(args):
    jar, idp = args[:2]
    s = session(jar)
    r = s.get(idp + "/")
    apps = []
    for key, body in re.findall(r'<li data-app="([^"]+)">(.*?)</li>', r.text, re.S):
        apps.append({"key": key, "link": "/saml/init?sp=" in body,
                     "lock": "erneute Anmeldung erforderlich" in body})
    print(json.dumps({"http": r.status_code, "apps": apps,
                      "categories": re.findall(r"<h2[^>]*>(.*?)</h2>", r.text),
                      "login_form": 'action="/login"' in r.text}))


def launch(args):
    jar, idp, key = args[:3]
    s = session(jar)
    r = s.get(idp + "/")
    m = re.search(r'<li data-app="%s"><a href="([^"]+)"' % re.escape(key), r.text)
    if not m:
        print(json.dumps({"result": "no_link"}))
        return
    r = s.get(idp + m.group(1).replace("&amp;", "&"), allow_redirects=True)
    f = form(r.text)
    print(json.dumps({"http": r.status_code,
                      "result": "assertion" if "SAMLResponse" in f.fields
                      else "login_form" if f.action == "/login" else "other"}))


def main():
    mode = sys.argv[1]
    if mode == "sso":
        sso(sys.argv[2:])
    elif mode == "portal":
        portal(sys.argv[2:])
    elif mode == "launch":
        launch(sys.argv[2:])
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
