/* SPDX-License-Identifier: EUPL-1.2
 * idmd: the SAML 2.0 Identity Provider daemon. Parses options, loads the
 * config, sets up logging, starts the IdP and its HTTP server, and then
 * rebuilds the SP registry when PostgreSQL announces a change, polls the
 * rights policies and cleans up expired state until SIGTERM or SIGINT; SIGHUP forces a reload of the service
 * providers and the policies.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/log.h"
#include "base/notify.h"
#include "conf_sections.h"
#include "saml/idp.h"
#include "web/conf.h"
#include "web/http.h"
#include "web/web.h"

/* jemalloc's options, read before main(): keep freed pages instead of
 * returning them to the kernel. Every password check allocates and frees
 * [password] argon2_memory_kib (19 MiB); returned, they fault in again on
 * the next login (0.65 against 0.83 of the raw Argon2id rate,
 * tests/bench/saml). What is kept is bounded: idm-core runs at most one
 * Argon2id computation per core. Unused without jemalloc (Debug). */
const char *malloc_conf = "dirty_decay_ms:-1,muzzy_decay_ms:-1";

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t reload_flag;

static void on_signal(int sig)
{
    if (sig == SIGHUP) {
        reload_flag = 1;
    } else {
        stop_flag = 1;
    }
}

