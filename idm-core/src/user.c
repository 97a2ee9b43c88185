/* SPDX-License-Identifier: EUPL-1.2
 * Persons and accounts: creation, lookup, listing and status changes.
 * Passwords and logins live in password.c/login.c, authentication in
 * auth.c.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_int.h"
#include "idm/conf.h"
#include "idm/grant.h"
#include "idm/login.h"
#include "idm/password.h"
#include "idm/user.h"

#define NAME_MAX_CHARS 200
#define GENERATED_PASSWORD_LEN 16

static const char *const status_names[] = {
    [IDM_ACCOUNT_ACTIVE] = "active",
    [IDM_ACCOUNT_LOCKED] = "locked",
    [IDM_ACCOUNT_DISABLED] = "disabled",
    [IDM_ACCOUNT_DELETED] = "deleted",
};

const char *idm_account_status_name(idm_account_status status)
{
    if ((int)status < 0 || status > IDM_ACCOUNT_DELETED) {
        return "unknown";
    }
    return status_names[status];
}

int idm_account_status_parse(idm_account_status *out, const char *name)
{
    for (int i = 0; i <= IDM_ACCOUNT_DELETED; i++) {
        if (name != NULL && strcmp(status_names[i], name) == 0) {
            *out = (idm_account_status)i;
            return 0;
        }
    }
    return IDM_EINVAL;
}

/* Strip leading and trailing Unicode white space (NBSP too), in place. */
static void trim_unicode_space(gchar *s)
{
    gchar *start = s, *end;

    while (*start != '\0' && g_unichar_isspace(g_utf8_get_char(start))) {
        start = g_utf8_next_char(start);
    }
    end = start + strlen(start);
    while (end > start) {
        gchar *prev = g_utf8_find_prev_char(start, end);
        if (prev == NULL || !g_unichar_isspace(g_utf8_get_char(prev))) {
            break;
        }
        end = prev;
    }
    memmove(s, start, (size_t)(end - start));
    s[end - start] = '\0';
}

int idm_name_normalize(char **out, const char *field, const char *name,
                       idm_err *err)
{
    gchar *nfc;
    glong chars;

    *out = NULL;
    if (name == NULL || !g_utf8_validate(name, -1, NULL)) {
        return idm_err_set(err, IDM_EINVAL, "%s: not valid UTF-8", field);
    }
    nfc = g_utf8_normalize(name, -1, G_NORMALIZE_NFC);
    if (nfc == NULL) {
        return idm_err_set(err, IDM_EINVAL, "%s: not valid UTF-8", field);
    }
    trim_unicode_space(nfc);
    chars = g_utf8_strlen(nfc, -1);
    if (chars == 0 || chars > NAME_MAX_CHARS) {
        g_free(nfc);
        return idm_err_set(err, IDM_EINVAL, "%s: must be 1 to %d characters",
                           field, NAME_MAX_CHARS);
    }
    for (gchar *p = nfc; *p != '\0'; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        GUnicodeType t = g_unichar_type(c);
        if (t == G_UNICODE_CONTROL || t == G_UNICODE_FORMAT ||
            t == G_UNICODE_UNASSIGNED || t == G_UNICODE_PRIVATE_USE ||
            t == G_UNICODE_LINE_SEPARATOR ||
            t == G_UNICODE_PARAGRAPH_SEPARATOR) {
            g_free(nfc);
            return idm_err_set(err, IDM_EINVAL,
                               "%s: holds a control or unassigned character "
                               "(U+%04X)",
                               field, (unsigned)c);
        }
    }
    *out = nfc;
    return 0;
}

