/* SPDX-License-Identifier: EUPL-1.2
 * idmctl import sip|profiles: bulk import from SIP-Schule exports. Parses
 * options, picks the message language, draws the progress bar and prints
 * the plan; the work is in idm-core (idm/import.h).
 */
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "sip/import.h"

static int import_sip(cli_ctx *ctx, int argc, char **argv);
static int import_profiles(cli_ctx *ctx, int argc, char **argv);

static const cli_cmd cmds[] = {
    {"sip", import_sip, "import pupils or staff from a SIP-Schule CSV export",
     "usage: idmctl import sip FILE --school NR [--school NR ...]\n"
     "           [--profile sip-schueler|sip-personal|FILE.ini] [--dry-run]\n"
     "           [--report FILE.csv] [--letters DIR] [--yes]\n"
     "           [--max-errors N] [--encoding ENC] [--delimiter ';'|','|tab]\n"
     "           [--year 2026/27] [--source sip] [--json]\n\n"
     "Reads and checks the whole file, plans against the database and\n"
     "prints a summary (new, updated, moved, unchanged, leaving,\n"
     "reactivated, deleted, errors); --report writes every row as CSV.\n"
     "Without --dry-run the plan is applied in one transaction. Rows with\n"
     "errors stop the run unless --max-errors allows them; if more than\n"
     "[import] max_leaver_share percent of a school would leave, --yes must\n"
     "confirm. --letters writes one PDF per class with the initial\n"
     "passwords of new persons (they are kept nowhere else).\n"
     "Messages follow LANG/LC_MESSAGES (German unless English is chosen).\n"
     "Exit codes: 0 applied (or planned with --dry-run), 1 errors or\n"
     "refused, 2 usage.\n"},
    {"profiles", import_profiles, "list or show the shipped import profiles",
     "usage: idmctl import profiles [NAME]\n\n"
     "Without NAME lists the shipped profiles; with NAME prints it in the\n"
     "profile file format, a starting point for a custom --profile FILE.\n"},
    {NULL, NULL, NULL, NULL},
};

#define MAX_SCHOOLS 1024

struct import_opts {
    sip_import_opts o;
    const char *schools[MAX_SCHOOLS];
    const char *report, *letters;
    int dry_run, json, too_many_schools, bad_number;
    char delim_bad;
};

static int on_opt(int opt, const char *arg, void *data)
{
    struct import_opts *io = data;
    char *end;

    switch (opt) {
    case 's':
        if (io->o.nschools >= MAX_SCHOOLS) {
            io->too_many_schools = 1;
        } else {
            io->schools[io->o.nschools++] = arg;
        }
        break;
    case 'p':
        io->o.profile = arg;
        break;
    case 'n':
        io->dry_run = 1;
        break;
    case 'r':
        io->report = arg;
        break;
    case 'l':
        io->letters = arg;
        break;
    case 'y':
        io->o.confirm_leavers = 1;
        break;
    case 'm':
        io->o.max_errors = strtol(arg, &end, 10);
        if (*arg == '\0' || *end != '\0' || io->o.max_errors < 0) {
            io->bad_number = 1;
        }
        break;
    case 'e':
        io->o.encoding = arg;
        break;
    case 'd':
        if (strcmp(arg, ";") == 0 || strcmp(arg, ",") == 0) {
            io->o.delimiter = arg[0];
        } else if (strcmp(arg, "tab") == 0 || strcmp(arg, "\\t") == 0 ||
                   strcmp(arg, "\t") == 0) {
            io->o.delimiter = '\t';
        } else {
            io->delim_bad = 1;
        }
        break;
    case 'Y':
        io->o.school_year = arg;
        break;
    case 'S':
        io->o.source = arg;
        break;
    case 'j':
        io->json = 1;
        break;
    }
    return 0;
}

