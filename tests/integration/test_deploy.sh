# SPDX-License-Identifier: EUPL-1.2
# deploy/install-deps and deploy/quickstart without touching the system
# (issue 13): stub apt-get, dpkg-query and id on PATH, a policy-rc.d in a
# temp dir (IDM_POLICY_RC_D). install-deps must exit 0 after a good
# install whether policy-rc.d was there before (it used to exit 1 under
# sh then, and quickstart stopped silently) or not, leave one that was
# there untouched, remove the one it made, and fail loudly when apt-get
# fails. quickstart must name the step that failed.
. "$(dirname "$0")/lib.sh" "$1"

STUB=$T_TMP/bin
mkdir -p "$STUB"
POLICY=$T_TMP/policy-rc.d
LOG=$T_TMP/apt.log

# dpkg-query -W -f=... PKG: installed unless PKG is in $STUB_MISSING
cat > "$STUB/dpkg-query" <<'EOF'
#!/bin/sh
for a; do p=$a; done
case " ${STUB_MISSING:-} " in
    *" $p "*) echo "dpkg-query: no packages found matching $p" >&2; exit 1 ;;
esac
printf 'install ok installed'
EOF
# apt-get: logs its arguments and, on install, what policy-rc.d held
cat > "$STUB/apt-get" <<'EOF'
#!/bin/sh
echo "apt-get $*" >> "$STUB_LOG"
case $1 in
    update)
        n=$(grep -c '^apt-get update' "$STUB_LOG")
        [ "$n" -gt "${STUB_UPDATE_FAILS:-0}" ] || exit 100 ;;
    install)
        if [ -e "$IDM_POLICY_RC_D" ]; then
            echo "policy: $(tr '\n' ' ' < "$IDM_POLICY_RC_D")" >> "$STUB_LOG"
        else
            echo "policy: none" >> "$STUB_LOG"
        fi
        exit "${STUB_INSTALL_RC:-0}" ;;