int idm_date_parse(char out[11], const char *field, const char *text,
                   idm_err *err)
{
    unsigned d = 0, m = 0, y = 0;

    /* sscanf alone would accept blanks and signs: check every digit */
    if (text != NULL && strlen(text) == 10 &&
        ((idm_digits(text, 4) && text[4] == '-' && idm_digits(text + 5, 2) &&
          text[7] == '-' && idm_digits(text + 8, 2) &&
          sscanf(text, "%4u-%2u-%2u", &y, &m, &d) == 3) ||
         (idm_digits(text, 2) && text[2] == '.' && idm_digits(text + 3, 2) &&
          text[5] == '.' && idm_digits(text + 6, 4) &&
          sscanf(text, "%2u.%2u.%4u", &d, &m, &y) == 3)) &&
        y >= 1900 && y <= 9999 &&
        g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y)) {
        snprintf(out, 11, "%04u-%02u-%02u", y, m, d);
        return 0;
    }
    out[0] = '\0';
    return idm_err_set(err, IDM_EINVAL,
                       "%s: \"%s\" is not a date (YYYY-MM-DD or DD.MM.YYYY)",
                       field, text != NULL ? text : "");
}

/* A password given from outside (an administrator, a script) passes the
 * rules a person's own choice passes; problem may be NULL. */
static int check_password(idm_pw_problem *problem, const idm_conf *conf,
                          const char *login, const char *password, idm_err *err)
{
    idm_pw_problem ignored;

    return idm_password_quality(problem != NULL ? problem : &ignored, password,
                                idm_password_conf_get(conf)->min_length, login,
                                err);
}

static void conf_params(idm_argon2_params *p, const idm_conf *conf)
{
    const idm_password_conf *pc = idm_password_conf_get(conf);

    p->memory_kib = pc->argon2_memory_kib;
    p->iterations = pc->argon2_iterations;
    p->parallelism = pc->argon2_parallelism;
}