static int64_t mono_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec;
}

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: idmd [--config FILE] [--port N] [--metrics-listen A:P] "
            "[--check]\n\n"
            "SAML 2.0 Identity Provider ([idp] and [database] of the "
            "config).\n"
            "  --config FILE  configuration file (default: $%s)\n"
            "  --port N       override [idp] port\n"
            "  --metrics-listen ADDR:PORT|off  override [idp] metrics_listen\n"
            "  --check        load keys, database and SPs, then exit\n"
            "Signals: TERM/INT stop, HUP reloads the service "
            "providers and the rights policies.\n",
            IDM_CONFIG_ENV);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"port", required_argument, NULL, 'p'},
        {"metrics-listen", required_argument, NULL, 'm'},
        {"check", no_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *metrics = NULL;
    idm_conf *conf = NULL;
    const web_conf *wc = NULL;
    web_site *web = NULL;
    saml_idp *idp = NULL;
    web_http *http = NULL;
    idm_err err = IDM_ERR_INIT;
    struct sigaction sa;
    int port = -1, check = 0, threads, rc = 1, opt, listen_failed = 0;
    int64_t next_sp_poll = 0, next_policy_poll = 0, next_reject_flush = 0;
    int64_t next_housekeeping;

    /* Without TZ, glibc stats /etc/localtime on every localtime(), which
     * Lasso calls for each debug line it formats (several per request);
     * with TZ set it reads the zone once. Before any thread starts. */
    if (getenv("TZ") == NULL) {
        setenv("TZ", ":/etc/localtime", 0);
    }
    while ((opt = getopt_long(argc, argv, "c:p:m:kh", opts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config = optarg;
            break;
        case 'p':
            port = atoi(optarg);
            break;
        case 'm':
            metrics = optarg;
            break;
        case 'k':
            check = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    config = idm_conf_path(config);
    if (config == NULL) {
        fprintf(stderr, "idmd: no config: use --config or $%s\n",
                IDM_CONFIG_ENV);
        return 2;
    }
    if (prog_conf_register("idmd") != 0) {
        return 1;
    }
    if (idm_conf_load(&conf, config, &err) != 0) {
        fprintf(stderr, "idmd: %s\n", err.msg);
        return 1;
    }
    idm_log_set(idm_log_stderr, NULL, idm_log_conf_get(conf)->level);
    wc = web_conf_get(conf);
    threads =
        wc->threads > 0 ? wc->threads : 2 * (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1) {
        threads = 2;
    }
    /* the web layer, then the SAML IdP on it */
    if (web_site_new(&web, conf, threads + 1, &err) != 0 ||
        saml_idp_new(&idp, web, &err) != 0) {
        idm_log(IDM_LOG_ERROR, "saml", "start.fail", "reason=\"%s\"", err.msg);
        if (err.detail[0] != '\0') {
            idm_log(IDM_LOG_ERROR, "saml", "start.fail.detail", "detail=\"%s\"",
                    err.detail);
        }
        goto cleanup;
    }
    if (check) {
        printf("idmd: configuration, keys, database and SPs are fine\n");
        rc = 0;
        goto cleanup;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (web_http_start(&http, web, conf, port, metrics, &err) != 0) {
        idm_log(IDM_LOG_ERROR, "saml", "start.fail", "reason=\"%s\"", err.msg);
        goto cleanup;
    }
    idm_log(IDM_LOG_NOTICE, "saml", "start",
            "listen=%s:%d metrics=%s db_connections=%d max_connections=%d "
            "base=%s",
            wc->listen, port > 0 ? port : wc->port,
            metrics != NULL ? metrics : wc->metrics_listen, threads + 1,
            wc->max_connections, wc->base_url);
    /* listening, keys loaded, the database answered (web_site_new,
     * saml_idp_new) */
    idm_notify("READY=1");
    next_housekeeping = mono_seconds() + 300;
    while (!stop_flag) {
        idm_err werr = IDM_ERR_INIT;
        int64_t now;
        int force;
        /* SP changes arrive by NOTIFY within milliseconds on every node;
         * the version poll every 30 s only backs up a lost listener */
        int changed = saml_idp_wait_sp_change(idp, 1000, &werr);
        if (changed < 0) {
            if (!listen_failed) {
                idm_log(IDM_LOG_WARN, "saml", "sp.listen_fail",
                        "reason=\"%s\"", werr.msg);
            }
            listen_failed = 1;
            sleep(1);
        } else {
            listen_failed = 0;
        }
        if (changed == 1) {
            idm_log(IDM_LOG_INFO, "saml", "sp.notify", "source=postgresql");
        }
        now = mono_seconds();
        force = reload_flag; /* SIGHUP: rebuild and reload now */
        reload_flag = 0;
        if (force || changed > 0 || now >= next_sp_poll) {
            idm_err rerr = IDM_ERR_INIT;
            if (force) {
                idm_notify("RELOADING=1");
            }
            if (saml_idp_refresh(idp, force, &rerr) != 0) {
                idm_log(IDM_LOG_WARN, "saml", "sp.reload_fail", "reason=\"%s\"",
                        rerr.msg);
            }
            next_sp_poll = now + 30;
        }
        /* policy files are polled (mtime, size, count) every 2 s; an
         * invalid policy is refused and logged there, the active one stays */
        if (force || now >= next_policy_poll) {
            idm_err perr = IDM_ERR_INIT;
            (void)web_site_policy_reload(web, force, &perr);
            next_policy_poll = now + 2;
        }
        if (force) {
            idm_notify("READY=1");
        }
        if (now >= next_reject_flush) {
            idm_err ferr = IDM_ERR_INIT;
            /* rejections of finished minutes: one audit row per address,
             * reason and minute (reject.c) */
            if (web_site_reject_flush(web, 0, &ferr) != 0) {
                idm_log(IDM_LOG_WARN, "web", "reject.flush_fail",
                        "reason=\"%s\"", ferr.msg);
            }
            next_reject_flush = now + 10;
        }
        if (now >= next_housekeeping) {
            idm_err herr = IDM_ERR_INIT;
            if (saml_idp_housekeeping(idp, &herr) != 0) {
                idm_log(IDM_LOG_WARN, "saml", "housekeeping.fail",
                        "reason=\"%s\"", herr.msg);
            }
            next_housekeeping = now + 300;
        }
    }
    idm_notify("STOPPING=1");
    idm_log(IDM_LOG_NOTICE, "saml", "stop", "signal=1");
    rc = 0;
cleanup:
    web_http_stop(http);
    saml_idp_free(idp);
    web_site_free(web);
    idm_conf_free(conf);
    return rc;
}
