# SPDX-License-Identifier: EUPL-1.2
# Helpers of test_federation.sh (Debian's python3, pysaml2):
#   template OUT ID VALIDUNTIL ALG ENTITY.xml...  unsigned aggregate with a
#       ds:Signature template over the root (ALG sha256 or sha1)
#   entity OUT ID ALG ENTITY.xml                  one signed-SP template
#   wrap OUT SIGNED.xml ROOTID EVIL.xml           signature wrapping attempt:
#       a new root (ID ROOTID) holding the original signature, an evil
#       entity and the original signed aggregate
#   serve PORT DIR CERT KEY                       HTTPS on 127.0.0.1
#   login ok|refused SP_BASE KEYDIR IDP LOGIN PASSWORD
import os
import re
import sys

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
ALGS = {
    "sha256": ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
               "http://www.w3.org/2001/04/xmlenc#sha256"),
    "sha1": ("http://www.w3.org/2000/09/xmldsig#rsa-sha1",
             "http://www.w3.org/2000/09/xmldsig#sha1"),
}


def body(path):
    text = open(path).read()
    return re.sub(r"^<\?xml[^>]*\?>\s*", "", text)


def signature(ref_id, alg):
    sm, dm = ALGS[alg]
    return ('<ds:Signature xmlns:ds="%s"><ds:SignedInfo>'
            '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
            '<ds:SignatureMethod Algorithm="%s"/><ds:Reference URI="#%s"><ds:Transforms>'
            '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
            '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
            '</ds:Transforms><ds:DigestMethod Algorithm="%s"/><ds:DigestValue/>'
            '</ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data>'
            '<ds:X509Certificate/></ds:X509Data></ds:KeyInfo></ds:Signature>'
            % (DS, sm, ref_id, dm))


def main():
    mode = sys.argv[1]
    if mode == "template":
        out, rid, valid, alg = sys.argv[2:6]
        ents = "".join(body(p) for p in sys.argv[6:])
        with open(out, "w") as f:
            f.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                    '<md:EntitiesDescriptor xmlns:md="%s" ID="%s" Name="test-fed" '
                    'validUntil="%s" cacheDuration="PT2H">%s%s</md:EntitiesDescriptor>\n'
                    % (MD, rid, valid, signature(rid, alg), ents))
    elif mode == "entity":
        out, rid, alg, ent = sys.argv[2:6]
        text = body(ent)
        # the ID on the root and the signature template as its first child
        m = re.match(r"(<(?:\w+:)?EntityDescriptor\b[^>]*?)(/?>)", text)
        text = (m.group(1) + ' ID="%s">' % rid + signature(rid, alg) + text[m.end():])
        with open(out, "w") as f:
            f.write('<?xml version="1.0" encoding="UTF-8"?>\n' + text)
    elif mode == "wrap":
        out, signed, rid, evil = sys.argv[2:6]
        text = body(signed)
        sig = re.search(r"<ds:Signature\b.*?</ds:Signature>", text, re.S).group(0)
        with open(out, "w") as f:
            f.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                    '<md:EntitiesDescriptor xmlns:md="%s" xmlns:ds="%s" ID="%s" '
                    'validUntil="2099-01-01T00:00:00Z">%s%s<md:EntitiesDescriptor>%s'
                    '</md:EntitiesDescriptor></md:EntitiesDescriptor>\n'
                    % (MD, DS, rid, sig, body(evil), text))
    elif mode == "serve":
        import http.server
        import ssl
        port, root, cert, key = sys.argv[2:6]
        os.chdir(root)

        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), Quiet)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        srv.serve_forever()
    elif mode == "login":
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                        "..", "saml"))
        import sp_pysaml2 as sp
        import requests
        import tempfile
        from saml2 import BINDING_HTTP_POST
        from saml2.client import Saml2Client
        expect, sp_base, keydir, idp, login, password = sys.argv[2:8]
        s = requests.Session()
        md = s.get(idp + "/saml/metadata")
        fd, path = tempfile.mkstemp(suffix=".xml")
        os.write(fd, md.content)
        os.close(fd)
        client = Saml2Client(sp.config(sp_base, keydir, path))
        if expect == "ok":
            resp = sp.login_flow(client, s, idp, "post", (login, password))
            print("ok " + resp.get_identity()["givenName"][0])
            return
        req_id, req = client.create_authn_request(idp + "/saml/sso",
                                                  binding=BINDING_HTTP_POST)
        import base64
        r = s.post(idp + "/saml/sso",
                   data={"SAMLRequest": base64.b64encode(str(req).encode()).decode()})
        f = sp.form(r.text)
        if "SAMLResponse" in f.fields or r.status_code < 400:
            sp.fail("unmapped SP was answered: %d" % r.status_code)
        print("refused %d" % r.status_code)
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
