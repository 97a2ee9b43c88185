# SPDX-License-Identifier: EUPL-1.2
# Sourceable function library: run a private, throwaway or persistent
# OpenLDAP slapd (cn=config, mdb, argon2 password hashes) in a given
# directory, listening on 127.0.0.1 and a unix socket (ldapi) only.
# Used by the test harness (tests/harness/slapd) and the operator quickstart.
#
# Layout of DIR:  slapd.d/ (cn=config)  db/ (mdb)  run/ (ldapi, pid, 0700)
#                 log/slapd.log  idm-slapd.conf (PORT last started on,
#                 BASE_DN, ADMIN_DN, ADMIN_PWFILE; read by the functions)
#
# Public functions (the names and arguments are a contract):
#   idm_slapd_init DIR PORT BASE_DN ADMIN_PWFILE
#   idm_slapd_start DIR PORT
#   idm_slapd_stop DIR
#   idm_slapd_running DIR
#   idm_slapd_ldapi_uri DIR        prints ldapi://<urlencoded DIR/run/ldapi>
#   idm_free_port
#
# When the shipped LDAP files are found (deploy/ldap: $IDM_LDAP_DIR, or
# ../ldap resp. ../../deploy/ldap next to the calling script), idm_slapd_init
# also loads the eduPerson, SCHAC-subset and project schemas, the ACLs of
# deploy/ldap/acl.ldif and the syncprov overlay (provider for read
# replicas); otherwise it keeps the placeholder ACLs below.
#
# ADMIN_PWFILE holds the password of cn=admin,BASE_DN without a trailing
# newline (write it with printf %s): ldapwhoami/ldapsearch -y use the whole
# file content.
#
# Environment:
#   IDM_SLAPD_BIN        slapd binary (default /usr/sbin/slapd)
#   IDM_SLAPD_MODULEDIR  module directory (default /usr/lib/ldap)
#   IDM_SLAPD_SCHEMADIR  schema LDIFs (default /etc/ldap/schema)
#   IDM_LDAP_DIR         deploy/ldap (schemas, ACLs); found automatically
#   IDM_SLAPD_DEBUG      slapd -d level written to log/slapd.log
#                        (default: stats)
#   IDM_RUN_USER, IDM_RUN_GROUP  unprivileged account the server runs as
#                        when the caller is root (default nobody / nogroup)
#   IDM_SLAPD_EMPTY      1: idm_slapd_init leaves the database empty (no
#                        base entries), as a syncrepl consumer needs: base
#                        entries made locally would carry a contextCSN, and
#                        the consumer would then ask its provider only for
#                        changes newer than that and miss older entries
#
# This file deliberately does not run `set -eu` (it may be sourced into an
# interactive shell); every function checks its own errors, returns non-zero
# on failure and is safe under `set -eu` in the caller.  POSIX sh + `local`
# (dash, bash, busybox ash).
# shellcheck shell=sh disable=SC3043

# Shared helpers (_idm_err, _idm_run_as, idm_free_port, ...) come from
# deploy/lib/common.sh, which the caller sources first.
if ! command -v _idm_err > /dev/null 2>&1; then
    printf '%s\n' "source deploy/lib/common.sh before this file" >&2
    return 1 2> /dev/null || exit 1
fi

# ---------------------------------------------------------------------------
# slapd
# ---------------------------------------------------------------------------

: "${IDM_SLAPD_BIN:=/usr/sbin/slapd}"
: "${IDM_SLAPD_MODULEDIR:=/usr/lib/ldap}"
: "${IDM_SLAPD_SCHEMADIR:=/etc/ldap/schema}"

# Percent-encode a string for use as the host part of an ldapi:// URL.
_idm_urlencode() {
    printf '%s' "$1" | od -An -v -tx1 | tr -s ' ' '\n' | awk '
        BEGIN {
            for (i = 0; i < 256; i++) {
                c = sprintf("%c", i)
                if (c ~ /[A-Za-z0-9._~-]/) ok[sprintf("%02x", i)] = c
            }
        }
        NF { if ($1 in ok) printf "%s", ok[$1]; else printf "%%%s", toupper($1) }'
}

