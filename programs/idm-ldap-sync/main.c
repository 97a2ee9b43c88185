/* SPDX-License-Identifier: EUPL-1.2
 * idm-ldap-sync: parse arguments, load the config, set up logging and call
 * the ldap-sync library. Modes: daemon (default), --once, --full
 * [--dry-run], --export-ldif FILE, --status, --list-parked.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/db.h"
#include "base/log.h"
#include "base/notify.h"
#include "conf_sections.h"

#include "lsync/conf.h"
#include "lsync/sync.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

/* the daemon loop's state lines to systemd */
static void sd_notify_line(const char *state, void *ctx)
{
    (void)ctx;
    idm_notify(state);
}

static void usage(FILE *fp)
{
    fputs(
        "usage: idm-ldap-sync [--config FILE] [MODE] [OPTIONS]\n"
        "modes:\n"
        "  (none)                 daemon: follow the outbox (LISTEN/NOTIFY\n"
        "                         and a fallback poll), systemd notify\n"
        "  --once                 apply every event committed before the\n"
        "                         start (waiting up to 30 s for older\n"
        "                         transactions still running) and exit\n"
        "  --full [--dry-run]     compare the managed subtree with the core,\n"
        "                         print differences, repair unless --dry-run\n"
        "  --export-ldif FILE     write the whole tree for slapadd and record\n"
        "                         the checkpoint [--with-base]\n"
        "  --status               backlog, lag, applied/parked counts\n"
        "  --list-parked [--all]  events LDAP rejected for good\n"
        "options:\n"
        "  --config FILE          config file (default $IDM_CONFIG)\n"
        "  --batch N              outbox rows per batch ([ldap] sync_batch,\n"
        "                         2000)\n"
        "  --window N             LDAP operations in flight ([ldap]\n"
        "                         sync_window, 256)\n"
        "  --poll SECONDS         fallback poll interval ([ldap]\n"
        "                         sync_poll_seconds, 5)\n"
        "  --timeout SECONDS      LDAP network/result timeout (30)\n"
        "  --scope DOMAIN         schacHomeOrganization / eduPerson scope\n"
        "                         ([ldap] scope; default: the dc= parts of\n"
        "                         [ldap] base)\n"
        "  --release-blocked-names  give persons with an information release\n"
        "                         block their names in LDAP ([ldap]\n"
        "                         release_blocked_names, default 0)\n"
        "command-line options override the config file\n"
        "  --pid-file FILE        write the daemon's pid\n",
        fp);
}

enum {
    OPT_ONCE = 256,
    OPT_FULL,
    OPT_DRY,
    OPT_EXPORT,
    OPT_WITH_BASE,
    OPT_STATUS,
    OPT_PARKED,
    OPT_ALL,
    OPT_BATCH,
    OPT_WINDOW,
    OPT_POLL,
    OPT_TIMEOUT,
    OPT_SCOPE,
    OPT_RELEASE,
    OPT_PIDFILE
};