esac
exit 0
EOF
cat > "$STUB/id" <<'EOF'
#!/bin/sh
[ "$1" = -u ] && { echo "${STUB_UID:-0}"; exit 0; }
exec /usr/bin/id "$@"
EOF
chmod 755 "$STUB"/*

# deps [VAR=VALUE...]: run install-deps under sh with the stubs
deps() {
    rm -f "$LOG"
    touch "$LOG"
    run env PATH="$STUB:$PATH" IDM_POLICY_RC_D="$POLICY" STUB_LOG="$LOG" \
        "$@" sh "$SRC/deploy/install-deps"
}
apt_log() { cat "$LOG"; }

# 1. nothing missing
rm -f "$POLICY"
deps STUB_MISSING=
expect_rc 0 "all present: exit 0"
expect_out "all packages present" "all present: says so"
expect_eq "$(apt_log)" "" "all present: apt-get not run"

# 2. a package missing, not root
deps STUB_MISSING=libcsv-dev STUB_UID=1000
expect_rc 1 "not root: exit 1"
expect_err "missing packages: libcsv-dev" "not root: names the package"
expect_err "apt-get install -y libcsv-dev" "not root: prints the command"
expect_eq "$(apt_log)" "" "not root: apt-get not run"
[ ! -e "$POLICY" ]
_result $? "not root: no policy-rc.d made"

# 3. missing, root, no policy-rc.d before: made for apt, removed after
deps STUB_MISSING="libcsv-dev slapd"
expect_rc 0 "policy-rc.d absent: exit 0"
expect_out "installing: libcsv-dev slapd" "policy-rc.d absent: says what"
case $(apt_log) in
    *"apt-get install -y -q --no-install-recommends libcsv-dev slapd"*)
        _result 0 "policy-rc.d absent: installs the missing packages" ;;
    *) _result 1 "policy-rc.d absent: installs the missing packages" ;;
esac
case $(apt_log) in
    *"policy: #!/bin/sh exit 101 "*) _result 0 "policy-rc.d absent: in place during apt-get" ;;
    *) _result 1 "policy-rc.d absent: in place during apt-get" "$(apt_log)" ;;
esac
[ ! -e "$POLICY" ]
_result $? "policy-rc.d absent: removed afterwards"

# 4. missing, root, policy-rc.d there before (most container images): the
# old EXIT trap returned 1 here and sh made it the exit status
printf '#!/bin/sh\n# the image'"'"'s own\nexit 0\n' > "$POLICY"
chmod 700 "$POLICY"
before=$(cksum < "$POLICY")
deps STUB_MISSING=libcsv-dev
expect_rc 0 "policy-rc.d present: exit 0"
expect_eq "$(cksum < "$POLICY")" "$before" "policy-rc.d present: content untouched"
expect_eq "$(stat -c %a "$POLICY")" 700 "policy-rc.d present: mode untouched"
case $(apt_log) in
    *"the image's own"*) _result 0 "policy-rc.d present: apt-get saw the image's" ;;
    *) _result 1 "policy-rc.d present: apt-get saw the image's" "$(apt_log)" ;;
esac

# 5. apt-get install fails: non-zero, said, our policy-rc.d removed anyway
rm -f "$POLICY"
deps STUB_MISSING=libcsv-dev STUB_INSTALL_RC=100
expect_rc 1 "install fails: exit 1"
expect_err "apt-get install failed" "install fails: says so"
[ ! -e "$POLICY" ]
_result $? "install fails: our policy-rc.d removed"

# 6. ... and one that was there stays
printf '#!/bin/sh\nexit 0\n' > "$POLICY"
before=$(cksum < "$POLICY")
deps STUB_MISSING=libcsv-dev STUB_INSTALL_RC=100
expect_rc 1 "install fails, policy-rc.d present: exit 1"
expect_eq "$(cksum < "$POLICY")" "$before" "install fails: present policy-rc.d untouched"

# 7. apt-get update: one failure is retried, two are an error
rm -f "$POLICY"
deps STUB_MISSING=libcsv-dev STUB_UPDATE_FAILS=1
expect_rc 0 "update fails once: retried"
deps STUB_MISSING=libcsv-dev STUB_UPDATE_FAILS=2
expect_rc 1 "update fails twice: exit 1"
expect_err "apt-get update failed" "update fails twice: says so"
case $(apt_log) in
    *install*) _result 1 "update fails twice: no install" ;;
    *) _result 0 "update fails twice: no install" ;;
esac
[ ! -e "$POLICY" ]
_result $? "update fails twice: our policy-rc.d removed"

# quickstart in a copy of deploy/ whose install-deps is a stub; cmake is a
# stub on PATH. Each failing step prints a line naming it.
QS=$T_TMP/qs
mkdir -p "$QS/deploy"
cp -r "$SRC/deploy/quickstart" "$SRC/deploy/lib" "$QS/deploy/"
cat > "$QS/deploy/install-deps" <<'EOF'
#!/bin/sh
echo "E: stub apt failure" >&2
exit "${STUB_DEPS_RC:-0}"
EOF
cat > "$STUB/cmake" <<'EOF'
#!/bin/sh
exit "${STUB_CMAKE_RC:-0}"
EOF
chmod 755 "$QS/deploy/install-deps" "$STUB/cmake"
qs() { run env PATH="$STUB:$PATH" "$@" sh "$QS/deploy/quickstart" up; }

qs STUB_DEPS_RC=1
expect_rc 1 "quickstart: install-deps fails: exit 1"
expect_err "quickstart: error: installing packages failed" "quickstart: names the install step"
qs STUB_DEPS_RC=1 STUB_UID=1000
expect_rc 1 "quickstart: not root, packages missing: exit 1"
expect_err "quickstart: error: missing packages" "quickstart: not root: says so"
qs STUB_CMAKE_RC=2
expect_rc 1 "quickstart: build fails: exit 1"
expect_err "quickstart: error: build failed" "quickstart: names the build"
# a step without a message of its own: the trap names it
: > "$QS/var"
qs
expect_rc 1 "quickstart: var/ cannot be made: exit 1"
expect_err "quickstart: error: creating $QS/var failed" "quickstart: names the step"
finish