# idm_slapd_ldapi_uri DIR: print the ldapi URL of the instance in DIR.
idm_slapd_ldapi_uri() {
    [ $# -eq 1 ] || { _idm_err "usage: idm_slapd_ldapi_uri DIR"; return 2; }
    local _dir
    _dir=$(_idm_abspath "$1") || return 1
    printf 'ldapi://%s\n' "$(_idm_urlencode "$_dir/run/ldapi")"
}

# _idm_slapd_pid DIR: print the pid of a live slapd from DIR/run/slapd.pid.
_idm_slapd_pid() {
    local _pid _state
    [ -f "$1/run/slapd.pid" ] || return 1
    _pid=$(tr -dc '0-9' <"$1/run/slapd.pid" 2>/dev/null) || return 1
    [ -n "$_pid" ] || return 1
    [ -r "/proc/$_pid/comm" ] || return 1
    [ "$(cat "/proc/$_pid/comm" 2>/dev/null)" = slapd ] || return 1
    # A zombie (exited, not yet reaped by its parent) does not count.
    _state=$(sed 's/^.*) //' "/proc/$_pid/stat" 2>/dev/null | cut -c1)
    [ "$_state" != Z ] || return 1
    printf '%s\n' "$_pid"
}

# idm_slapd_running DIR: exit 0 if the slapd of DIR is running.
idm_slapd_running() {
    [ $# -eq 1 ] || { _idm_err "usage: idm_slapd_running DIR"; return 2; }
    _idm_slapd_pid "$1" >/dev/null
}

# _idm_ldap_dir: print the directory with the shipped schema and ACL LDIFs.
_idm_ldap_dir() {
    local _d _here
    _here=$(dirname "$0")
    for _d in "${IDM_LDAP_DIR:-}" "$_here/../ldap" "$_here/../../deploy/ldap"; do
        if [ -n "$_d" ] && [ -r "$_d/eduperson.ldif" ] && [ -r "$_d/acl.ldif" ]; then
            (cd "$_d" && pwd -P)
            return 0
        fi
    done
    return 1
}

# _idm_ldap_acls DIR BASE: the olcAccess and olcLimits lines of
# DIR/acl.ldif for BASE (its ldapmodify separators dropped).
_idm_ldap_acls() {
    sed -n '/^olcAccess:/,$p' "$1/acl.ldif" |
        grep -v -e '^#' -e '^-$' -e '^replace:' |
        sed "s|@BASE@|$2|g"
}

# idm_slapd_init DIR PORT BASE_DN ADMIN_PWFILE
#   Builds DIR/slapd.d (cn=config) with slapadd -n0 and loads the base
#   entry plus ou=people, ou=groups, ou=orgs with slapadd -n1.
idm_slapd_init() {
    if [ $# -ne 4 ]; then
        _idm_err "usage: idm_slapd_init DIR PORT BASE_DN ADMIN_PWFILE"
        return 2
    fi
    local _dir _port _base _pwfile _rootdn _hash _acct _uid _rdn _rdnattr \
        _rdnval _ldif _f _rc _ldapdir
    _port=$2 _base=$3 _pwfile=$4
    case $_port in ''|*[!0-9]*) _idm_err "idm_slapd_init: invalid port '$_port'"; return 2 ;; esac
    case $_base in
        *=*) ;;
        *) _idm_err "idm_slapd_init: invalid BASE_DN '$_base'"; return 2 ;;
    esac
    _rootdn="cn=admin,$_base"
    _rdn=${_base%%,*}
    _rdnattr=$(printf '%s' "${_rdn%%=*}" | tr '[:upper:]' '[:lower:]')
    _rdnval=${_rdn#*=}
    case $_rdnattr in
        dc|o) ;;
        *) _idm_err "idm_slapd_init: BASE_DN must start with dc= or o= (got '$_rdn')"; return 2 ;;
    esac

    if [ ! -r "$_pwfile" ] || [ ! -s "$_pwfile" ]; then
        _idm_err "idm_slapd_init: admin password file $_pwfile missing, unreadable or empty"
        return 1
    fi
    if [ "$(tail -c 1 "$_pwfile" | od -An -tx1 | tr -d ' ')" = 0a ]; then
        _idm_err "idm_slapd_init: $_pwfile ends with a newline; ldap tools would send it as part of the password (write it with printf %s)"
        return 1
    fi
    _pwfile=$(_idm_abspath "$(dirname "$_pwfile")")/$(basename "$_pwfile") || return 1

    [ -x "$IDM_SLAPD_BIN" ] || { _idm_err "slapd not found at $IDM_SLAPD_BIN (install slapd)"; return 1; }
    for _f in slapadd slappasswd ldapwhoami; do
        command -v "$_f" >/dev/null 2>&1 ||
            [ -x "/usr/sbin/$_f" ] ||
            { _idm_err "$_f not found (install slapd and ldap-utils)"; return 1; }
    done
    for _f in back_mdb argon2; do
        [ -e "$IDM_SLAPD_MODULEDIR/$_f.so" ] ||
            { _idm_err "slapd module $IDM_SLAPD_MODULEDIR/$_f.so missing (Debian's slapd package ships it)"; return 1; }
    done
    for _f in core cosine nis inetorgperson; do
        [ -r "$IDM_SLAPD_SCHEMADIR/$_f.ldif" ] ||
            { _idm_err "schema $IDM_SLAPD_SCHEMADIR/$_f.ldif missing"; return 1; }
    done

    mkdir -p "$1" || { _idm_err "cannot create $1"; return 1; }
    _dir=$(_idm_abspath "$1") || return 1
    if [ -d "$_dir/slapd.d" ] && [ -n "$(ls -A "$_dir/slapd.d")" ]; then
        _idm_err "idm_slapd_init: $_dir/slapd.d already exists (remove $_dir/slapd.d and $_dir/db to start over)"
        return 1
    fi
    if [ "${#_dir}" -gt 90 ]; then
        _idm_err "idm_slapd_init: path $_dir too long for a unix socket (ldapi) below it"
        return 1
    fi
    _acct=$(_idm_run_account) || return 1
    _uid=$(id -u "${_acct% *}") || { _idm_err "unknown user ${_acct% *}"; return 1; }
    if [ "$(id -u)" -eq 0 ]; then
        chown "$(printf '%s' "$_acct" | tr ' ' ':')" "$_dir" || return 1
    fi
    _idm_mkdir_owned 0700 "$_dir/slapd.d" "$_dir/db" "$_dir/run" || return 1
    _idm_mkdir_owned 0750 "$_dir/log" || return 1
    _idm_check_access "$_dir" || return 1

    _hash=$(slappasswd -h '{SSHA}' -T "$_pwfile" 2>/dev/null) || _hash=
    case $_hash in
        '{SSHA}'*) ;;
        *) _idm_err "slappasswd failed to hash $_pwfile"; return 1 ;;
    esac

    _ldapdir=$(_idm_ldap_dir) || _ldapdir=
    if [ -n "$_ldapdir" ] && [ ! -e "$IDM_SLAPD_MODULEDIR/syncprov.so" ]; then
        _idm_err "slapd module $IDM_SLAPD_MODULEDIR/syncprov.so missing"
        return 1
    fi

    _ldif=$(umask 077 && mktemp "${TMPDIR:-/tmp}/idm-slapd-init.XXXXXX") ||
        { _idm_err "mktemp failed"; return 1; }
    {
        cat <<LDIF
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $_dir/run/slapd.pid
olcArgsFile: $_dir/run/slapd.args
olcLogLevel: none
olcToolThreads: 1

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: $IDM_SLAPD_MODULEDIR
olcModuleLoad: {0}back_mdb
olcModuleLoad: {1}argon2
LDIF
        [ -z "$_ldapdir" ] || printf 'olcModuleLoad: {2}syncprov\n'
        cat <<LDIF

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file://$IDM_SLAPD_SCHEMADIR/core.ldif

include: file://$IDM_SLAPD_SCHEMADIR/cosine.ldif

include: file://$IDM_SLAPD_SCHEMADIR/nis.ldif

include: file://$IDM_SLAPD_SCHEMADIR/inetorgperson.ldif
LDIF
        if [ -n "$_ldapdir" ]; then
            printf '\ninclude: file://%s\n' "$_ldapdir/eduperson.ldif" \
                "$_ldapdir/schac.ldif" "$_ldapdir/idm.ldif"
        fi
        cat <<LDIF

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend
olcPasswordHash: {ARGON2}
olcAccess: {0}to dn.base="" by * read
olcAccess: {1}to dn.base="cn=Subschema" by * read

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by dn.regex="^gidNumber=[0-9]+\\+uidNumber=0,cn=peercred,cn=external,cn=auth\$" manage by dn.regex="^gidNumber=[0-9]+\\+uidNumber=$_uid,cn=peercred,cn=external,cn=auth\$" manage by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: $_base
olcDbDirectory: $_dir/db
olcRootDN: $_rootdn
olcRootPW: $_hash
olcDbMaxSize: 1073741824
olcDbIndex: objectClass eq
olcDbIndex: uid eq
olcDbIndex: cn eq
olcDbIndex: member eq
LDIF
        if [ -n "$_ldapdir" ]; then
            printf '%s\n' 'olcDbIndex: idmPersonUUID eq' 'olcDbIndex: idmGroupKey eq' \
                'olcDbIndex: entryCSN eq' 'olcDbIndex: entryUUID eq'
            _idm_ldap_acls "$_ldapdir" "$_base"
            printf '\n'
            printf '%s\n' "dn: olcOverlay={0}syncprov,olcDatabase={1}mdb,cn=config" \
                'objectClass: olcOverlayConfig' 'objectClass: olcSyncProvConfig' \
                'olcOverlay: {0}syncprov' 'olcSpCheckpoint: 100 10' \
                'olcSpSessionLog: 10000'
        else
            cat <<LDIF
# Placeholder ACLs (deploy/ldap not found): only the rootdn sees data;
# anonymous may only authenticate (simple bind) against userPassword.
olcAccess: {0}to attrs=userPassword by dn.exact="$_rootdn" manage by anonymous auth by * none
olcAccess: {1}to * by dn.exact="$_rootdn" manage by * none
LDIF
        fi
    } >"$_ldif" || { rm -f "$_ldif"; _idm_err "cannot write $_ldif"; return 1; }

    _rc=0
    slapadd -n0 -F "$_dir/slapd.d" -l "$_ldif" >"$_dir/log/slapadd.log" 2>&1 || _rc=$?
    rm -f "$_ldif"
    if [ "$_rc" -ne 0 ]; then
        _idm_err "slapadd -n0 (cn=config) failed (exit $_rc)"
        _idm_log_tail "$_dir/log/slapadd.log"
        return 1
    fi

    _rc=0
    [ "${IDM_SLAPD_EMPTY:-0}" = 1 ] || {
        printf 'dn: %s\n' "$_base"
        if [ "$_rdnattr" = dc ]; then
            printf 'objectClass: dcObject\nobjectClass: organization\n'
            printf 'dc: %s\n' "$_rdnval"
        else
            printf 'objectClass: organization\n'
        fi
        printf 'o: %s\n\n' "$_rdnval"
        for _f in people groups orgs; do
            printf 'dn: ou=%s,%s\nobjectClass: organizationalUnit\nou: %s\n\n' \
                "$_f" "$_base" "$_f"
        done
    } | slapadd -n1 -F "$_dir/slapd.d" >>"$_dir/log/slapadd.log" 2>&1 || _rc=$?
    if [ "$_rc" -ne 0 ]; then
        _idm_err "slapadd -n1 (base entries) failed (exit $_rc)"
        _idm_log_tail "$_dir/log/slapadd.log"
        return 1
    fi

    if [ "$(id -u)" -eq 0 ]; then
        # slapadd ran as root: hand everything to the server account.
        chown -R "$(printf '%s' "$_acct" | tr ' ' ':')" "$_dir/slapd.d" "$_dir/db" "$_dir/log" ||
            { _idm_err "cannot chown $_dir to ${_acct% *}"; return 1; }
    fi

    {
        printf '# written by idm_slapd_init; read by idm_slapd_* functions\n'
        printf 'PORT=%s\nBASE_DN=%s\nADMIN_DN=%s\nADMIN_PWFILE=%s\n' \
            "$_port" "$_base" "$_rootdn" "$_pwfile"
    } >"$_dir/idm-slapd.conf" || return 1
}

