/* SPDX-License-Identifier: EUPL-1.2
 * idmctl policy check|explain|matrix: validate the rights policies, explain
 * one decision, and print the roles x applications matrix for data
 * protection officers.
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "cli.h"
#include "idm/policy.h"
#include "idm/user.h"

static int policy_check(cli_ctx *ctx, int argc, char **argv);
static int policy_explain(cli_ctx *ctx, int argc, char **argv);
static int policy_matrix(cli_ctx *ctx, int argc, char **argv);

static const cli_cmd cmds[] = {
    {"check", policy_check, "validate policy files",
     "usage: idmctl policy check [FILE...]\n"
     "  Without files: the whole policy directory ([policy] dir). Every\n"
     "  problem is printed as FILE:LINE: message; exit 1 if there is one.\n"},
    {"explain", policy_explain, "explain one decision",
     "usage: idmctl policy explain --user LOGIN --app KEY [--date YYYY-MM-DD]"
     " [--json]\n"
     "  The decision (allow, reauth, deny), the rule that decided it and\n"
     "  the attributes the application would receive.\n"},
    {"matrix", policy_matrix, "roles x applications table",
     "usage: idmctl policy matrix [--csv | --json]\n"
     "  For a person holding one role: allow, reauth (fresh login every\n"
     "  time) or deny; \"(cond)\" marks rules with conditions (staff group,\n"
     "  age, flags), \":ROLE\" the application role granted.\n"},
    {NULL, NULL, NULL, NULL},
};

struct policy_opts {
    const char *user;
    const char *app;
    const char *date;
    int json;
    int csv;
};

static int on_opt(int opt, const char *arg, void *data)
{
    struct policy_opts *o = data;

    switch (opt) {
    case 'u':
        o->user = arg;
        break;
    case 'a':
        o->app = arg;
        break;
    case 'd':
        o->date = arg;
        break;
    case 'j':
        o->json = 1;
        break;
    case 'c':
        o->csv = 1;
        break;
    }
    return 0;
}

static const struct option longopts[] = {
    {"user", required_argument, NULL, 'u'},
    {"app", required_argument, NULL, 'a'},
    {"date", required_argument, NULL, 'd'},
    {"json", no_argument, NULL, 'j'},
    {"csv", no_argument, NULL, 'c'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* The policy directory: from the config if one is given, else built in. */
static int policy_dir(cli_ctx *ctx, const char **out)
{
    idm_err err = IDM_ERR_INIT;

    if (ctx->config_path != NULL) {
        int rc = cli_conf(ctx);
        if (rc != 0) {
            return rc;
        }
    } else if (ctx->conf == NULL && idm_conf_defaults(&ctx->conf, &err) != 0) {
        return cli_fail(ctx, &err);
    }
    *out = idm_policy_conf_get(ctx->conf)->dir;
    return 0;
}

static void print_diag(void *data, const char *file, int line, const char *msg)
{
    int *count = data;

    (*count)++;
    fprintf(stderr, "%s:%d: %s\n", file, line, msg);
}

static int load(cli_ctx *ctx, idm_policy **out)
{
    idm_err err = IDM_ERR_INIT;
    const char *dir = NULL;
    int count = 0, rc = policy_dir(ctx, &dir);

    if (rc != 0) {
        return rc;
    }
    if (idm_policy_load(out, dir, print_diag, &count, &err) != 0) {
        fprintf(stderr, "idmctl: the policy in \"%s\" has %d problem(s)\n", dir,
                count);
        return CLI_FAIL;
    }
    return 0;
}

