/* SPDX-License-Identifier: EUPL-1.2
 * idmctl user ...: persons and accounts.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "idm/password.h"
#include "idm/role.h"
#include "idm/user.h"

#define MAX_GUARDIAN_OF 16

static int user_add(cli_ctx *ctx, int argc, char **argv);
static int user_show(cli_ctx *ctx, int argc, char **argv);
static int user_list(cli_ctx *ctx, int argc, char **argv);
static int user_status(cli_ctx *ctx, int argc, char **argv);
static int user_set_password(cli_ctx *ctx, int argc, char **argv);
static int user_passwd_check(cli_ctx *ctx, int argc, char **argv);

#define STATUS_USAGE(verb, what) "usage: idmctl user " verb " LOGIN" what "\n"

static const cli_cmd cmds[] = {
    {"add", user_add, "create a person with an account",
     "usage: idmctl user add --given NAME --family NAME [options]\n"
     "  --given, --family   names in full Unicode (DIN 91379)\n"
     "  --birth DATE        birth date, YYYY-MM-DD or DD.MM.YYYY\n"
     "  --login LOGIN       explicit login (default: generated from the\n"
     "                      [login] pattern, e.g. anna.mueller2)\n"
     "  --school NR | --org CODE  unit of the first role\n"
     "  --role ROLE         pupil, teacher, trainee, pedagogical_staff,\n"
     "                      municipal_staff, school_leader, guardian,\n"
     "                      authority_staff, ministry_staff, school_admin,\n"
     "                      authority_admin, ministry_admin\n"
     "  --class NAME        class or group of that role (--year 2026/27)\n"
     "  --source S --key K  external key, e.g. --source sip --key 4711\n"
     "  --guardian-of LOGIN pupil this guardian is responsible for "
     "(repeatable)\n"
     "  --password-stdin    read the password from standard input; it must\n"
     "                      pass the rules of a person's own change\n"
     "                      (length, no dictionary word, no simple runs,\n"
     "                      not the login); otherwise one is generated,\n"
     "                      printed once, and must be changed at first\n"
     "                      login\n"
     "  --must-change       require a change at first login\n"
     "  --info-block        information-release block (Auskunftssperre)\n"
     "  --restricted        processing restriction (GDPR Art. 18)\n"
     "  --json              JSON output\n"
     "Prints the login; a generated password follows on a second line.\n"
     "example: idmctl user add --school 75123 --role teacher --given Anna \\\n"
     "           --family Müller-Lüdenscheidt --password-stdin\n"},
    {"show", user_show, "show one account",
     "usage: idmctl user show LOGIN "
     "[--json]\n"},
    {"list", user_list, "list accounts",
     "usage: idmctl user list [--org CODE|--school NR] [--role ROLE]\n"
     "                        [--status STATUS] [--limit N] [--json]\n"
     "  --org     users with a role at this unit or below it\n"
     "  --status  active, locked, disabled or deleted (default: all but "
     "deleted)\n"},
    {"lock", user_status, "lock an account (administrative)",
     STATUS_USAGE("lock", "")},
    {"unlock", user_status, "unlock; also clears failed-login throttling",
     STATUS_USAGE("unlock", "")},
    {"disable", user_status, "disable an account", STATUS_USAGE("disable", "")},
    {"enable", user_status, "enable a disabled account",
     STATUS_USAGE("enable", "")},
    {"delete", user_status, "delete an account (the login is never reused)",
     STATUS_USAGE("delete", " --yes") "  Ends all roles and memberships and "
                                      "removes the password hash.\n"},
    {"set-password", user_set_password, "set or generate a password",
     "usage: idmctl user set-password LOGIN [--password-stdin] "
     "[--must-change]\n"
     "  Without --password-stdin a password is generated, printed once, and\n"
     "  must be changed at the next login. A password from standard input\n"
     "  must pass the rules of a person's own change ([password] min_length,\n"
     "  no dictionary word or common password, no simple runs or repeats,\n"
     "  not the login); there is no way around them: for a password the\n"
     "  person does not know yet, let one be generated.\n"},
    {"passwd-check", user_passwd_check, "check a password (read from stdin)",
     "usage: idmctl user passwd-check LOGIN < password\n"
     "  Exit 0 if the password is right. Counts as a login attempt: failures\n"
     "  are counted and throttled, and an outdated hash is upgraded.\n"},
    {NULL, NULL, NULL, NULL},
};

struct user_opts {
    idm_user_new u;
    const char *guardians[MAX_GUARDIAN_OF + 1];
    int nguardians;
    const char *status;
    const char *limit;
    int password_stdin;
    int json;
    int yes;
};

static int on_opt(int opt, const char *arg, void *data)
{
    struct user_opts *o = data;

    switch (opt) {
    case 'g':
        o->u.given_name = arg;
        break;
    case 'f':
        o->u.family_name = arg;
        break;
    case 'b':
        o->u.birth_date = arg;
        break;
    case 'l':
        o->u.login = arg;
        break;
    case 'o':
        o->u.org_code = arg;
        break;
    case 'r':
        o->u.role = arg;
        break;
    case 'c':
        o->u.group_name = arg;
        break;
    case 'y':
        o->u.group_year = arg;
        break;
    case 'S':
        o->u.source = arg;
        break;
    case 'K':
        o->u.external_key = arg;
        break;
    case 'P':
        o->password_stdin = 1;
        break;
    case 'm':
        o->u.must_change_password = 1;
        break;
    case 'I':
        o->u.info_block = 1;
        break;
    case 'R':
        o->u.processing_restricted = 1;
        break;
    case 's':
        o->status = arg;
        break;
    case 'L':
        o->limit = arg;
        break;
    case 'j':
        o->json = 1;
        break;
    case 'Y':
        o->yes = 1;
        break;
    case 'G':
        if (o->nguardians >= MAX_GUARDIAN_OF) {
            fprintf(stderr, "idmctl: guardian-of: at most %d pupils\n",
                    MAX_GUARDIAN_OF);
            return CLI_USAGE;
        }
        o->guardians[o->nguardians++] = arg;
        break;
    }
    return 0;
}

static const struct option longopts[] = {
    {"given", required_argument, NULL, 'g'},
    {"family", required_argument, NULL, 'f'},
    {"birth", required_argument, NULL, 'b'},
    {"login", required_argument, NULL, 'l'},
    {"school", required_argument, NULL, 'o'},
    {"org", required_argument, NULL, 'o'},
    {"role", required_argument, NULL, 'r'},
    {"class", required_argument, NULL, 'c'},
    {"group", required_argument, NULL, 'c'},
    {"year", required_argument, NULL, 'y'},
    {"source", required_argument, NULL, 'S'},
    {"key", required_argument, NULL, 'K'},
    {"password-stdin", no_argument, NULL, 'P'},
    {"must-change", no_argument, NULL, 'm'},
    {"info-block", no_argument, NULL, 'I'},
    {"restricted", no_argument, NULL, 'R'},
    {"guardian-of", required_argument, NULL, 'G'},
    {"status", required_argument, NULL, 's'},
    {"limit", required_argument, NULL, 'L'},
    {"json", no_argument, NULL, 'j'},
    {"yes", no_argument, NULL, 'Y'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const cli_cmd *find_cmd(const char *name)
{
    for (const cli_cmd *c = cmds; c->name != NULL; c++) {
        if (strcmp(c->name, name) == 0) {
            return c;
        }
    }
    return &cmds[0];
}

/* Parse options and require exactly nargs positional arguments. */
static int parse(const cli_cmd *cmd, struct user_opts *o, int argc, char **argv,
                 int nargs, int *done)
{
    return cli_getopt(cmd, argc, argv, longopts, on_opt, o, nargs, done);
}