static const struct option longopts[] = {
    {"school", required_argument, NULL, 's'},
    {"profile", required_argument, NULL, 'p'},
    {"dry-run", no_argument, NULL, 'n'},
    {"report", required_argument, NULL, 'r'},
    {"letters", required_argument, NULL, 'l'},
    {"yes", no_argument, NULL, 'y'},
    {"max-errors", required_argument, NULL, 'm'},
    {"encoding", required_argument, NULL, 'e'},
    {"delimiter", required_argument, NULL, 'd'},
    {"year", required_argument, NULL, 'Y'},
    {"source", required_argument, NULL, 'S'},
    {"json", no_argument, NULL, 'j'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* German first: English only when the locale asks for it. */
static sip_import_lang pick_lang(void)
{
    return cli_english() ? SIP_IMPORT_EN : SIP_IMPORT_DE;
}

/* ---- progress bar (stderr, terminals only) ---- */

struct progress {
    sip_import_lang lang;
    struct timespec start[SIP_IMPORT_PHASE__COUNT];
    int started[SIP_IMPORT_PHASE__COUNT];
    double last_draw;
    int drawn;
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_progress(void *data, sip_import_phase phase, size_t done,
                        size_t total)
{
    static const char *const names[2][SIP_IMPORT_PHASE__COUNT] = {
        {"gelesen", "geplant", "Passwörter", "geschrieben"},
        {"read", "planned", "passwords", "written"},
    };
    struct progress *p = data;
    double t = now_s(), elapsed, rate;
    char bar[31];
    int fill = 0;

    if (!p->started[phase]) {
        p->started[phase] = 1;
        clock_gettime(CLOCK_MONOTONIC, &p->start[phase]);
    }
    /* only worth it for big files; redraw at most 10 times a second */
    if ((phase == SIP_IMPORT_PHASE_READ && done < 2000 && !p->drawn) ||
        (phase != SIP_IMPORT_PHASE_READ && !p->drawn && total < 2000) ||
        (t - p->last_draw < 0.1 && done != total)) {
        return;
    }
    p->last_draw = t;
    p->drawn = 1;
    elapsed = t - ((double)p->start[phase].tv_sec +
                   (double)p->start[phase].tv_nsec / 1e9);
    rate = elapsed > 0 ? (double)done / elapsed : 0;
    if (total > 0) {
        fill = (int)(30.0 * (double)done / (double)total);
    }
    for (int i = 0; i < 30; i++) {
        bar[i] = i < fill ? '#' : '.';
    }
    bar[30] = '\0';
    if (total > 0 && rate > 0 && done < total) {
        double left = (double)(total - done) / rate;
        fprintf(stderr, "\r[%s] %-11s %zu/%zu  %.0f/s  %s %d:%02d   ", bar,
                names[p->lang][phase], done, total, rate,
                p->lang == SIP_IMPORT_EN ? "left" : "Rest", (int)left / 60,
                (int)left % 60);
    } else {
        fprintf(stderr, "\r[%s] %-11s %zu%s%.0zu  %.0f/s            ", bar,
                names[p->lang][phase], done, total > 0 ? "/" : "", total, rate);
    }
    if (total > 0 && done >= total) {
        fputc('\n', stderr);
    }
}

/* ---- output ---- */

static const char *text(sip_import_lang lang, const char *de, const char *en)
{
    return lang == SIP_IMPORT_EN ? en : de;
}

static void print_summary(const sip_import *imp, const struct import_opts *io,
                          const char *file)
{
    const sip_import_lang lang = io->o.lang;
    sip_import_summary s;
    size_t shown = 0;

    sip_import_summary_get(imp, &s);
    printf("%s: %s %s, %s, %s '%s', %zu %s\n", file,
           text(lang, "Profil", "profile"), s.profile, s.encoding,
           text(lang, "Trennzeichen", "delimiter"),
           s.delimiter == '\t' ? "TAB" : (char[]){s.delimiter, '\0'}, s.rows,
           text(lang, "Zeilen", "rows"));
    if (s.planned) {
        for (int a = 0; a < SIP_IMPORT_ACTION__COUNT; a++) {
            const char *label =
                sip_import_action_label((sip_import_action)a, lang);
            /* pad by characters, not bytes: labels hold umlauts */
            int pad = 24 - (int)g_utf8_strlen(label, -1);
            printf("  %s%*s %8zu\n", label, pad > 0 ? pad : 0, "", s.count[a]);
        }
    }
    for (size_t i = 0; i < sip_import_row_count(imp); i++) {
        sip_import_row_info r;
        sip_import_row(imp, i, &r);
        if (r.action != SIP_IMPORT_ERROR) {
            continue;
        }
        if (shown++ < 50) {
            fprintf(stderr, "idmctl: %s\n", r.message);
        }
    }
    if (shown > 50) {
        fprintf(stderr, "idmctl: %s %zu %s\n", text(lang, "und", "and"),
                shown - 50,
                text(lang, "weitere (siehe --report)", "more (see --report)"));
    }
}

static json_t *summary_json(const sip_import *imp, const struct import_opts *io,
                            const char *file, const idm_err *err)
{
    sip_import_summary s;
    json_t *counts = json_object(), *errors = json_array(),
           *timings = json_object(), *root;
    char delim[4];

    sip_import_summary_get(imp, &s);
    snprintf(delim, sizeof(delim), "%s",
             s.delimiter == '\t' ? "tab" : (char[]){s.delimiter, '\0'});
    for (int a = 0; a < SIP_IMPORT_ACTION__COUNT; a++) {
        json_object_set_new(counts,
                            sip_import_action_name((sip_import_action)a),
                            json_integer((json_int_t)s.count[a]));
    }
    for (size_t i = 0; i < sip_import_row_count(imp); i++) {
        sip_import_row_info r;
        sip_import_row(imp, i, &r);
        if (r.action == SIP_IMPORT_ERROR) {
            json_array_append_new(
                errors, json_pack("{s:i, s:o, s:s}", "line", r.line, "key",
                                  cli_json_str(r.key), "message", r.message));
        }
    }
    root = json_pack(
        "{s:s, s:s, s:s, s:s, s:I, s:b, s:b, s:b, s:I, s:o, "
        "s:o, s:o, s:o, s:o}",
        "file", file, "profile", s.profile, "encoding", s.encoding, "delimiter",
        delim, "rows", (json_int_t)s.rows, "dry_run", io->dry_run, "planned",
        s.planned, "applied", s.applied, "changes", (json_int_t)s.changes,
        "counts", counts, "errors", errors, "refused",
        cli_json_str(err != NULL && err->code != 0 ? err->msg : NULL), "report",
        cli_json_str(io->report), "letters",
        cli_json_str(s.applied ? io->letters : NULL));
    /* seconds per step, in the order they ran (benchmark, diagnosis) */
    for (size_t i = 0; i < sip_import_timing_count(imp); i++) {
        sip_import_timing t;
        sip_import_timing_get(imp, i, &t);
        json_object_set_new(timings, t.name, json_real(t.seconds));
    }
    json_object_set_new(root, "timings", timings);
    return root;
}

static int import_sip(cli_ctx *ctx, int argc, char **argv)
{
    const cli_cmd *cmd = &cmds[0];
    struct import_opts io;
    struct progress prog;
    sip_import *imp = NULL;
    idm_err err = IDM_ERR_INIT, rerr = IDM_ERR_INIT;
    sip_import_summary s;
    const char *file;
    int done, rc, run_rc;

    memset(&io, 0, sizeof(io));
    memset(&prog, 0, sizeof(prog));
    io.o = (sip_import_opts)SIP_IMPORT_OPTS_INIT;
    io.o.schools = io.schools;
    rc = cli_getopt(cmd, argc, argv, longopts, on_opt, &io, 1, &done);
    if (rc != 0 || done) {
        return rc;
    }
    file = argv[optind];
    if (io.o.nschools == 0) {
        return cli_usage(cmd, "--school is required (the scope of the run)");
    }
    if (io.too_many_schools) {
        return cli_usage(cmd, "at most %d --school options", MAX_SCHOOLS);
    }
    if (io.bad_number) {
        return cli_usage(cmd, "--max-errors needs a whole number >= 0");
    }
    if (io.delim_bad) {
        return cli_usage(cmd, "--delimiter must be ';', ',' or tab");
    }
    if (io.dry_run && io.letters != NULL) {
        return cli_usage(cmd, "--letters needs a real run (no --dry-run): "
                              "a dry run creates no passwords");
    }
    io.o.lang = pick_lang();
    prog.lang = io.o.lang;
    if (!io.json && isatty(STDERR_FILENO)) {
        io.o.progress = on_progress;
        io.o.progress_data = &prog;
    }
    rc = cli_db(ctx);
    if (rc != 0) {
        return rc;
    }
    if (sip_import_read(&imp, file, &io.o, &err) != 0) {
        if (io.json) {
            cli_json_print(json_pack("{s:s, s:b, s:s}", "file", file, "applied",
                                     0, "refused", err.msg));
            return CLI_FAIL;
        }
        return cli_fail(ctx, &err);
    }
    run_rc = sip_import_run(imp, ctx->db, ctx->conf, &ctx->actor, io.dry_run,
                            io.letters, &err);
    if (io.report != NULL &&
        sip_import_report_write(imp, io.report, &rerr) != 0) {
        cli_fail(ctx, &rerr);
        rc = CLI_FAIL;
    }
    sip_import_summary_get(imp, &s);
    if (io.json) {
        cli_json_print(summary_json(imp, &io, file, run_rc != 0 ? &err : NULL));
    } else {
        const sip_import_lang lang = io.o.lang;
        print_summary(imp, &io, file);
        if (run_rc == 0 && io.dry_run) {
            printf("%s: %zu %s\n",
                   text(lang, "Probelauf, nichts geschrieben",
                        "dry run, nothing written"),
                   s.changes,
                   text(lang, "Änderung(en) geplant", "change(s) planned"));
        } else if (run_rc == 0) {
            printf("%s: %zu %s\n", text(lang, "übernommen", "applied"),
                   s.changes, text(lang, "Änderung(en)", "change(s)"));
            if (s.count[SIP_IMPORT_NEW] > 0 && io.letters == NULL) {
                fprintf(stderr, "idmctl: %s\n",
                        text(lang,
                             "ohne --letters sind die Erstpasswörter der neuen "
                             "Personen nirgends festgehalten; mit idmctl user "
                             "set-password neu setzen",
                             "without --letters the initial passwords of the "
                             "new persons are kept nowhere; reset them with "
                             "idmctl user set-password"));
            }
        }
    }
    if (run_rc != 0) {
        if (!io.json) {
            cli_fail(ctx, &err);
        }
        rc = CLI_FAIL;
    }
    sip_import_free(imp);
    return rc;
}

static int import_profiles(cli_ctx *ctx, int argc, char **argv)
{
    const cli_cmd *cmd = &cmds[1];
    const char *const *names = sip_import_profile_names();
    int done, rc;

    (void)ctx;
    if (argc == 2 && argv[1][0] != '-') {
        const char *t = sip_import_profile_text(argv[1]);
        if (t == NULL) {
            fprintf(stderr, "idmctl: no shipped profile \"%s\"\n", argv[1]);
            return CLI_FAIL;
        }
        fputs(t, stdout);
        return CLI_OK;
    }
    rc = cli_getopt(cmd, argc, argv, longopts, on_opt, &(struct import_opts){0},
                    0, &done);
    if (rc != 0 || done) {
        return rc;
    }
    for (size_t i = 0; names[i] != NULL; i++) {
        printf("%s\n", names[i]);
    }
    return CLI_OK;
}

int cmd_import(cli_ctx *ctx, int argc, char **argv)
{
    return cli_dispatch(ctx, "import", cmds, argc, argv);
}