/* Link a guardian to the pupils named by login, inside the transaction. */
static int link_guardian(idm_db *db, const char *guardian_id,
                         const char *const *pupils, idm_err *err)
{
    for (size_t i = 0; pupils != NULL && pupils[i] != NULL; i++) {
        PGresult *res = NULL;
        int rc = idm_db_q(&res, db,
                          "INSERT INTO guardian_relation (guardian_id, "
                          "pupil_id) SELECT $1::bigint, person_id "
                          "FROM account WHERE lower(login) = lower($2) "
                          "AND status <> 'deleted' RETURNING pupil_id",
                          err, guardian_id, pupils[i]);
        if (rc == 0 && PQntuples(res) == 0) {
            rc = idm_err_set(err, IDM_ENOTFOUND,
                             "guardian-of: no account \"%s\"", pupils[i]);
        } else if (rc == IDM_EEXISTS) {
            idm_err_msg(err, "guardian-of: \"%s\" is given twice", pupils[i]);
        } else if (rc == IDM_EINVAL) {
            idm_err_msg(err, "guardian-of: a person cannot be their own "
                             "guardian");
        }
        PQclear(res);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

int idm_user_add(char **login_out, char **password_out, idm_db *db,
                 const idm_conf *conf, const idm_actor *actor,
                 const idm_user_new *u, idm_err *err)
{
    const idm_login_conf *lc = idm_login_conf_get(conf);
    char *given = NULL, *family = NULL, *login = NULL, *password = NULL;
    char *hash = NULL, *details = NULL, *person_id = NULL, *uuid = NULL;
    char birth[11] = "";
    idm_argon2_params params;
    PGresult *res = NULL;
    int rc, tx = 0;

    *login_out = NULL;
    if (password_out != NULL) {
        *password_out = NULL;
    }
    rc = idm_name_normalize(&given, "given", u->given_name, err);
    if (rc != 0) {
        goto cleanup;
    }
    rc = idm_name_normalize(&family, "family", u->family_name, err);
    if (rc != 0) {
        goto cleanup;
    }
    if (u->birth_date != NULL) {
        char today[11];
        GDateTime *now = g_date_time_new_now_utc();
        gchar *t = g_date_time_format(now, "%Y-%m-%d");

        snprintf(today, sizeof(today), "%s", t);
        g_free(t);
        g_date_time_unref(now);
        rc = idm_date_parse(birth, "birth", u->birth_date, err);
        if (rc != 0) {
            goto cleanup;
        }
        /* ISO dates compare as strings */
        if (strcmp(birth, "1900-01-01") <= 0 || strcmp(birth, today) > 0) {
            rc = idm_err_set(err, IDM_EINVAL,
                             "birth: %s is not a plausible birth date (after "
                             "1900-01-01, not in the future)",
                             birth);
            goto cleanup;
        }
    }
    if ((u->group_name != NULL || u->group_year != NULL) && u->role == NULL) {
        rc = idm_err_set(err, IDM_EINVAL,
                         "class: a class belongs to a role; add --role (e.g. "
                         "--role pupil)");
        goto cleanup;
    }
    if ((u->source == NULL) != (u->external_key == NULL)) {
        rc = idm_err_set(err, IDM_EINVAL,
                         "key: an external key needs both source and key");
        goto cleanup;
    }
    if ((u->role == NULL) != (u->org_code == NULL)) {
        rc = idm_err_set(err, IDM_EINVAL,
                         "%s: a role needs both a unit and a role",
                         u->role == NULL ? "role" : "school");
        goto cleanup;
    }
    if (u->role != NULL && idm_role_lookup(u->role) == NULL) {
        rc = idm_err_set(err, IDM_EINVAL, "role: unknown role \"%s\"", u->role);
        goto cleanup;
    }
    if (u->password != NULL) {
        rc = check_password(u->password_problem, conf, u->login, u->password,
                            err);
        if (rc != 0) {
            goto cleanup;
        }
        password = idm_xstrdup(u->password);
    } else {
        rc = idm_password_generate(&password, GENERATED_PASSWORD_LEN, err);
        if (rc != 0) {
            goto cleanup;
        }
    }
    conf_params(&params, conf);
    /* Hash before the transaction: it is the slow part. */
    rc = idm_password_hash(&hash, &params, password, err);
    if (rc != 0) {
        goto cleanup;
    }

    rc = idm_db_begin(db, err);
    if (rc != 0) {
        goto cleanup;
    }
    tx = 1;
    rc = idm_db_q(&res, db,
                  "INSERT INTO person (given_name, family_name, birth_date, "
                  "info_block, processing_restricted) "
                  "VALUES ($1, $2, $3::date, $4, $5) RETURNING id, uuid",
                  err, given, family, birth[0] != '\0' ? birth : NULL,
                  u->info_block ? "t" : "f",
                  u->processing_restricted ? "t" : "f");
    if (rc != 0) {
        goto cleanup;
    }
    person_id = idm_db_strdup(res, 0, 0);
    uuid = idm_db_strdup(res, 0, 1);
    PQclear(res);
    res = NULL;
    if (u->source != NULL) {
        rc = idm_db_q(NULL, db,
                      "INSERT INTO person_external_key (source, key, "
                      "person_id) VALUES ($1, $2, $3::bigint)",
                      err, u->source, u->external_key, person_id);
        if (rc == IDM_EEXISTS) {
            idm_err_msg(err,
                        "key: \"%s\" of source \"%s\" already belongs to a "
                        "person",
                        u->external_key, u->source);
        } else if (rc == IDM_EINVAL) {
            idm_err_msg(err, "key: malformed source or key");
        }
        if (rc != 0) {
            goto cleanup;
        }
    }
    if (u->login != NULL) {
        rc = idm_login_reserve(db, u->login, lc->max_length, err);
        login = rc == 0 ? idm_xstrdup(u->login) : NULL;
    } else {
        rc = idm_login_issue(&login, db, lc->pattern, lc->max_length, given,
                             family, err);
        if (rc == 0 && u->password != NULL) {
            /* the login exists only now: the password must not contain it */
            rc = check_password(u->password_problem, conf, login, u->password,
                                err);
        }
    }
    if (rc != 0) {
        goto cleanup;
    }
    rc = idm_db_q(NULL, db,
                  "INSERT INTO account (person_id, login, password_hash, "
                  "password_changed_at, must_change_password) "
                  "VALUES ($1::bigint, $2, $3, now(), $4)",
                  err, person_id, login, hash,
                  u->must_change_password || u->password == NULL ? "t" : "f");
    if (rc == IDM_EEXISTS) {
        idm_err_msg(err, "login: \"%s\" already exists", login);
    }
    if (rc != 0) {
        goto cleanup;
    }
    rc = link_guardian(db, person_id, u->guardian_of, err);
    if (rc != 0) {
        goto cleanup;
    }
    details = idm_json_pack("{s:s, s:s, s:s?, s:s?}", "uuid", uuid, "login",
                            login, "source", u->source, "key", u->external_key);
    {
        const idm_person_ref who = {.uuid = uuid, .login = login};
        rc = idm_change_person(db, actor, IDM_CHANGE_USER_ADD, &who, details,
                               err);
    }
    if (rc != 0) {
        goto cleanup;
    }
    if (u->role != NULL) {
        idm_grant_spec g = IDM_GRANT_SPEC_INIT;
        g.login = login;
        g.org_code = u->org_code;
        g.role = u->role;
        g.group_name = u->group_name;
        g.group_year = u->group_year;
        g.source = u->grant_source;
        rc = idm_grant_add(NULL, db, actor, &g, err);
        if (rc != 0) {
            goto cleanup;
        }
    }
    tx = 0;
    rc = idm_db_commit(db, err);
    if (rc != 0) {
        goto cleanup;
    }
    *login_out = login;
    login = NULL;
    if (password_out != NULL && u->password == NULL) {
        *password_out = password;
        password = NULL;
    }
cleanup:
    if (tx) {
        idm_db_rollback(db);
    }
    PQclear(res);
    g_free(given);
    g_free(family);
    free(login);
    free(person_id);
    free(uuid);
    free(details);
    free(hash);
    idm_password_free(password);
    return rc;
}

#define USER_COLUMNS                                                           \
    "p.id, p.uuid, a.login, p.given_name, p.family_name, "                     \
    "to_char(p.birth_date, 'YYYY-MM-DD'), p.info_block, "                      \
    "p.processing_restricted, a.status, "                                      \
    "to_char(a.status_changed_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "         \
    "to_char(a.created_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "                \
    "to_char(a.password_changed_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "       \
    "a.must_change_password, a.failed_logins, "                                \
    "to_char(a.locked_until, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "              \
    "to_char(a.last_login_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "              \
    "FROM account a JOIN person p ON p.id = a.person_id "

static void user_from_row(idm_user *u, const PGresult *res, int row)
{
    char *status = idm_db_strdup(res, row, 8);

    u->person_id = idm_db_int(res, row, 0);
    u->uuid = idm_db_strdup(res, row, 1);
    u->login = idm_db_strdup(res, row, 2);
    u->given_name = idm_db_strdup(res, row, 3);
    u->family_name = idm_db_strdup(res, row, 4);
    u->birth_date = idm_db_strdup(res, row, 5);
    u->info_block = idm_db_bool(res, row, 6);
    u->processing_restricted = idm_db_bool(res, row, 7);
    if (idm_account_status_parse(&u->status, status) != 0) {
        u->status = IDM_ACCOUNT_DISABLED; /* fail closed */
    }
    free(status);
    u->status_changed_at = idm_db_strdup(res, row, 9);
    u->created_at = idm_db_strdup(res, row, 10);
    u->password_changed_at = idm_db_strdup(res, row, 11);
    u->must_change_password = idm_db_bool(res, row, 12);
    u->failed_logins = (int)idm_db_int(res, row, 13);
    u->locked_until = idm_db_strdup(res, row, 14);
    u->last_login_at = idm_db_strdup(res, row, 15);
}

/* NULL-ended string array from column 0 of a result. */
static char **column_strings(const PGresult *res)
{
    int rows = PQntuples(res);
    char **v = idm_xcalloc((size_t)rows + 1, sizeof(*v));

    for (int i = 0; i < rows; i++) {
        v[i] = idm_db_strdup(res, i, 0);
    }
    return v;
}

int idm_user_lookup(idm_user **out, idm_db *db, const char *login, idm_err *err)
{
    PGresult *res = NULL;
    idm_user *u = NULL;
    char id[24];
    int rc;

    *out = NULL;
    rc = idm_db_q(&res, db,
                  "SELECT " USER_COLUMNS "WHERE lower(a.login) = lower($1)",
                  err, login);
    if (rc != 0) {
        goto cleanup;
    }
    if (PQntuples(res) == 0) {
        rc = idm_err_set(err, IDM_ENOTFOUND, "no account \"%s\"", login);
        goto cleanup;
    }
    u = idm_xcalloc(1, sizeof(*u));
    user_from_row(u, res, 0);
    PQclear(res);
    res = NULL;
    snprintf(id, sizeof(id), "%lld", (long long)u->person_id);
    rc = idm_db_q(&res, db,
                  "SELECT source || ':' || key FROM person_external_key "
                  "WHERE person_id = $1::bigint ORDER BY source, key",
                  err, id);
    if (rc != 0) {
        goto cleanup;
    }
    u->external_keys = column_strings(res);
    PQclear(res);
    res = NULL;
    rc = idm_db_q(&res, db,
                  "SELECT a.login FROM guardian_relation g "
                  "JOIN account a ON a.person_id = g.pupil_id "
                  "WHERE g.guardian_id = $1::bigint ORDER BY a.login",
                  err, id);
    if (rc != 0) {
        goto cleanup;
    }
    u->guardian_of = column_strings(res);
    *out = u;
    u = NULL;
cleanup:
    PQclear(res);
    idm_user_free(u);
    return rc;
}

int idm_user_list(idm_user **out, size_t *n, idm_db *db,
                  const idm_user_filter *f, idm_err *err)
{
    PGresult *res = NULL;
    idm_user *list;
    char limit[16] = "";
    int rc, rows;

    *out = NULL;
    *n = 0;
    if (f->limit > 0) {
        snprintf(limit, sizeof(limit), "%d", f->limit);
    }
    rc = idm_db_q(
        &res, db,
        "WITH RECURSIVE sub AS ("
        " SELECT id FROM org_unit WHERE code = $1"
        " UNION ALL SELECT c.id FROM org_unit c JOIN sub ON c.parent_id = "
        "sub.id) "
        "SELECT " USER_COLUMNS
        "WHERE ($3::account_status IS NULL AND a.status <> 'deleted' "
        "       OR a.status = $3::account_status) "
        "AND ($1::text IS NULL AND $2::idm_role IS NULL OR EXISTS ("
        "  SELECT 1 FROM role_assignment r WHERE r.person_id = p.id "
        "  AND ($1::text IS NULL OR r.org_unit_id IN (SELECT id FROM sub)) "
        "  AND ($2::idm_role IS NULL OR r.role = $2::idm_role))) "
        "ORDER BY a.login LIMIT $4::bigint",
        err, f->org_code, f->role,
        f->status >= 0 ? idm_account_status_name((idm_account_status)f->status)
                       : NULL,
        limit[0] != '\0' ? limit : NULL);
    if (rc != 0) {
        return rc;
    }
    rows = PQntuples(res);
    list = idm_xcalloc((size_t)rows, sizeof(*list));
    for (int i = 0; i < rows; i++) {
        user_from_row(&list[i], res, i);
    }
    PQclear(res);
    *out = list;
    *n = (size_t)rows;
    return 0;
}

static void strv_free(char **v)
{
    for (size_t i = 0; v != NULL && v[i] != NULL; i++) {
        free(v[i]);
    }
    free(v);
}

static void user_clear(idm_user *u)
{
    free(u->uuid);
    free(u->login);
    free(u->given_name);
    free(u->family_name);
    free(u->birth_date);
    free(u->status_changed_at);
    free(u->created_at);
    free(u->password_changed_at);
    free(u->locked_until);
    free(u->last_login_at);
    strv_free(u->external_keys);
    strv_free(u->guardian_of);
}

void idm_user_free(idm_user *user)
{
    if (user != NULL) {
        user_clear(user);
        free(user);
    }
}

void idm_users_free(idm_user *users, size_t n)
{
    if (users == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        user_clear(&users[i]);
    }
    free(users);
}

/* Allowed transitions: from-states and the resulting state. */
static const struct transition {
    idm_change_kind change;
    const char *from; /* SQL array literal of account_status */
    const char *to;
} transitions[] = {
    [IDM_USER_LOCK] = {IDM_CHANGE_USER_LOCK, "{active}", "locked"},
    [IDM_USER_UNLOCK] = {IDM_CHANGE_USER_UNLOCK, "{locked,active}", "active"},
    [IDM_USER_DISABLE] = {IDM_CHANGE_USER_DISABLE, "{active,locked}",
                          "disabled"},
    [IDM_USER_ENABLE] = {IDM_CHANGE_USER_ENABLE, "{disabled}", "active"},
    [IDM_USER_DELETE] = {IDM_CHANGE_USER_DELETE, "{active,locked,disabled}",
                         "deleted"},
};

int idm_user_set_status(idm_db *db, const idm_actor *actor, const char *login,
                        idm_user_action action, idm_err *err)
{
    const struct transition *t;
    PGresult *res = NULL;
    char *details = NULL, *uuid = NULL, *from = NULL;
    int rc, tx = 0;

    if ((int)action < 0 || action > IDM_USER_DELETE) {
        return idm_err_set(err, IDM_EINTERNAL, "unknown account action");
    }
    t = &transitions[action];
    rc = idm_db_begin(db, err);
    if (rc != 0) {
        return rc;
    }
    tx = 1;
    rc = idm_db_q(&res, db,
                  "SELECT p.uuid, a.status, a.person_id FROM account a "
                  "JOIN person p ON p.id = a.person_id "
                  "WHERE lower(a.login) = lower($1) FOR UPDATE OF a",
                  err, login);
    if (rc != 0) {
        goto cleanup;
    }
    if (PQntuples(res) == 0) {
        rc = idm_err_set(err, IDM_ENOTFOUND, "no account \"%s\"", login);
        goto cleanup;
    }
    uuid = idm_db_strdup(res, 0, 0);
    from = idm_db_strdup(res, 0, 1);
    PQclear(res);
    res = NULL;
    rc = idm_db_q(&res, db,
                  "UPDATE account SET status = $2::account_status, "
                  "status_changed_at = now(), "
                  "deleted_at = CASE WHEN $2 = 'deleted' THEN now() END, "
                  "password_hash = CASE WHEN $2 = 'deleted' THEN NULL "
                  "                ELSE password_hash END, "
                  "failed_logins = CASE WHEN $2 = 'active' THEN 0 "
                  "                ELSE failed_logins END, "
                  "locked_until = CASE WHEN $2 = 'active' THEN NULL "
                  "               ELSE locked_until END "
                  "WHERE lower(login) = lower($1) "
                  "AND status = ANY ($3::account_status[]) "
                  "RETURNING person_id",
                  err, login, t->to, t->from);
    if (rc != 0) {
        goto cleanup;
    }
    if (PQntuples(res) == 0) {
        rc = idm_err_set(err, IDM_ECONFLICT,
                         "account \"%s\" is %s; cannot %s it", login, from,
                         idm_change_action(t->change) + 5);
        goto cleanup;
    }
    if (action == IDM_USER_UNLOCK) {
        /* an administrator vouches for the account: scores start over,
         * the owner's known addresses stay. The rows are locked in the
         * order a login's charge locks them (addresses, then '*'), which
         * holds no account lock to serialise against (auth.c). */
        rc = idm_db_q(NULL, db,
                      "WITH l AS (SELECT account_id, addr FROM "
                      "login_throttle WHERE account_id = (SELECT id FROM "
                      "account WHERE lower(login) = lower($1)) "
                      "ORDER BY addr = '*', addr FOR UPDATE) "
                      "UPDATE login_throttle t SET score = 0, "
                      "score_at = now(), slow_until = NULL FROM l "
                      "WHERE t.account_id = l.account_id AND t.addr = l.addr",
                      err, login);
        if (rc != 0) {
            goto cleanup;
        }
    }
    if (action == IDM_USER_DELETE) {
        const char *pid = PQgetvalue(res, 0, 0);
        rc = idm_db_q(NULL, db,
                      "DELETE FROM role_assignment WHERE person_id = "
                      "$1::bigint",
                      err, pid);
        if (rc == 0) {
            rc = idm_db_q(NULL, db,
                          "DELETE FROM group_member WHERE person_id = "
                          "$1::bigint",
                          err, pid);
        }
        if (rc != 0) {
            goto cleanup;
        }
    }
    details = idm_json_pack("{s:s, s:s, s:s, s:s}", "uuid", uuid, "login",
                            login, "from", from, "to", t->to);
    {
        const idm_person_ref who = {.uuid = uuid, .login = login};
        rc = idm_change_person(db, actor, t->change, &who, details, err);
    }
    if (rc != 0) {
        goto cleanup;
    }
    tx = 0;
    rc = idm_db_commit(db, err);
cleanup:
    if (tx) {
        idm_db_rollback(db);
    }
    PQclear(res);
    free(details);
    free(uuid);
    free(from);
    return rc;
}

int idm_user_set_password(idm_pw_problem *problem, idm_db *db,
                          const idm_conf *conf, const idm_actor *actor,
                          const char *login, const char *password,
                          int must_change, idm_err *err)
{
    idm_argon2_params params;
    PGresult *res = NULL;
    char *hash = NULL, *details = NULL;
    int rc, tx = 0;

    rc = check_password(problem, conf, login, password, err);
    if (rc != 0) {
        return rc;
    }
    conf_params(&params, conf);
    rc = idm_password_hash(&hash, &params, password, err);
    if (rc != 0) {
        return rc;
    }
    rc = idm_db_begin(db, err);
    if (rc != 0) {
        goto cleanup;
    }
    tx = 1;
    rc = idm_db_q(&res, db,
                  "UPDATE account a SET password_hash = $2, "
                  "password_changed_at = now(), must_change_password = $3, "
                  "failed_logins = 0, locked_until = NULL "
                  "FROM person p WHERE p.id = a.person_id "
                  "AND lower(a.login) = lower($1) AND a.status <> 'deleted' "
                  "RETURNING p.uuid",
                  err, login, hash, must_change ? "t" : "f");
    if (rc != 0) {
        goto cleanup;
    }
    if (PQntuples(res) == 0) {
        rc = idm_err_set(err, IDM_ENOTFOUND, "no account \"%s\"", login);
        goto cleanup;
    }
    details = idm_json_pack("{s:s, s:s, s:b}", "uuid", PQgetvalue(res, 0, 0),
                            "login", login, "must_change", must_change);
    {
        const idm_person_ref who = {.uuid = PQgetvalue(res, 0, 0),
                                    .login = login};
        rc = idm_change_person(db, actor, IDM_CHANGE_USER_SET_PASSWORD, &who,
                               details, err);
    }
    if (rc != 0) {
        goto cleanup;
    }
    tx = 0;
    rc = idm_db_commit(db, err);
cleanup:
    if (tx) {
        idm_db_rollback(db);
    }
    PQclear(res);
    free(details);
    free(hash);
    return rc;
}

/* 1 if password matches the stored hash (NULL: never). */
static int same_password(const char *hash, const char *password)
{
    idm_err ignored = IDM_ERR_INIT;

    return hash != NULL && idm_password_verify(hash, password, &ignored) == 0;
}

int idm_user_change_password(idm_pw_problem *problem, idm_db *db,
                             const idm_conf *conf, const idm_actor *actor,
                             const char *login, const char *password,
                             const char *keep_session, idm_err *err)
{
    idm_argon2_params params;
    PGresult *res = NULL;
    char *hash = NULL, *details = NULL, *uuid = NULL;
    int rc, tx = 0;

    *problem = IDM_PW_OK;
    rc = idm_password_quality(
        problem, password, idm_password_conf_get(conf)->min_length, login, err);
    if (rc != 0) {
        return rc;
    }
    conf_params(&params, conf);
    rc = idm_password_hash(&hash, &params, password, err);
    if (rc != 0) {
        return rc;
    }
    rc = idm_db_begin(db, err);
    if (rc != 0) {
        goto cleanup;
    }
    tx = 1;
    rc = idm_db_q(&res, db,
                  "SELECT p.uuid, a.password_hash, a.initial_password_hash "
                  "FROM account a JOIN person p ON p.id = a.person_id "
                  "WHERE lower(a.login) = lower($1) AND a.status = 'active' "
                  "FOR UPDATE OF a",
                  err, login);
    if (rc != 0) {
        goto cleanup;
    }
    if (PQntuples(res) == 0) {
        rc = idm_err_set(err, IDM_ENOTFOUND, "no active account \"%s\"", login);
        goto cleanup;
    }
    /* the initial first: on the forced change it is the current one, and
     * "the password from your letter" is what the person recognises */
    if (same_password(PQgetisnull(res, 0, 2) ? NULL : PQgetvalue(res, 0, 2),
                      password)) {
        *problem = IDM_PW_SAME_AS_INITIAL;
    } else if (same_password(PQgetisnull(res, 0, 1) ? NULL
                                                    : PQgetvalue(res, 0, 1),
                             password)) {
        *problem = IDM_PW_SAME_AS_CURRENT;
    }
    if (*problem != IDM_PW_OK) {
        rc = idm_err_set(err, IDM_EINVAL, "%s",
                         *problem == IDM_PW_SAME_AS_CURRENT
                             ? "password: same as the current one"
                             : "password: same as the initial one");
        goto cleanup;
    }
    uuid = idm_db_strdup(res, 0, 0);
    PQclear(res);
    res = NULL;
    if (keep_session != NULL) {
        /* the trigger of migration 0009 ends every other session */
        rc = idm_db_q(NULL, db,
                      "SELECT set_config('idm.keep_session', $1, true)", err,
                      keep_session);
        if (rc != 0) {
            goto cleanup;
        }
    }
    rc = idm_db_q(NULL, db,
                  "UPDATE account SET password_hash = $2, "
                  "password_changed_at = now(), "
                  "must_change_password = false, failed_logins = 0 "
                  "WHERE lower(login) = lower($1)",
                  err, login, hash);
    if (rc != 0) {
        goto cleanup;
    }
    details = idm_json_pack("{s:s, s:s}", "uuid", uuid, "login", login);
    {
        const idm_person_ref who = {.uuid = uuid, .login = login};
        rc = idm_change_person(db, actor, IDM_CHANGE_USER_CHANGE_PASSWORD, &who,
                               details, err);
    }
    if (rc != 0) {
        goto cleanup;
    }
    tx = 0;
    rc = idm_db_commit(db, err);
cleanup:
    if (tx) {
        idm_db_rollback(db);
    }
    PQclear(res);
    free(details);
    free(uuid);
    free(hash);
    return rc;
}