static json_t *strv_json(char **v)
{
    json_t *arr = json_array();

    for (size_t i = 0; v != NULL && v[i] != NULL; i++) {
        json_array_append_new(arr, json_string(v[i]));
    }
    return arr;
}

static json_t *user_json(const idm_user *u)
{
    json_t *obj = json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:b, s:b, s:b, s:i, s:o, "
        "s:o, s:o}",
        "login", u->login, "uuid", u->uuid, "given_name", u->given_name,
        "family_name", u->family_name, "birth_date",
        cli_json_str(u->birth_date), "status",
        idm_account_status_name(u->status), "created_at",
        cli_json_str(u->created_at), "status_changed_at",
        cli_json_str(u->status_changed_at), "must_change_password",
        u->must_change_password, "info_block", u->info_block,
        "processing_restricted", u->processing_restricted, "failed_logins",
        u->failed_logins, "locked_until", cli_json_str(u->locked_until),
        "last_login_at", cli_json_str(u->last_login_at), "password_changed_at",
        cli_json_str(u->password_changed_at));

    if (u->external_keys != NULL) {
        json_object_set_new(obj, "external_keys", strv_json(u->external_keys));
    }
    if (u->guardian_of != NULL) {
        json_object_set_new(obj, "guardian_of", strv_json(u->guardian_of));
    }
    return obj;
}