static int policy_check(cli_ctx *ctx, int argc, char **argv)
{
    struct policy_opts o = {0};
    idm_err err = IDM_ERR_INIT;
    idm_policy *policy = NULL;
    const char *dir = NULL;
    char *schema_dir;
    int done, rc, count = 0;

    optind = 0;
    rc = cli_getopt(&cmds[0], argc, argv, longopts, on_opt, &o, -1, &done);
    if (rc != 0 || done) {
        return rc;
    }
    if (optind >= argc) {
        rc = load(ctx, &policy);
        if (rc == 0) {
            printf("policy ok: %zu applications\n",
                   idm_policy_app_count(policy));
        }
        idm_policy_unref(policy);
        return rc;
    }
    rc = policy_dir(ctx, &dir);
    if (rc != 0) {
        return rc;
    }
    schema_dir = g_build_filename(dir, "schema", NULL);
    rc = idm_policy_check_files(schema_dir, (const char *const *)argv + optind,
                                (size_t)(argc - optind), print_diag, &count,
                                &err);
    g_free(schema_dir);
    if (rc != 0) {
        fprintf(stderr, "idmctl: %d problem(s)\n", count);
        return CLI_FAIL;
    }
    printf("%d file(s) ok\n", argc - optind);
    return CLI_OK;
}

static json_t *values_json(char **values)
{
    json_t *arr = json_array();

    for (size_t i = 0; values != NULL && values[i] != NULL; i++) {
        json_array_append_new(arr, json_string(values[i]));
    }
    return arr;
}

static int policy_explain(cli_ctx *ctx, int argc, char **argv)
{
    struct policy_opts o = {0};
    idm_err err = IDM_ERR_INIT;
    idm_policy *policy = NULL;
    idm_subject *subject = NULL;
    idm_decision d;
    idm_attr_value *values = NULL;
    size_t nvalues = 0;
    int done, rc;

    rc = cli_getopt(&cmds[1], argc, argv, longopts, on_opt, &o, 0, &done);
    if (rc != 0 || done) {
        return rc;
    }
    if (o.user == NULL || o.app == NULL) {
        return cli_usage(&cmds[1], "--user and --app are required");
    }
    if (o.date != NULL) {
        char iso[11];
        if (idm_date_parse(iso, "date", o.date, &err) != 0) {
            return cli_usage(&cmds[1], "%s", err.msg);
        }
    }
    rc = load(ctx, &policy);
    if (rc == 0) {
        rc = cli_db(ctx);
    }
    if (rc == 0) {
        rc = cli_authorize(ctx, "policy.explain", NULL, 0, o.user);
    }
    if (rc != 0) {
        goto cleanup;
    }
    if (idm_subject_load(&subject, ctx->db, o.user, &err) != 0) {
        rc = cli_fail(ctx, &err);
        goto cleanup;
    }
    idm_policy_decide(&d, policy, o.app, subject, o.date);
    idm_policy_release(&values, &nvalues, &d, subject);
    if (o.json) {
        json_t *attrs = json_array();
        for (size_t i = 0; i < nvalues; i++) {
            json_array_append_new(attrs,
                                  json_pack("{s:s, s:s, s:o}", "name",
                                            values[i].info->name, "saml",
                                            values[i].info->saml, "values",
                                            values_json(values[i].values)));
        }
        cli_json_print(
            json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:b, s:i, s:o, s:o}",
                      "user", subject->login, "app", o.app, "decision",
                      idm_verdict_name(d.verdict), "rule",
                      cli_json_str(d.rule_id), "grants", cli_json_str(d.grants),
                      "reason", d.reason, "privacy_reduced", d.privacy_reduced,
                      "session_max", d.session_max, "nameid",
                      d.verdict == IDM_VERDICT_DENY
                          ? json_array()
                          : json_pack("[s?, s?]",
                                      d.nameid_persistent ? "persistent" : NULL,
                                      d.nameid_transient ? "transient" : NULL),
                      "attributes", attrs));
    } else {
        printf("decision:   %s\n", idm_verdict_name(d.verdict));
        printf("reason:     %s\n", d.reason);
        if (d.verdict != IDM_VERDICT_DENY) {
            printf("rule:       %s (grants \"%s\")\n", d.rule_id, d.grants);
            printf("session:    at most %d s\n", d.session_max);
            printf("nameid:     %s%s%s\n",
                   d.nameid_persistent ? "persistent" : "",
                   d.nameid_persistent && d.nameid_transient ? ", " : "",
                   d.nameid_transient ? "transient" : "");
            if (d.privacy_reduced) {
                printf("privacy:    names and school data withheld "
                       "(Auskunftssperre / GDPR Art. 18)\n");
            }
            printf("attributes:\n");
            for (size_t i = 0; i < nvalues; i++) {
                gchar *joined = values[i].values[0] != NULL
                                    ? g_strjoinv(", ", values[i].values)
                                    : g_strdup("(computed per application)");
                printf("  %-27s %s\n", values[i].info->name, joined);
                g_free(joined);
            }
        }
    }
    /* a denial is an answer, not a failure of the command */
    rc = CLI_OK;
