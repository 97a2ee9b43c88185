# SPDX-License-Identifier: EUPL-1.2
# Hostile HTTP clients against a running idmd (tests/integration/hostile/
# test_http.sh): idle connections, unfinished bodies, trickled bytes,
# connections over the per-address limit (also from a shared network),
# and hostile SAML request classes
# (repeated NameIDPolicy, LogoutRequest with a bogus signature, 31k
# Extensions children). Each command prints one JSON object with what it
# saw, including idmd's VmRSS/VmHWM (kB, /proc/PID/status) before and
# after; the shell test asserts on it. Debian's python3, stdlib only.
#
# usage: http_hostile.py CASE PID HOST PORT [ARGS...]
import base64
import datetime
import http.client
import json
import os
import select
import socket
import sys
import time
import urllib.parse
import uuid
import zlib


def mem(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "Threads"):
                out[k] = int(v.split()[0])
    return out


def connect(host, port, src=None, timeout=5.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if src is not None:
        s.bind((src, 0))
    s.connect((host, port))
    return s


def closed(s, wait=0.0):
    """True if the peer closed (EOF or reset) within wait seconds."""
    r, _, _ = select.select([s], [], [], wait)
    if not r:
        return False
    try:
        return s.recv(65536) == b""
    except OSError:
        return True


def answer_status(s):
    """Status code of the answer on s, or None if the peer closed."""
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                return None
            data += chunk
    except OSError:
        return None
    return int(data.split(b" ", 2)[1])


def sources(n, per, first=10):
    """n source addresses in 127.0.0.0/8, at most per connections each."""
    return ["127.0.%d.%d" % ((first + i // per) // 250, 1 + (first + i // per) % 250)
            for i in range(n)]


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def redirect_query(xml):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    raw = c.compress(xml.encode()) + c.flush()
    return "SAMLRequest=" + urllib.parse.quote(base64.b64encode(raw).decode(), safe="")


P = 'xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ' \
    'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"'


def authn_request(base, issuer, inner):
    return ('<samlp:AuthnRequest %s ID="_%s" Version="2.0" IssueInstant="%s" '
            'Destination="%s/saml/sso"><saml:Issuer>%s</saml:Issuer>%s'
            '</samlp:AuthnRequest>' % (P, uuid.uuid4().hex, now_iso(), base,
                                       issuer, inner))


def case_idle(pid, host, port, n, per):
    before = mem(pid)
    socks = [connect(host, port, src) for src in sources(n, per)]
    time.sleep(1.0)
    held = sum(1 for s in socks if not closed(s))
    after = mem(pid)
    for s in socks:
        s.close()
    return {"opened": n, "held": held, "before": before, "after": after}


def case_bodies(pid, host, port, n, per, fits):
    """n connections announcing 1 MiB bodies (must be refused before the
    body is read), then n holding an unfinished body of `fits` bytes."""
    before = mem(pid)
    refused = 0
    big = []
    for src in sources(n, per):
        s = connect(host, port, src)
        s.sendall(b"POST /saml/sso HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/x-www-form-urlencoded\r\n"
                  b"Content-Length: 1048576\r\n\r\n")
        try:
            s.sendall(b"A" * (1048576 - 1))
        except OSError:
            refused += 1  # answered 413 and closed while we sent
            s.close()
            continue
        big.append(s)
    # an unfinished body gets no answer; a refused one a 413 or a reset
    # (the 413 may be lost with the unread body)
    time.sleep(1.0)
    if big:
        r, _, _ = select.select(big, [], [], 0)
        refused += len(r)
    held = []
    for src in sources(n, per, first=100):
        s = connect(host, port, src)
        s.sendall(b"POST /saml/sso HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/x-www-form-urlencoded\r\n"
                  b"Content-Length: %d\r\n\r\n" % (fits + 1))
        s.sendall(b"A" * fits)
        held.append(s)
    time.sleep(1.0)
    open_ = sum(1 for s in held if not closed(s))
    after = mem(pid)
    for s in big + held:
        s.close()
    return {"n": n, "refused_413": refused, "unfinished_held": open_,
            "before": before, "after": after}


def case_trickle(pid, host, port, deadline, what):
    """Trickle one byte a second for 4 x deadline + 10 s; report whether
    idmd closed the connection before the trickle ended."""
    if what == "body":
        head = (b"POST /saml/sso HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: 10000\r\n\r\n")
        drip = b"A" * 10000
    else:  # the request line and headers themselves
        head = b""
        drip = b"GET /healthz?" + b"a" * 8000 + b" HTTP/1.1\r\n"
    s = connect(host, port)
    s.sendall(head)
    sent = 0
    end = time.monotonic() + 4 * deadline + 10
    closed_early = False
    while time.monotonic() < end:
        try:
            s.send(drip[sent:sent + 1])
            sent += 1
        except OSError:
            closed_early = True
            break
        if closed(s, 1.0):
            closed_early = True
            break
    s.close()
    return {"what": what, "bytes_sent": sent, "closed": closed_early}


def case_peraddr(pid, host, port, limit, extra):
    src = "127.0.3.7"
    socks = [connect(host, port, src) for _ in range(limit + extra)]
    time.sleep(0.5)
    served = 0
    for s in socks:
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        except OSError:
            continue
        if answer_status(s) == 200:
            served += 1
    other = connect(host, port, "127.0.3.8")
    other.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    other_ok = answer_status(other) == 200
    for s in socks + [other]:
        s.close()
    return {"limit": limit, "tried": limit + extra, "served": served,
            "other_address_served": other_ok}


def case_conns(pid, host, port, src, n):
    """n connections from src, all open at once, then a request on each:
    how many were served."""
    socks = []
    for _ in range(n):
        try:
            socks.append(connect(host, port, src))
        except OSError:
            pass  # refused before connecting
    time.sleep(0.5)
    served = 0
    for s in socks:
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        except OSError:
            continue
        if answer_status(s) == 200:
            served += 1
    for s in socks:
        s.close()
    return {"src": src, "tried": n, "served": served}


def case_nameidpolicy(pid, host, port, base, n):
    """Redirect AuthnRequests from an unregistered issuer, 120 NameIDPolicy
    each (a leak of ~122 KB per request before the fix)."""
    before = mem(pid)
    c = http.client.HTTPConnection(host, port, timeout=60)
    statuses = {}
    # a long Format: each repeated element's copy was what leaked
    inner = ('<samlp:NameIDPolicy Format="urn:x:%s" AllowCreate="true"/>'
             % ("f" * 1000)) * 120
    for _ in range(n):
        q = redirect_query(authn_request(base, "https://unregistered.invalid/sp",
                                         inner))
        c.request("GET", "/saml/sso?" + q)
        r = c.getresponse()
        r.read()
        statuses[r.status] = statuses.get(r.status, 0) + 1
    c.close()
    return {"n": n, "query_bytes": len(q), "statuses": statuses,
            "before": before, "after": mem(pid)}


def case_slo_badsig(pid, host, port, base, issuer, n):
    """HTTP-POST LogoutRequests of a registered SP with a bogus ds:Signature
    and ~37 KB of padding (the form value leaked per request before)."""
    before = mem(pid)
    c = http.client.HTTPConnection(host, port, timeout=60)
    statuses = {}
    sig = ('<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
           '<ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.'
           'org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://'
           'www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#'
           '_x"><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#'
           'sha256"/><ds:DigestValue>AAAA</ds:DigestValue></ds:Reference>'
           '</ds:SignedInfo><ds:SignatureValue>AAAA</ds:SignatureValue>'
           '</ds:Signature>')
    for _ in range(n):
        rid = "_" + uuid.uuid4().hex
        xml = ('<samlp:LogoutRequest %s ID="%s" Version="2.0" IssueInstant="%s" '
               'Destination="%s/saml/slo"><saml:Issuer>%s</saml:Issuer>%s'
               '<saml:NameID>nobody</saml:NameID>%s'
               '<samlp:SessionIndex>x</samlp:SessionIndex>'
               '</samlp:LogoutRequest>' % (P, rid, now_iso(), base, issuer,
                                           sig, " " * 37000))
        body = urllib.parse.urlencode(
            {"SAMLRequest": base64.b64encode(xml.encode()).decode()})
        c.request("POST", "/saml/slo", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded"})
        r = c.getresponse()
        r.read()
        statuses[r.status] = statuses.get(r.status, 0) + 1
    c.close()
    return {"n": n, "body_bytes": len(body), "statuses": statuses,
            "before": before, "after": mem(pid)}


def case_extensions(pid, host, port, base, issuer, n):
    """Redirect AuthnRequests of a registered SP whose Extensions hold
    31,000 empty children (quadratic inside Lasso before the fix)."""
    before = mem(pid)
    statuses = {}
    # 4 bytes a child: the inflated message stays under the decoder's
    # 128 KiB inflate cap, as in the review (a 590-byte request)
    inner = ('<samlp:Extensions><e xmlns="urn:x">' + "<c/>" * 31000 +
             "</e></samlp:Extensions>")
    for _ in range(n):
        q = redirect_query(authn_request(base, issuer, inner))
        c = http.client.HTTPConnection(host, port, timeout=120)
        try:
            c.request("GET", "/saml/sso?" + q)
            r = c.getresponse()
            r.read()
            st = r.status
        except (OSError, http.client.HTTPException):
            st = 0  # closed without an answer
        c.close()
        statuses[st] = statuses.get(st, 0) + 1
    return {"n": n, "query_bytes": len(q), "statuses": statuses,
            "before": before, "after": mem(pid)}


def main():
    case, pid, host, port = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    a = sys.argv[5:]
    if case == "idle":
        out = case_idle(pid, host, port, int(a[0]), int(a[1]))
    elif case == "bodies":
        out = case_bodies(pid, host, port, int(a[0]), int(a[1]), int(a[2]))
    elif case == "trickle":
        out = case_trickle(pid, host, port, int(a[0]), a[1])
    elif case == "peraddr":
        out = case_peraddr(pid, host, port, int(a[0]), int(a[1]))
    elif case == "conns":
        out = case_conns(pid, host, port, a[0], int(a[1]))
    elif case == "nameidpolicy":
        out = case_nameidpolicy(pid, host, port, a[0], int(a[1]))
    elif case == "slo_badsig":
        out = case_slo_badsig(pid, host, port, a[0], a[1], int(a[2]))
    elif case == "extensions":
        out = case_extensions(pid, host, port, a[0], a[1], int(a[2]))
    else:
        sys.exit("unknown case " + case)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