static int user_add(cli_ctx *ctx, int argc, char **argv)
{
    struct user_opts o = {0};
    idm_err err = IDM_ERR_INIT;
    idm_pw_problem problem = IDM_PW_OK;
    char *password = NULL, *login = NULL, *generated = NULL;
    int done, rc;

    rc = parse(&cmds[0], &o, argc, argv, 0, &done);
    if (rc != 0 || done) {
        return rc;
    }
    if (o.u.given_name == NULL || o.u.family_name == NULL) {
        return cli_usage(&cmds[0], "--given and --family are required");
    }
    o.u.guardian_of = o.nguardians > 0 ? o.guardians : NULL;
    rc = cli_db(ctx);
    if (rc != 0) {
        return rc;
    }
    rc = cli_authorize(ctx, "user.add", &o.u.org_code, 1, NULL);
    if (rc != 0) {
        return rc;
    }
    if (o.password_stdin) {
        if (cli_read_password(&password, &err) != 0) {
            return cli_fail(ctx, &err);
        }
        o.u.password = password;
        o.u.password_problem = &problem;
    }
    if (idm_user_add(&login, &generated, ctx->db, ctx->conf, &ctx->actor, &o.u,
                     &err) != 0) {
        rc = cli_fail_password(ctx, problem, &err);
        goto cleanup;
    }
    if (o.json) {
        cli_json_print(json_pack("{s:s, s:o}", "login", login, "password",
                                 cli_json_str(generated)));
    } else {
        printf("%s\n", login);
        if (generated != NULL) {
            printf("%s\n", generated);
        }
    }
    rc = CLI_OK;
cleanup:
    idm_password_free(password);
    idm_password_free(generated);
    free(login);
    return rc;
}