static int parse_int(const char *s, int *out)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < 1 || v > 1000000) {
        return -1;
    }
    *out = (int)v;
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {"once", no_argument, NULL, OPT_ONCE},
        {"full", no_argument, NULL, OPT_FULL},
        {"dry-run", no_argument, NULL, OPT_DRY},
        {"export-ldif", required_argument, NULL, OPT_EXPORT},
        {"with-base", no_argument, NULL, OPT_WITH_BASE},
        {"status", no_argument, NULL, OPT_STATUS},
        {"list-parked", no_argument, NULL, OPT_PARKED},
        {"all", no_argument, NULL, OPT_ALL},
        {"batch", required_argument, NULL, OPT_BATCH},
        {"window", required_argument, NULL, OPT_WINDOW},
        {"poll", required_argument, NULL, OPT_POLL},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"scope", required_argument, NULL, OPT_SCOPE},
        {"release-blocked-names", no_argument, NULL, OPT_RELEASE},
        {"pid-file", required_argument, NULL, OPT_PIDFILE},
        {NULL, 0, NULL, 0}};
    lsync_opts opts = LSYNC_OPTS_INIT;
    idm_err err = IDM_ERR_INIT;
    idm_conf *conf = NULL;
    const lsync_conf *lc = NULL;
    idm_db *db = NULL;
    lsync *sync = NULL;
    const char *config = NULL, *export_path = NULL, *pid_file = NULL;
    const char *cli_scope = NULL;
    int cli_batch = 0, cli_window = 0, cli_poll = 0, cli_release = 0;
    int mode = 0, dry_run = 0, with_base = 0, all = 0, c, rc, status = 1;

    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case OPT_ONCE:
        case OPT_FULL:
        case OPT_STATUS:
        case OPT_PARKED:
            if (mode != 0 && mode != c) {
                fputs("idm-ldap-sync: give only one mode\n", stderr);
                return 2;
            }
            mode = c;
            break;
        case OPT_EXPORT:
            if (mode != 0) {
                fputs("idm-ldap-sync: give only one mode\n", stderr);
                return 2;
            }
            mode = c;
            export_path = optarg;
            break;
        case OPT_DRY:
            dry_run = 1;
            break;
        case OPT_WITH_BASE:
            with_base = 1;
            break;
        case OPT_ALL:
            all = 1;
            break;
        case OPT_BATCH:
        case OPT_WINDOW:
        case OPT_POLL:
        case OPT_TIMEOUT: {
            int v;
            if (parse_int(optarg, &v) != 0) {
                fprintf(stderr, "idm-ldap-sync: %s: \"%s\" is not a number\n",
                        argv[optind - 1], optarg);
                return 2;
            }
            if (c == OPT_BATCH) {
                cli_batch = v;
            } else if (c == OPT_WINDOW) {
                cli_window = v;
            } else if (c == OPT_POLL) {
                cli_poll = v;
            } else {
                opts.net_timeout = v;
            }
            break;
        }
        case OPT_SCOPE:
            cli_scope = optarg;
            break;
        case OPT_RELEASE:
            cli_release = 1;
            break;
        case OPT_PIDFILE:
            pid_file = optarg;
            break;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "idm-ldap-sync: unexpected argument \"%s\"\n",
                argv[optind]);
        return 2;
    }
    if (dry_run && mode != OPT_FULL) {
        fputs("idm-ldap-sync: --dry-run goes with --full\n", stderr);
        return 2;
    }
    config = idm_conf_path(config);
    if (config == NULL) {
        fputs("idm-ldap-sync: no configuration: give --config FILE or set "
              "IDM_CONFIG\n",
              stderr);
        return 2;
    }
    if (prog_conf_register("idm-ldap-sync") != 0) {
        return 1;
    }
    rc = idm_conf_load(&conf, config, &err);
    if (rc != 0) {
        fprintf(stderr, "idm-ldap-sync: %s\n", err.msg);
        goto cleanup;
    }
    idm_log_set(idm_log_stderr, NULL, idm_log_conf_get(conf)->level);
    rc = idm_db_open(&db, conf, &err);
    if (rc != 0) {
        fprintf(stderr, "idm-ldap-sync: %s\n", err.msg);
        goto cleanup;
    }
    if (mode == OPT_STATUS) {
        rc = lsync_status_print(db, stdout, &err);
        goto report;
    }
    if (mode == OPT_PARKED) {
        rc = lsync_parked_print(db, stdout, all, &err);
        goto report;
    }
    lc = lsync_conf_get(conf);
    opts.ldap_uri = lc->uri;
    opts.ldap_base = lc->base;
    opts.ldap_bind_dn = lc->admin_dn;
    opts.ldap_password = lc->admin_password;
    /* [ldap] settings; the command line overrides them */
    opts.scope = cli_scope != NULL ? cli_scope : lc->scope;
    opts.release_blocked_names =
        cli_release != 0 ? 1 : lc->release_blocked_names;
    opts.batch_size = cli_batch > 0 ? cli_batch : lc->sync_batch;
    opts.window = cli_window > 0 ? cli_window : lc->sync_window;
    opts.poll_seconds = cli_poll > 0 ? cli_poll : lc->sync_poll_seconds;
    opts.read_only = mode == OPT_FULL && dry_run;
    rc = lsync_open(&sync, db, &opts, &err);
    if (rc != 0) {
        goto report;
    }
    if (mode == OPT_ONCE) {
        lsync_stats st;
        memset(&st, 0, sizeof(st));
        rc = lsync_run_once(sync, &st, &err);
        if (rc == 0) {
            printf("events=%ld writes=%ld parked=%ld batches=%ld\n", st.events,
                   st.applied, st.parked, st.batches);
        }
    } else if (mode == OPT_FULL) {
        lsync_diff diff;
        rc = lsync_reconcile(sync, dry_run, stdout, &diff, &err);
    } else if (mode == OPT_EXPORT) {
        long n = 0;
        rc = lsync_export_ldif(sync, export_path, with_base, &n, &err);
        if (rc == 0) {
            printf("entries=%ld file=%s\n", n, export_path);
        }
    } else {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
        if (pid_file != NULL) {
            FILE *fp = fopen(pid_file, "w");
            if (fp == NULL) {
                fprintf(stderr, "idm-ldap-sync: could not write \"%s\": %s\n",
                        pid_file, strerror(errno));
                goto cleanup;
            }
            fprintf(fp, "%ld\n", (long)getpid());
            fclose(fp);
        }
        idm_log(IDM_LOG_NOTICE, "lsync", "daemon.start", "pid=%ld",
                (long)getpid());
        rc = lsync_run_daemon(sync, &stop_flag, sd_notify_line, NULL, &err);
        sd_notify_line("STOPPING=1", NULL);
        idm_log(IDM_LOG_NOTICE, "lsync", "daemon.stop", "rc=%d", rc);
        if (pid_file != NULL) {
            unlink(pid_file);
        }
    }
report:
    if (rc != 0) {
        fprintf(stderr, "idm-ldap-sync: %s\n", err.msg);
        if (err.detail[0] != '\0') {
            char q[600];
            idm_log(IDM_LOG_ERROR, "lsync", "sync.error", "detail=%s",
                    idm_log_quote(q, sizeof(q), err.detail));
        }
    } else {
        status = 0;
    }
cleanup:
    lsync_close(sync);
    idm_db_close(db);
    idm_conf_free(conf);
    return status;
}
