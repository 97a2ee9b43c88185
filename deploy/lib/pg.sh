# SPDX-License-Identifier: EUPL-1.2
# Sourceable function library: run a private, throwaway or persistent
# PostgreSQL cluster in a given directory (unix socket only, no TCP).
# Used by the test harness (tests/harness/pg) and the operator quickstart.
#
# Layout of DIR:  data/ (cluster)  run/ (socket, 0700)  log/postgresql.log
#                 idm-pg.conf (port, auth mode, password file; read by the
#                 other functions so they need only DIR)
#
# Public functions (the names and arguments are a contract):
#   idm_pg_init DIR PORT AUTH [PWFILE]   AUTH = trust | scram
#   idm_pg_start DIR
#   idm_pg_stop DIR
#   idm_pg_running DIR
#   idm_pg_createdb DIR PORT NAME
#   idm_pg_dropdb DIR PORT NAME          (drops NAME if it exists)
#   idm_free_port
#
# Environment:
#   IDM_PG_BINDIR   PostgreSQL server binaries (default: newest
#                   /usr/lib/postgresql/*/bin, preferring 15)
#   IDM_PG_FAST=1   at init time: fsync/synchronous_commit/full_page_writes
#                   off and log_statement=all (tests only, unsafe for data)
#   IDM_RUN_USER, IDM_RUN_GROUP  unprivileged account the server runs as
#                   when the caller is root (default nobody / nogroup)
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
# PostgreSQL
# ---------------------------------------------------------------------------