static int user_show(cli_ctx *ctx, int argc, char **argv)
{
    struct user_opts o = {0};
    idm_err err = IDM_ERR_INIT;
    idm_user *u = NULL;
    int done, rc;

    rc = parse(&cmds[1], &o, argc, argv, 1, &done);
    if (rc != 0 || done) {
        return rc;
    }
    rc = cli_db(ctx);
    if (rc != 0) {
        return rc;
    }
    rc = cli_authorize(ctx, "user.show", NULL, 0, argv[optind]);
    if (rc != 0) {
        return rc;
    }
    if (idm_user_lookup(&u, ctx->db, argv[optind], &err) != 0) {
        return cli_fail(ctx, &err);
    }
    if (o.json) {
        cli_json_print(user_json(u));
    } else {
        printf("login:         %s\n", u->login);
        printf("uuid:          %s\n", u->uuid);
        printf("name:          %s %s\n", u->given_name, u->family_name);
        printf("birth date:    %s\n",
               u->birth_date != NULL ? u->birth_date : "-");
        printf("status:        %s (since %s)\n",
               idm_account_status_name(u->status), u->status_changed_at);
        printf("must change:   %s\n", u->must_change_password ? "yes" : "no");
        printf("failed logins: %d%s%s\n", u->failed_logins,
               u->locked_until != NULL ? ", locked until " : "",
               u->locked_until != NULL ? u->locked_until : "");
        printf("last login:    %s\n",
               u->last_login_at != NULL ? u->last_login_at : "-");
        printf("privacy:       %s%s%s\n",
               u->info_block ? "Auskunftssperre " : "",
               u->processing_restricted ? "restricted (GDPR Art. 18)" : "",
               !u->info_block && !u->processing_restricted ? "-" : "");
        for (size_t i = 0; u->external_keys[i] != NULL; i++) {
            printf("external key:  %s\n", u->external_keys[i]);
        }
        for (size_t i = 0; u->guardian_of[i] != NULL; i++) {
            printf("guardian of:   %s\n", u->guardian_of[i]);
        }
        printf("created:       %s\n", u->created_at);
    }
    idm_user_free(u);
    return CLI_OK;
}

static int user_list(cli_ctx *ctx, int argc, char **argv)
{
    struct user_opts o = {0};
    idm_user_filter f = IDM_USER_FILTER_INIT;
    idm_err err = IDM_ERR_INIT;
    idm_user *list = NULL;
    idm_account_status st;
    size_t n = 0;
    int done, rc;

    rc = parse(&cmds[2], &o, argc, argv, 0, &done);
    if (rc != 0 || done) {
        return rc;
    }
    if (o.status != NULL) {
        if (idm_account_status_parse(&st, o.status) != 0) {
            return cli_usage(&cmds[2], "status: \"%s\" is not a status",
                             o.status);
        }
        f.status = (int)st;
    }
    if (o.limit != NULL) {
        char *end;
        long v = strtol(o.limit, &end, 10);
        if (*end != '\0' || v <= 0 || v > 1000000) {
            return cli_usage(&cmds[2], "limit: \"%s\" is not 1..1000000",
                             o.limit);
        }
        f.limit = (int)v;
    }
    if (o.u.role != NULL && idm_role_lookup(o.u.role) == NULL) {
        return cli_usage(&cmds[2],
                         "role: \"%s\" is not a role (see idmctl "
                         "role mapping)",
                         o.u.role);
    }
    f.org_code = o.u.org_code;
    f.role = o.u.role;
    rc = cli_db(ctx);
    if (rc == 0) {
        rc = cli_require_org(ctx, f.org_code);
    }
    rc = cli_authorize(ctx, "user.list", &f.org_code, 1, NULL);
    if (rc != 0) {
        return rc;
    }
    if (rc != 0) {
        return rc;
    }
    if (idm_user_list(&list, &n, ctx->db, &f, &err) != 0) {
        return cli_fail(ctx, &err);
    }
    if (o.json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
            json_array_append_new(arr, user_json(&list[i]));
        }
        cli_json_print(arr);
    } else {
        printf("%-32s %-9s %-36s %s\n", "LOGIN", "STATUS", "UUID", "NAME");
        for (size_t i = 0; i < n; i++) {
            printf("%-32s %-9s %-36s %s %s\n", list[i].login,
                   idm_account_status_name(list[i].status), list[i].uuid,
                   list[i].given_name, list[i].family_name);
        }
    }
    idm_users_free(list, n);
    return CLI_OK;
}