cleanup:
    idm_attr_values_free(values, nvalues);
    idm_subject_free(subject);
    idm_policy_unref(policy);
    return rc;
}

static void cell_text(char *buf, size_t size, idm_verdict v, const char *grants,
                      int conditional)
{
    snprintf(
        buf, size, "%s%s%s%s", idm_verdict_name(v),
        v != IDM_VERDICT_DENY && grants != NULL && strcmp(grants, "user") != 0
            ? ":"
            : "",
        v != IDM_VERDICT_DENY && grants != NULL && strcmp(grants, "user") != 0
            ? grants
            : "",
        conditional ? " (cond)" : "");
}

static int policy_matrix(cli_ctx *ctx, int argc, char **argv)
{
    struct policy_opts o = {0};
    idm_policy *policy = NULL;
    json_t *rows = NULL;
    size_t napps;
    int done, rc;

    rc = cli_getopt(&cmds[2], argc, argv, longopts, on_opt, &o, 0, &done);
    if (rc != 0 || done) {
        return rc;
    }
    rc = load(ctx, &policy);
    if (rc != 0) {
        return rc;
    }
    napps = idm_policy_app_count(policy);
    if (o.json) {
        rows = json_array();
    } else if (o.csv) {
        printf("role");
        for (size_t a = 0; a < napps; a++) {
            printf(",%s", idm_policy_app_at(policy, a)->key);
        }
        printf("\n");
    } else {
        printf("%-18s", "ROLE");
        for (size_t a = 0; a < napps; a++) {
            printf(" %-18s", idm_policy_app_at(policy, a)->key);
        }
        printf("\n");
    }
    for (int r = 0; r < IDM_ROLE__COUNT; r++) {
        const idm_role_info *role = idm_role_get((idm_role)r);
        json_t *cells = json_object();

        if (o.csv) {
            printf("%s", role->name);
        } else if (!o.json) {
            printf("%-18s", role->name);
        }
        for (size_t a = 0; a < napps; a++) {
            const idm_app *app = idm_policy_app_at(policy, a);
            const char *grants;
            int conditional;
            idm_verdict v = idm_policy_role_verdict(
                policy, app->key, role->role, &grants, &conditional);
            char cell[64];

            cell_text(cell, sizeof(cell), v, grants, conditional);
            if (o.json) {
                json_object_set_new(
                    cells, app->key,
                    json_pack(
                        "{s:s, s:o, s:b}", "decision", idm_verdict_name(v),
                        "grants",
                        cli_json_str(v != IDM_VERDICT_DENY ? grants : NULL),
                        "conditional", conditional));
            } else if (o.csv) {
                printf(",%s", cell);
            } else {
                printf(" %-18s", cell);
            }
        }
        if (o.json) {
            json_array_append_new(rows, json_pack("{s:s, s:o}", "role",
                                                  role->name, "apps", cells));
        } else {
            json_decref(cells);
            printf("\n");
        }
    }
    if (o.json) {
        cli_json_print(rows);
    }
    idm_policy_unref(policy);
    return CLI_OK;
}

int cmd_policy(cli_ctx *ctx, int argc, char **argv)
{
    return cli_dispatch(ctx, "policy", cmds, argc, argv);
}