if [ -z "${IDM_PG_BINDIR:-}" ]; then
    if [ -x /usr/lib/postgresql/15/bin/postgres ]; then
        IDM_PG_BINDIR=/usr/lib/postgresql/15/bin
    else
        IDM_PG_BINDIR=$(for _d in /usr/lib/postgresql/*/bin; do
            [ -x "$_d/postgres" ] && printf '%s\n' "$_d"; done | sort -V | tail -n 1)
        IDM_PG_BINDIR=${IDM_PG_BINDIR:-/usr/lib/postgresql/15/bin}
    fi
fi

_idm_pg_check_bin() {
    if [ ! -x "$IDM_PG_BINDIR/initdb" ] || [ ! -x "$IDM_PG_BINDIR/pg_ctl" ]; then
        _idm_err "PostgreSQL server binaries not found in $IDM_PG_BINDIR (install postgresql, or set IDM_PG_BINDIR)"
        return 1
    fi
}

# _idm_pg_password DIR: print the superuser password (empty for trust).
_idm_pg_password() {
    local _f
    _f=$(_idm_meta_get "$1/idm-pg.conf" PWFILE) || return 1
    [ -n "$_f" ] || return 0
    [ -r "$_f" ] || { _idm_err "cannot read password file $_f"; return 1; }
    head -n 1 "$_f"
}

# idm_pg_init DIR PORT AUTH [PWFILE]
#   AUTH trust: local connections need no password.
#   AUTH scram: scram-sha-256; PWFILE (required) holds the password of the
#               superuser `idm`.  Its absolute path is remembered in
#               DIR/idm-pg.conf for idm_pg_createdb.
idm_pg_init() {
    if [ $# -lt 3 ] || [ $# -gt 4 ]; then
        _idm_err "usage: idm_pg_init DIR PORT trust|scram [PWFILE]"
        return 2
    fi
    local _dir _port _auth _pwfile _locale _acct _authopt _rc _tmppw
    _port=$2 _auth=$3 _pwfile=${4:-}
    case $_port in ''|*[!0-9]*) _idm_err "idm_pg_init: invalid port '$_port'"; return 2 ;; esac
    case $_auth in
        trust) _authopt="--auth-local=trust --auth-host=reject" ;;
        scram)
            _authopt="--auth-local=scram-sha-256 --auth-host=scram-sha-256"
            [ -n "$_pwfile" ] || { _idm_err "idm_pg_init: AUTH scram needs a PWFILE"; return 2; }
            ;;
        *) _idm_err "idm_pg_init: AUTH must be 'trust' or 'scram', not '$_auth'"; return 2 ;;
    esac
    if [ -n "$_pwfile" ]; then
        if [ ! -r "$_pwfile" ] || [ ! -s "$_pwfile" ]; then
            _idm_err "idm_pg_init: password file $_pwfile missing, unreadable or empty"
            return 1
        fi
        _pwfile=$(_idm_abspath "$(dirname "$_pwfile")")/$(basename "$_pwfile") || return 1
    fi
    _idm_pg_check_bin || return 1

    mkdir -p "$1" || { _idm_err "cannot create $1"; return 1; }
    _dir=$(_idm_abspath "$1") || return 1
    # The socket path DIR/run/.s.PGSQL.PORT must fit into sun_path (107).
    if [ $((${#_dir} + 15 + ${#_port})) -gt 107 ]; then
        _idm_err "idm_pg_init: path $_dir too long for the unix socket below it"
        return 1
    fi
    if [ -e "$_dir/data/PG_VERSION" ]; then
        _idm_err "idm_pg_init: $_dir/data already holds a cluster (remove $_dir/data to start over)"
        return 1
    fi
    if [ "$(id -u)" -eq 0 ]; then
        _acct=$(_idm_run_account) || return 1
        chown "$(printf '%s' "$_acct" | tr ' ' ':')" "$_dir" || return 1
    fi
    _idm_mkdir_owned 0700 "$_dir/data" "$_dir/run" || return 1
    _idm_mkdir_owned 0750 "$_dir/log" || return 1
    _idm_check_access "$_dir" || return 1

    if locale -a 2>/dev/null | grep -qix 'c\.utf-\{0,1\}8'; then
        _locale=C.UTF-8
    else
        _locale=C
    fi

    # initdb runs unprivileged and may not be able to read PWFILE (e.g. a
    # root-owned 0600 file): hand it a private copy in DIR/run (0700).
    _rc=0
    if [ -n "$_pwfile" ]; then
        _tmppw=$_dir/run/.initdb-pwfile
        (umask 077 && head -n 1 "$_pwfile" >"$_tmppw") || { _idm_err "cannot copy $_pwfile"; return 1; }
        if [ "$(id -u)" -eq 0 ]; then
            chown "$(printf '%s' "$_acct" | tr ' ' ':')" "$_tmppw" || { rm -f "$_tmppw"; return 1; }
        fi
        set -- --pwfile="$_tmppw"
    else
        _tmppw=
        set --
    fi
    # shellcheck disable=SC2086
    (cd "$_dir" && _idm_run_as "$IDM_PG_BINDIR/initdb" -D "$_dir/data" -U idm \
        -E UTF8 --locale="$_locale" $_authopt --no-instructions "$@") \
        >"$_dir/log/initdb.log" 2>&1 || _rc=$?
    [ -z "$_tmppw" ] || rm -f "$_tmppw"
    if [ "$_rc" -ne 0 ]; then
        _idm_err "initdb failed (exit $_rc)"
        _idm_log_tail "$_dir/log/initdb.log"
        return 1
    fi

    {
        printf '\n# ---- added by idm_pg_init (deploy/lib/pg.sh) ----\n'
        printf "listen_addresses = ''\n"
        printf "unix_socket_directories = '%s'\n" "$_dir/run"
        printf 'port = %s\n' "$_port"
        printf 'max_connections = 200\n'
        if [ "${IDM_PG_FAST:-0}" = 1 ]; then
            printf '# IDM_PG_FAST=1: throwaway test cluster, durability off\n'
            printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n'
            printf 'log_statement = all\n'
        fi
        # shellcheck disable=SC3050  # %%q is a literal for PostgreSQL
        printf "log_line_prefix = '%%m [%%p] %%q%%u@%%d '\n"
        printf "timezone = 'UTC'\n"
    } >>"$_dir/data/postgresql.conf" || { _idm_err "cannot write postgresql.conf"; return 1; }

    {
        printf '# written by idm_pg_init; read by idm_pg_* functions\n'
        printf 'PORT=%s\nAUTH=%s\nPWFILE=%s\n' "$_port" "$_auth" "$_pwfile"
    } >"$_dir/idm-pg.conf" || return 1
}

# idm_pg_running DIR: exit 0 if the cluster in DIR is running.
idm_pg_running() {
    [ $# -eq 1 ] || { _idm_err "usage: idm_pg_running DIR"; return 2; }
    [ -f "$1/data/PG_VERSION" ] || return 1
    [ -f "$1/data/postmaster.pid" ] || return 1
    (cd / && _idm_run_as "$IDM_PG_BINDIR/pg_ctl" -D "$1/data" status) >/dev/null 2>&1
}

# idm_pg_start DIR: start and wait until connections are accepted (~30 s).
idm_pg_start() {
    [ $# -eq 1 ] || { _idm_err "usage: idm_pg_start DIR"; return 2; }
    local _dir _port _log _i
    _idm_pg_check_bin || return 1
    _dir=$(_idm_abspath "$1") || return 1
    [ -f "$_dir/data/PG_VERSION" ] || { _idm_err "idm_pg_start: no cluster in $_dir/data (run idm_pg_init first)"; return 1; }
    _port=$(_idm_meta_get "$_dir/idm-pg.conf" PORT) || return 1
    _log=$_dir/log/postgresql.log
    if idm_pg_running "$_dir"; then
        _idm_err "idm_pg_start: already running in $_dir"
        return 0
    fi
    if ! (cd "$_dir" && _idm_run_as "$IDM_PG_BINDIR/pg_ctl" -D "$_dir/data" \
            -l "$_log" -w -t 30 start) >/dev/null 2>"$_dir/log/pg_ctl.err"; then
        _idm_err "PostgreSQL in $_dir failed to start"
        cat "$_dir/log/pg_ctl.err" >&2
        _idm_log_tail "$_log"
        return 1
    fi
    _i=0
    while ! "$IDM_PG_BINDIR/pg_isready" -q -h "$_dir/run" -p "$_port" -d postgres -U idm; do
        _i=$((_i + 1))
        if [ "$_i" -ge 60 ]; then
            _idm_err "PostgreSQL in $_dir not ready after 30 s"
            _idm_log_tail "$_log"
            return 1
        fi
        sleep 0.5
    done
}

# idm_pg_stop DIR: fast shutdown; success if it was not running.
idm_pg_stop() {
    [ $# -eq 1 ] || { _idm_err "usage: idm_pg_stop DIR"; return 2; }
    idm_pg_running "$1" || return 0
    if ! (cd / && _idm_run_as "$IDM_PG_BINDIR/pg_ctl" -D "$1/data" -m fast -w -t 60 stop) >/dev/null; then
        _idm_err "idm_pg_stop: pg_ctl stop failed for $1"
        _idm_log_tail "$1/log/postgresql.log"
        return 1
    fi
}

# _idm_pg_client DIR PORT COMMAND ARGS...: run a client command as `idm`
# over the socket in DIR/run, with the password when AUTH is scram.
_idm_pg_client() {
    local _dir _port _pw
    _dir=$1 _port=$2
    shift 2
    _pw=$(_idm_pg_password "$_dir") || return 1
    if [ -n "$_pw" ]; then
        PGPASSWORD=$_pw PGHOST="$_dir/run" PGPORT=$_port PGUSER=idm \
            PGCONNECT_TIMEOUT=10 "$@"
    else
        PGHOST="$_dir/run" PGPORT=$_port PGUSER=idm PGCONNECT_TIMEOUT=10 "$@"
    fi
}

# idm_pg_createdb DIR PORT NAME: create database NAME owned by idm.
idm_pg_createdb() {
    [ $# -eq 3 ] || { _idm_err "usage: idm_pg_createdb DIR PORT NAME"; return 2; }
    local _dir
    _dir=$(_idm_abspath "$1") || return 1
    if ! _idm_pg_client "$_dir" "$2" "$IDM_PG_BINDIR/createdb" -O idm -E UTF8 -T template0 -- "$3"; then
        _idm_err "idm_pg_createdb: cannot create database '$3' in $_dir"
        return 1
    fi
}

# idm_pg_dropdb DIR PORT NAME: drop database NAME if it exists (even if
# clients are still connected).
idm_pg_dropdb() {
    [ $# -eq 3 ] || { _idm_err "usage: idm_pg_dropdb DIR PORT NAME"; return 2; }
    local _dir
    _dir=$(_idm_abspath "$1") || return 1
    if ! _idm_pg_client "$_dir" "$2" env PGOPTIONS='-c client_min_messages=warning' \
            "$IDM_PG_BINDIR/dropdb" --if-exists --force -- "$3"; then
        _idm_err "idm_pg_dropdb: cannot drop database '$3' in $_dir"
        return 1
    fi
}
