# SPDX-License-Identifier: EUPL-1.2
# Helpers shared by deploy/lib/pg.sh and deploy/lib/slapd.sh: errors,
# running commands as the unprivileged server account, directories, free
# ports. Sourced by them; POSIX sh + `local`.
# shellcheck shell=sh disable=SC3043

_idm_err() {
    printf '%s\n' "idm: $*" >&2
}

# Print "USER GROUP" of the account the servers run as.
_idm_run_account() {
    if [ "$(id -u)" -eq 0 ]; then
        printf '%s %s\n' "${IDM_RUN_USER:-nobody}" "${IDM_RUN_GROUP:-nogroup}"
    else
        printf '%s %s\n' "$(id -un)" "$(id -gn)"
    fi
}

# Run a command as the server account (directly when not root).
_idm_run_as() {
    if [ "$(id -u)" -eq 0 ]; then
        local _u _g
        set -- "${IDM_RUN_USER:-nobody}" "${IDM_RUN_GROUP:-nogroup}" "$@"
        _u=$1 _g=$2
        shift 2
        setpriv --reuid="$_u" --regid="$_g" --clear-groups \
            env HOME=/nonexistent USER="$_u" LOGNAME="$_u" "$@"
    else
        "$@"
    fi
}

# Create directories (mkdir -p) owned by the server account, given mode.
_idm_mkdir_owned() {
    local _mode _acct
    _mode=$1
    shift
    mkdir -p "$@" || { _idm_err "cannot create directory $*"; return 1; }
    chmod "$_mode" "$@" || return 1
    if [ "$(id -u)" -eq 0 ]; then
        _acct=$(_idm_run_account) || return 1
        # shellcheck disable=SC2086
        chown "$(printf '%s' "$_acct" | tr ' ' ':')" "$@" ||
            { _idm_err "cannot chown $* to ${_acct% *}"; return 1; }
    fi
}

# Absolute, symlink-free path of an existing directory.
_idm_abspath() {
    (cd "$1" 2>/dev/null && pwd -P) || { _idm_err "no such directory: $1"; return 1; }
}

# Fail unless the server account can write into DIR (e.g. DIR under /root
# is not reachable for nobody).
_idm_check_access() {
    if ! _idm_run_as test -w "$1" -a -x "$1"; then
        _idm_err "server account '$(_idm_run_account | cut -d' ' -f1)' cannot write to $1 (check the permissions of it and every parent directory)"
        return 1
    fi
}

# Print the last lines of a log file to stderr.
_idm_log_tail() {
    if [ -f "$1" ]; then
        printf '%s\n' "idm: ---- last lines of $1 ----" >&2
        tail -n "${2:-30}" "$1" >&2
        printf '%s\n' "idm: ----" >&2
    else
        _idm_err "(no log file $1)"
    fi
}

# Read KEY from a KEY=VALUE metadata file written by the init functions.
_idm_meta_get() {
    local _line
    [ -f "$1" ] || { _idm_err "$1 missing: directory not initialised?"; return 1; }
    _line=$(grep "^$2=" "$1" | tail -n 1) || { _idm_err "$2 missing in $1"; return 1; }
    printf '%s\n' "${_line#*=}"
}

# Print a TCP port on 127.0.0.1 that is free right now.
idm_free_port() {
    local _py _p _i
    for _py in /usr/bin/python3 python3; do
        if command -v "$_py" >/dev/null 2>&1; then
            _p=$("$_py" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()' 2>/dev/null) && [ -n "$_p" ] && { printf '%s\n' "$_p"; return 0; }
        fi
    done
    # Fallback: random port in 20000-60000 not in the listening/used set.
    _i=0
    while [ "$_i" -lt 100 ]; do
        _p=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40001 + 20000 ))
        if ! ss -Htan 2>/dev/null | awk '{print $4}' | grep -q ":$_p\$"; then
            printf '%s\n' "$_p"
            return 0
        fi
        _i=$((_i + 1))
    done
    _idm_err "idm_free_port: no free port found"
    return 1
}