# idm_slapd_start DIR PORT: start slapd on ldap://127.0.0.1:PORT and
# ldapi://DIR/run/ldapi; wait until the admin can bind (~30 s).
idm_slapd_start() {
    [ $# -eq 2 ] || { _idm_err "usage: idm_slapd_start DIR PORT"; return 2; }
    local _dir _port _admindn _pwfile _ldapi _log _lpid _i
    _port=$2
    case $_port in ''|*[!0-9]*) _idm_err "idm_slapd_start: invalid port '$_port'"; return 2 ;; esac
    _dir=$(_idm_abspath "$1") || return 1
    [ -d "$_dir/slapd.d/cn=config" ] ||
        { _idm_err "idm_slapd_start: no cn=config in $_dir/slapd.d (run idm_slapd_init first)"; return 1; }
    _admindn=$(_idm_meta_get "$_dir/idm-slapd.conf" ADMIN_DN) || return 1
    _pwfile=$(_idm_meta_get "$_dir/idm-slapd.conf" ADMIN_PWFILE) || return 1
    [ -r "$_pwfile" ] || { _idm_err "cannot read admin password file $_pwfile"; return 1; }
    if idm_slapd_running "$_dir"; then
        _idm_err "idm_slapd_start: slapd already running in $_dir"
        return 0
    fi
    rm -f "$_dir/run/slapd.pid" "$_dir/run/ldapi"
    _ldapi=$(idm_slapd_ldapi_uri "$_dir") || return 1
    _log=$_dir/log/slapd.log
    printf '%s\n' "==== idm_slapd_start $(date -u '+%Y-%m-%dT%H:%M:%SZ') port $_port ====" >>"$_log" ||
        { _idm_err "cannot write $_log"; return 1; }

    # -d keeps slapd in the foreground and sends its log to stderr (slapd
    # otherwise logs to syslog only); setsid detaches it from the caller's
    # session so it survives the caller and terminal hang-ups.  With -w,
    # $! stays alive exactly as long as slapd does.
    if [ "$(id -u)" -eq 0 ]; then
        set -- -u "${IDM_RUN_USER:-nobody}" -g "${IDM_RUN_GROUP:-nogroup}"
    else
        set --
    fi
    (cd / && exec setsid -w "$IDM_SLAPD_BIN" -F "$_dir/slapd.d" \
        -h "ldap://127.0.0.1:$_port/ $_ldapi" "$@" \
        -d "${IDM_SLAPD_DEBUG:-stats}") </dev/null >>"$_log" 2>&1 &
    _lpid=$!

    # A port clash makes slapd exit within milliseconds: let that show first.
    sleep 0.2
    _i=0
    while :; do
        if ! kill -0 "$_lpid" 2>/dev/null; then
            wait "$_lpid" 2>/dev/null || :
            _idm_err "slapd in $_dir exited during startup (port $_port in use?)"
            _idm_log_tail "$_log"
            return 1
        fi
        # timeout: if another program owns the port, it may accept and
        # never answer.
        if LDAPNOINIT=1 timeout 5 ldapwhoami -x -H "ldap://127.0.0.1:$_port" \
                -o nettimeout=2 -D "$_admindn" -y "$_pwfile" >/dev/null 2>&1 &&
                _idm_slapd_pid "$_dir" >/dev/null; then
            # Remember the port actually used (the caller may have picked a
            # new one after a clash).
            if [ "$(_idm_meta_get "$_dir/idm-slapd.conf" PORT 2>/dev/null)" != "$_port" ]; then
                if sed "s/^PORT=.*/PORT=$_port/" "$_dir/idm-slapd.conf" >"$_dir/idm-slapd.conf.new"; then
                    mv "$_dir/idm-slapd.conf.new" "$_dir/idm-slapd.conf" || :
                fi
            fi
            return 0
        fi
        _i=$((_i + 1))
        if [ "$_i" -ge 60 ]; then
            _idm_err "slapd in $_dir not ready after 30 s"
            _idm_log_tail "$_log"
            kill "$_lpid" 2>/dev/null || :
            return 1
        fi
        sleep 0.5
    done
}

# idm_slapd_stop DIR: stop slapd (TERM, KILL after 30 s); success if it was
# not running.
idm_slapd_stop() {
    [ $# -eq 1 ] || { _idm_err "usage: idm_slapd_stop DIR"; return 2; }
    local _pid _i
    _pid=$(_idm_slapd_pid "$1") || { rm -f "$1/run/slapd.pid"; return 0; }
    kill -TERM "$_pid" 2>/dev/null || :
    _i=0
    while _idm_slapd_pid "$1" >/dev/null; do
        _i=$((_i + 1))
        if [ "$_i" -eq 300 ]; then
            _idm_err "idm_slapd_stop: slapd (pid $_pid) ignored SIGTERM for 30 s, sending SIGKILL"
            kill -KILL "$_pid" 2>/dev/null || :
        fi
        if [ "$_i" -ge 350 ]; then
            _idm_err "idm_slapd_stop: cannot stop slapd (pid $_pid)"
            return 1
        fi
        sleep 0.1
    done
    rm -f "$1/run/slapd.pid"
}
