#!/bin/sh
# SPDX-License-Identifier: EUPL-1.2
# The layers (README.md, "Architecture"): each component includes only the
# public headers of the components below it, and no component includes
# another's private header (anything in <component>/src/, such as
# core_int.h or saml_int.h).
#
#   base         -> (nothing)
#   idm-core     -> base
#   sip-import   -> base, idm-core
#   web          -> base, idm-core
#   saml-bridge  -> base, idm-core, web
#   ldap-sync    -> base, idm-core
#   programs     -> all of the above (public headers only)
#
# Public headers are named by their prefix: base/, idm/, sip/, web/,
# saml/, lsync/. A component that does not exist (yet) is skipped; its
# prefix is still known. tests/ is not checked: tests are white-box and
# may include the private headers of the component they test.
#
# usage: tests/layers.sh [--self-test] [ROOT]
#   ROOT         source tree to check (default: this script's tree)
#   --self-test  first show on temporary copies of ROOT that violations
#                are caught, then check ROOT (ctest lint.layers)
set -eu

self_test=0
if [ "${1:-}" = --self-test ]; then
    self_test=1
    shift
fi
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}

COMPONENTS="base idm-core sip-import web saml-bridge ldap-sync programs"

# check ROOT: print every violation; status 1 if there is one
check() {
    (
        cd "$1"
        dirs=""
        for c in $COMPONENTS; do
            if [ -d "$c" ]; then
                dirs="$dirs $c"
            fi
        done
        if [ -z "$dirs" ]; then
            echo "layers: no component under $1" >&2
            exit 1
        fi
        # private headers, one "component basename" per line
        for c in $dirs; do
            [ -d "$c/src" ] || continue
            find "$c/src" -name '*.h' | sed "s|^\\($c\\)/.*/\\([^/]*\\)\$|\\1 \\2|"
        done > "$tmp/private"
        # every include: file, line and target
        find $dirs -name '*.c' -o -name '*.h' | sort |
            xargs grep -Hn '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]' |
            sed 's|^\([^:]*\):\([0-9]*\):[^<"]*[<"]\([^>"]*\)[>"].*|\1 \2 \3|' \
                > "$tmp/includes" || true
        if [ ! -s "$tmp/includes" ]; then
            echo "layers: no #include found under $1" >&2
            exit 1
        fi
        # own headers by directory, to tell a local "x.h" from another's
        find $dirs -name '*.h' > "$tmp/headers"
        awk -v pf="$tmp/private" -v hf="$tmp/headers" '
        BEGIN {
            comp["base"] = "base"; comp["idm"] = "idm-core";
            comp["sip"] = "sip-import"; comp["web"] = "web";
            comp["saml"] = "saml-bridge"; comp["lsync"] = "ldap-sync";
            ok["idm-core"] = " base ";
            ok["sip-import"] = " base idm-core ";
            ok["web"] = " base idm-core ";
            ok["saml-bridge"] = " base idm-core web ";
            ok["ldap-sync"] = " base idm-core ";
            ok["programs"] = " base idm-core sip-import web saml-bridge ldap-sync ";
            split("base idm-core sip-import web saml-bridge ldap-sync programs", l);
            for (i in l) known[l[i]] = 1;
            while ((getline line < pf) > 0) {
                split(line, f, " ");
                owner[f[2]] = owner[f[2]] " " f[1];
            }
            while ((getline line < hf) > 0) have[line] = 1;
            bad = 0;
        }
        function dir(p) { sub(/\/[^\/]*$/, "", p); return p; }
        # a/b/../c -> a/c
        function norm(p,    n, s, out, i, k) {
            n = split(p, s, "/"); k = 0;
            for (i = 1; i <= n; i++) {
                if (s[i] == "" || s[i] == ".") continue;
                if (s[i] == "..") { if (k > 0) k--; continue; }
                out[++k] = s[i];
            }
            p = "";
            for (i = 1; i <= k; i++) p = p (i > 1 ? "/" : "") out[i];
            return p;
        }
        function layer(file, line, inc, own, other) {
            if (other == own || index(ok[own], " " other " ") > 0) return;
            printf "%s:%s: includes \"%s\" of %s, which %s must not know\n",
                file, line, inc, other, own;
            bad = 1;
        }
        {
            file = $1; line = $2; inc = $3;
            own = file; sub(/\/.*/, "", own);
            if (inc ~ /^\.\.?\//) {
                # relative: where does it land?
                p = norm(dir(file) "/" inc);
                other = p; sub(/\/.*/, "", other);
                if (!(other in known) || other == own) next;
                if (p ~ "^" other "/src/") {
                    printf "%s:%s: includes \"%s\", a private header of %s\n",
                        file, line, inc, other;
                    bad = 1;
                } else {
                    layer(file, line, inc, own, other);
                }
                next;
            }
            if (index(inc, "/") > 0) {
                pre = inc; sub(/\/.*/, "", pre);
                if (pre in comp) layer(file, line, inc, own, comp[pre]);
                next;
            }
            # "x.h": local if the including directory or the own src/ has
            # it; otherwise another component private header?
            if ((dir(file) "/" inc) in have || (own "/src/" inc) in have)
                next;
            if (!(inc in owner)) next;
            n = split(owner[inc], o, " ");
            for (i = 1; i <= n; i++) {
                if (o[i] != own) {
                    printf "%s:%s: includes \"%s\", a private header of %s\n",
                        file, line, inc, o[i];
                    bad = 1;
                }
            }
        }
        END { exit bad }
        ' "$tmp/includes"
    )
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

if [ "$self_test" = 1 ]; then
    # A copy of the tree's components with one bad include each must
    # fail with a message naming the file; the unchanged copy must pass.
    copy=$tmp/copy
    mkdir "$copy"
    for c in $COMPONENTS; do
        if [ -d "$root/$c" ]; then
            cp -R "$root/$c" "$copy/$c"
        fi
    done
    out=$tmp/self.out
    if ! check "$copy" > "$out"; then
        echo "layers: self-test: the unchanged copy fails:" >&2
        cat "$out" >&2
        exit 1
    fi
    mkdir -p "$copy/web/include/web" "$copy/web/src"
    : > "$copy/web/include/web/http.h"
    : > "$copy/web/src/web_int.h"
    # file | include | what the message must name
    while IFS='|' read -r file inc want; do
        saved=$tmp/saved
        cp "$copy/$file" "$saved"
        printf '#include %s\n' "$inc" >> "$copy/$file"
        if check "$copy" > "$out"; then
            echo "layers: self-test: $inc in $file was not caught" >&2
            exit 1
        fi
        if ! grep -q "^$file:.*$want" "$out"; then
            echo "layers: self-test: $inc in $file: unexpected report:" >&2
            cat "$out" >&2
            exit 1
        fi
        cp "$saved" "$copy/$file"
        echo "layers: self-test: caught $inc in $file"
    done <<'EOF'
base/src/log.c|"idm/user.h"|of idm-core, which base must not know
base/include/base/err.h|<saml/idp.h>|of saml-bridge, which base must not know
idm-core/src/user.c|"sip/import.h"|of sip-import, which idm-core must not know
idm-core/src/user.c|"web/http.h"|of web, which idm-core must not know
sip-import/src/import.c|"lsync/sync.h"|of ldap-sync, which sip-import must not know
ldap-sync/src/sync.c|"saml/idp.h"|of saml-bridge, which ldap-sync must not know
web/src/web_int.h|"saml/idp.h"|of saml-bridge, which web must not know
sip-import/src/import.c|"core_int.h"|a private header of idm-core
saml-bridge/src/idp.c|"../../idm-core/src/core_int.h"|a private header of idm-core
programs/idmd/main.c|"idp_int.h"|a private header of saml-bridge
programs/idmctl/cli.c|"web_int.h"|a private header of web
EOF
fi

check "$root"