static int user_status(cli_ctx *ctx, int argc, char **argv)
{
    static const struct {
        const char *name;
        idm_user_action action;
        const char *done;
    } actions[] = {
        {"lock", IDM_USER_LOCK, "locked"},
        {"unlock", IDM_USER_UNLOCK, "unlocked"},
        {"disable", IDM_USER_DISABLE, "disabled"},
        {"enable", IDM_USER_ENABLE, "enabled"},
        {"delete", IDM_USER_DELETE, "deleted"},
    };
    const cli_cmd *cmd = find_cmd(argv[0]);
    struct user_opts o = {0};
    idm_err err = IDM_ERR_INIT;
    size_t a;
    int done, rc;

    char action_name[32];

    for (a = 0; strcmp(actions[a].name, argv[0]) != 0; a++) {
    }
    snprintf(action_name, sizeof(action_name), "user.%s", actions[a].name);
    rc = parse(cmd, &o, argc, argv, 1, &done);
    if (rc != 0 || done) {
        return rc;
    }
    if (actions[a].action == IDM_USER_DELETE && !o.yes) {
        return cli_usage(cmd, "deleting \"%s\" cannot be undone: add --yes",
                         argv[optind]);
    }
    rc = cli_db(ctx);
    if (rc != 0) {
        return rc;
    }
    rc = cli_authorize(ctx, action_name, NULL, 0, argv[optind]);
    if (rc != 0) {
        return rc;
    }
    if (idm_user_set_status(ctx->db, &ctx->actor, argv[optind],
                            actions[a].action, &err) != 0) {
        return cli_fail(ctx, &err);
    }
    printf("%s: %s\n", argv[optind], actions[a].done);
    return CLI_OK;
}

static int user_set_password(cli_ctx *ctx, int argc, char **argv)
{
    struct user_opts o = {0};
    idm_err err = IDM_ERR_INIT;
    idm_pw_problem problem = IDM_PW_OK;
    char *password = NULL;
    int done, rc;

    rc = parse(&cmds[8], &o, argc, argv, 1, &done);
    if (rc != 0 || done) {
        return rc;
    }
    rc = cli_db(ctx);
    if (rc != 0) {
        return rc;
    }
    rc = cli_authorize(ctx, "user.set_password", NULL, 0, argv[optind]);
    if (rc != 0) {
        return rc;
    }
    rc = o.password_stdin ? cli_read_password(&password, &err)
                          : idm_password_generate(&password, 16, &err);
    if (rc != 0) {
        return cli_fail(ctx, &err);
    }
    if (idm_user_set_password(
            &problem, ctx->db, ctx->conf, &ctx->actor, argv[optind], password,
            o.u.must_change_password || !o.password_stdin, &err) != 0) {
        rc = cli_fail_password(ctx, problem, &err);
    } else {
        if (!o.password_stdin) {
            printf("%s\n", password);
        } else {
            printf("%s: password set\n", argv[optind]);
        }
        rc = CLI_OK;
    }
    idm_password_free(password);
    return rc;
}

static int user_passwd_check(cli_ctx *ctx, int argc, char **argv)
{
    struct user_opts o = {0};
    idm_err err = IDM_ERR_INIT;
    idm_auth_result res;
    char *password = NULL;
    int done, rc;

    rc = parse(&cmds[9], &o, argc, argv, 1, &done);
    if (rc != 0 || done) {
        return rc;
    }
    rc = cli_db(ctx);
    if (rc != 0) {
        return rc;
    }
    rc = cli_authorize(ctx, "user.passwd_check", NULL, 0, argv[optind]);
    if (rc != 0) {
        return rc;
    }
    if (cli_read_password(&password, &err) != 0) {
        return cli_fail(ctx, &err);
    }
    if (idm_user_authenticate(&res, ctx->db, ctx->conf, &ctx->actor,
                              argv[optind], password, &err) != 0) {
        rc = cli_fail(ctx, &err);
    } else {
        printf("ok%s%s\n", res.rehashed ? " (hash upgraded)" : "",
               res.must_change_password ? " (must change password)" : "");
        rc = CLI_OK;
    }
    idm_password_free(password);
    return rc;
}

int cmd_user(cli_ctx *ctx, int argc, char **argv)
{
    return cli_dispatch(ctx, "user", cmds, argc, argv);
}
