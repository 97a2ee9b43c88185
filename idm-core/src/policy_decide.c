/* SPDX-License-Identifier: EUPL-1.2
 * Policy decisions (default deny), attribute release with the privacy
 * rules, and delegated-administration checks.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_int.h"
#include "policy_int.h"

/* Project attributes live below a placeholder arc until the state's IANA
 * Private Enterprise Number is registered: 1.3.6.1.4.1.99999.1.<n>. */
#define PROJECT_OID "urn:oid:1.3.6.1.4.1.99999.1."

static const idm_attr_info attrs[IDM_ATTR__COUNT] = {
    [IDM_ATTR_PAIRWISE_ID] = {IDM_ATTR_PAIRWISE_ID, "pairwise-id",
                              "urn:oasis:names:tc:SAML:attribute:pairwise-id",
                              0, "opaque id, different for every application"},
    [IDM_ATTR_SUBJECT_ID] = {IDM_ATTR_SUBJECT_ID, "subject-id",
                             "urn:oasis:names:tc:SAML:attribute:subject-id", 0,
                             "opaque id, the same for every application"},
    [IDM_ATTR_GIVEN_NAME] = {IDM_ATTR_GIVEN_NAME, "givenName",
                             "urn:oid:2.5.4.42", 1, "given name"},
    [IDM_ATTR_SN] = {IDM_ATTR_SN, "sn", "urn:oid:2.5.4.4", 1, "family name"},
    [IDM_ATTR_DISPLAY_NAME] = {IDM_ATTR_DISPLAY_NAME, "displayName",
                               "urn:oid:2.16.840.1.113730.3.1.241", 1,
                               "given and family name"},
    [IDM_ATTR_MAIL] = {IDM_ATTR_MAIL, "mail",
                       "urn:oid:0.9.2342.19200300.100.1.3", 1,
                       "e-mail address (none stored yet)"},
    [IDM_ATTR_AFFILIATION] = {IDM_ATTR_AFFILIATION, "eduPersonAffiliation",
                              "urn:oid:1.3.6.1.4.1.5923.1.1.1.1", 0,
                              "student, faculty, staff, ..."},
    [IDM_ATTR_SCOPED_AFFILIATION] = {IDM_ATTR_SCOPED_AFFILIATION,
                                     "eduPersonScopedAffiliation",
                                     "urn:oid:1.3.6.1.4.1.5923.1.1.1.9", 1,
                                     "affiliation@unit (reveals the school)"},
    [IDM_ATTR_ENTITLEMENT] = {IDM_ATTR_ENTITLEMENT, "eduPersonEntitlement",
                              "urn:oid:1.3.6.1.4.1.5923.1.1.1.7", 0,
                              "the application role the policy grants"},
    [IDM_ATTR_SCHAC_HOME_ORG] = {IDM_ATTR_SCHAC_HOME_ORG,
                                 "schacHomeOrganization",
                                 "urn:oid:1.3.6.1.4.1.25178.1.2.9", 0,
                                 "the platform's domain"},
    [IDM_ATTR_SCHOOL_CODE] = {IDM_ATTR_SCHOOL_CODE, "schoolCode",
                              PROJECT_OID "1", 1, "DE-MV-<school number>"},
    [IDM_ATTR_SCHOOL_CLASS] = {IDM_ATTR_SCHOOL_CLASS, "schoolClass",
                               PROJECT_OID "2", 1,
                               "<school code>:<class>, e.g. DE-MV-75123:7a"},
    [IDM_ATTR_SCHULCONNEX_ROLE] = {IDM_ATTR_SCHULCONNEX_ROLE, "schulconnexRole",
                                   PROJECT_OID "3", 0,
                                   "SchulConneX role code (Lern, Lehr, ...)"},
};

const idm_attr_info *idm_attr_get(idm_attr attr)
{
    return (int)attr >= 0 && attr < IDM_ATTR__COUNT ? &attrs[attr] : NULL;
}

const idm_attr_info *idm_attr_lookup(const char *name)
{
    for (int i = 0; name != NULL && i < IDM_ATTR__COUNT; i++) {
        if (strcmp(attrs[i].name, name) == 0) {
            return &attrs[i];
        }
    }
    return NULL;
}

const char *idm_verdict_name(idm_verdict verdict)
{
    switch (verdict) {
    case IDM_VERDICT_ALLOW:
        return "allow";
    case IDM_VERDICT_REAUTH:
        return "reauth";
    case IDM_VERDICT_DENY:
        return "deny";
    }
    return "deny";
}

static const policy_app *find_app(const idm_policy *p, const char *key)
{
    for (size_t i = 0; key != NULL && i < p->napps; i++) {
        if (strcmp(p->apps[i].pub.key, key) == 0) {
            return &p->apps[i];
        }
    }
    return NULL;
}

/* Full years between birth and today (both YYYY-MM-DD); -1 if unknown. */
static int age_on(const char *birth, const char *today)
{
    int by, bm, bd, ty, tm, td, age;

    if (birth == NULL || sscanf(birth, "%d-%d-%d", &by, &bm, &bd) != 3 ||
        sscanf(today, "%d-%d-%d", &ty, &tm, &td) != 3) {
        return -1;
    }
    age = ty - by;
    if (tm < bm || (tm == bm && td < bd)) {
        age--;
    }
    return age;
}

static int has_staff_group(const idm_subject *s, const char *org,
                           const char *group)
{
    size_t olen = strlen(org);

    for (size_t i = 0; s->staff_groups != NULL && s->staff_groups[i] != NULL;
         i++) {
        const char *g = s->staff_groups[i];
        if (strncmp(g, org, olen) == 0 && g[olen] == '/' &&
            strcmp(g + olen + 1, group) == 0) {
            return 1;
        }
    }
    return 0;
}

static int flag_set(const idm_subject *s, policy_flag f)
{
    switch (f) {
    case FLAG_NONE:
        return 0;
    case FLAG_INFO_BLOCK:
        return s->info_block;
    case FLAG_RESTRICTED:
        return s->processing_restricted;
    case FLAG_MUST_CHANGE:
        return s->must_change_password;
    }
    return 1; /* unknown flag: treat as set, so the rule does not apply */
}

/* Does rule admit role assignment r of subject s? */
static int rule_matches(const policy_rule *rule, const idm_subject *s,
                        const idm_subject_role *r, const char *today)
{
    if ((rule->roles & (1u << r->role)) == 0 ||
        !idm_policy__scope_admits(rule->scope, r->org_type)) {
        return 0;
    }
    if (rule->staff_group != NULL &&
        !has_staff_group(s, r->org_code, rule->staff_group)) {
        return 0;
    }
    if (rule->min_age >= 0 || rule->max_age >= 0) {
        int age = age_on(s->birth_date, today);
        if (age < 0 || (rule->min_age >= 0 && age < rule->min_age) ||
            (rule->max_age >= 0 && age > rule->max_age)) {
            return 0; /* an unknown age meets no age condition */
        }
    }
    return !flag_set(s, rule->unless_flag);
}

void idm_policy_decide(idm_decision *out, const idm_policy *policy,
                       const char *app_key, const idm_subject *s,
                       const char *now_date)
{
    const policy_app *app = find_app(policy, app_key);
    char today[11];
    const policy_rule *decisive = NULL;
    const idm_subject_role *decisive_role = NULL;

    memset(out, 0, sizeof(*out));
    out->verdict = IDM_VERDICT_DENY;
    if (now_date != NULL) {
        snprintf(today, sizeof(today), "%s", now_date);
    } else {
        GDateTime *now = g_date_time_new_now_utc();
        gchar *t = g_date_time_format(now, "%Y-%m-%d");
        snprintf(today, sizeof(today), "%s", t);
        g_free(t);
        g_date_time_unref(now);
    }
    if (app == NULL) {
        snprintf(out->reason, sizeof(out->reason),
                 "there is no application \"%s\"", app_key);
        return;
    }
    out->app = &app->pub;
    out->session_max = app->pub.session_max;
    if (app->pub.sso == IDM_SSO_DENY) {
        snprintf(out->reason, sizeof(out->reason),
                 "\"%s\" is closed for every account (sso = deny)",
                 app->pub.key);
        return;
    }
    if (!s->active) {
        snprintf(out->reason, sizeof(out->reason),
                 "the account \"%s\" is not active", s->login);
        return;
    }
    /* The first rule (in file order) that admits a role decides; every
     * role any rule admits counts for the released values. */
    for (size_t r = 0; r < app->nrules; r++) {
        for (size_t i = 0; i < s->nroles; i++) {
            int seen = 0;
            if (!rule_matches(&app->rules[r], s, &s->roles[i], today)) {
                continue;
            }
            if (decisive == NULL) {
                decisive = &app->rules[r];
                decisive_role = &s->roles[i];
            }
            for (size_t k = 0; k < out->nmatches; k++) {
                seen |= out->matches[k] == i;
            }
            if (!seen && out->nmatches < IDM_DECISION_MAX_MATCHES) {
                out->matches[out->nmatches++] = i;
            }
        }
    }
    if (decisive == NULL) {
        snprintf(out->reason, sizeof(out->reason),
                 "no rule of \"%s\" admits any role of \"%s\" (default deny)",
                 app->pub.key, s->login);
        return;
    }
    out->verdict =
        app->pub.sso == IDM_SSO_REAUTH ? IDM_VERDICT_REAUTH : IDM_VERDICT_ALLOW;
    out->rule_id = decisive->id;
    out->grants = decisive->grants;
    out->nameid_persistent = app->nameid_persistent;
    out->nameid_transient = app->nameid_transient;
    out->nameid_prefer_transient = app->nameid_prefer_transient;
    out->attributes = app->attributes;
    if ((s->info_block || s->processing_restricted) && !app->privacy_entitled) {
        /* Auskunftssperre / GDPR Art. 18: only the pseudonymous id and the
         * role, unless the application is explicitly entitled */
        for (int a = 0; a < IDM_ATTR__COUNT; a++) {
            if (attrs[a].identifies && (out->attributes & (1u << a)) != 0) {
                out->attributes &= ~(1u << a);
                out->privacy_reduced = 1;
            }
        }
    }
    snprintf(out->reason, sizeof(out->reason),
             "rule \"%s\" admits %s at \"%s\"%s", decisive->id,
             idm_role_get(decisive_role->role)->name, decisive_role->org_code,
             out->verdict == IDM_VERDICT_REAUTH
                 ? "; a fresh password login is required every time"
                 : "");
}

idm_verdict idm_policy_role_verdict(const idm_policy *policy,
                                    const char *app_key, idm_role role,
                                    const char **grants, int *conditional)
{
    const policy_app *app = find_app(policy, app_key);

    *grants = NULL;
    *conditional = 0;
    if (app == NULL || app->pub.sso == IDM_SSO_DENY) {
        return IDM_VERDICT_DENY;
    }
    for (size_t r = 0; r < app->nrules; r++) {
        const policy_rule *rule = &app->rules[r];
        int held = 0;

        if ((rule->roles & (1u << role)) == 0) {
            continue;
        }
        for (int t = 0; t < IDM_ORG__COUNT; t++) {
            held |= idm_role_valid_at(role, (idm_org_type)t) &&
                    idm_policy__scope_admits(rule->scope, (idm_org_type)t);
        }
        if (!held) {
            continue;
        }
        if (rule->staff_group != NULL || rule->min_age >= 0 ||
            rule->max_age >= 0 || rule->unless_flag != FLAG_NONE) {
            *conditional = 1;
            if (*grants == NULL) {
                *grants = rule->grants;
            }
            continue; /* a later unconditional rule may still admit */
        }
        *grants = rule->grants;
        *conditional = 0;
        return app->pub.sso == IDM_SSO_REAUTH ? IDM_VERDICT_REAUTH
                                              : IDM_VERDICT_ALLOW;
    }
    if (*conditional) {
        return app->pub.sso == IDM_SSO_REAUTH ? IDM_VERDICT_REAUTH
                                              : IDM_VERDICT_ALLOW;
    }
    return IDM_VERDICT_DENY;
}

/* Append v to a NULL-ended GPtrArray of strings unless present. */
static void add_unique(GPtrArray *v, char *value)
{
    for (guint i = 0; i < v->len; i++) {
        if (strcmp(g_ptr_array_index(v, i), value) == 0) {
            g_free(value);
            return;
        }
    }
    g_ptr_array_add(v, value);
}

static char **values_for(idm_attr a, const idm_decision *d,
                         const idm_subject *s)
{
    GPtrArray *v = g_ptr_array_new();

    for (size_t k = 0; k < d->nmatches; k++) {
        const idm_subject_role *r = &s->roles[d->matches[k]];
        const idm_role_info *info = idm_role_get(r->role);

        switch (a) {
        case IDM_ATTR_AFFILIATION:
            for (size_t i = 0; info->affiliations[i] != NULL; i++) {
                add_unique(v, g_strdup(info->affiliations[i]));
            }
            break;
        case IDM_ATTR_SCOPED_AFFILIATION:
            for (size_t i = 0; info->affiliations[i] != NULL; i++) {
                add_unique(v, g_strdup_printf("%s@%s.%s", info->affiliations[i],
                                              r->org_code, IDM_POLICY_DOMAIN));
            }
            break;
        case IDM_ATTR_SCHOOL_CODE:
            if (r->school_code != NULL) {
                add_unique(v, g_strdup(r->school_code));
            }
            break;
        case IDM_ATTR_SCHOOL_CLASS:
            if (r->school_code != NULL && r->group_name != NULL) {
                add_unique(
                    v, g_strdup_printf("%s:%s", r->school_code, r->group_name));
            }
            break;
        case IDM_ATTR_SCHULCONNEX_ROLE:
            add_unique(v, g_strdup(info->schulconnex));
            break;
        default:
            break;
        }
    }
    switch (a) {
    case IDM_ATTR_GIVEN_NAME:
        g_ptr_array_add(v, g_strdup(s->given_name));
        break;
    case IDM_ATTR_SN:
        g_ptr_array_add(v, g_strdup(s->family_name));
        break;
    case IDM_ATTR_DISPLAY_NAME:
        g_ptr_array_add(
            v, g_strdup_printf("%s %s", s->given_name, s->family_name));
        break;
    case IDM_ATTR_ENTITLEMENT:
        g_ptr_array_add(v, g_strdup_printf("urn:de:schule-mv:app:%s:%s",
                                           d->app->key, d->grants));
        break;
    case IDM_ATTR_SCHAC_HOME_ORG:
        g_ptr_array_add(v, g_strdup(IDM_POLICY_DOMAIN));
        break;
    default:
        break;
    }
    g_ptr_array_add(v, NULL);
    return (char **)g_ptr_array_free(v, FALSE);
}

void idm_policy_release(idm_attr_value **out, size_t *n, const idm_decision *d,
                        const idm_subject *s)
{
    idm_attr_value *list = idm_xcalloc(IDM_ATTR__COUNT, sizeof(*list));
    size_t k = 0;

    for (int a = 0; d->verdict != IDM_VERDICT_DENY && a < IDM_ATTR__COUNT;
         a++) {
        char **values;

        if ((d->attributes & (1u << a)) == 0) {
            continue;
        }
        values = values_for((idm_attr)a, d, s);
        /* computed per SP by the IdP: released without values here */
        if (values[0] == NULL && a != IDM_ATTR_PAIRWISE_ID &&
            a != IDM_ATTR_SUBJECT_ID) {
            g_strfreev(values);
            continue;
        }
        list[k].info = &attrs[a];
        list[k].values = values;
        k++;
    }
    *out = list;
    *n = k;
}

void idm_attr_values_free(idm_attr_value *values, size_t n)
{
    if (values == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        g_strfreev(values[i].values);
    }
    free(values);
}

static int action_matches(const char *pattern, const char *action)
{
    size_t len = strlen(pattern);

    if (strcmp(pattern, "*") == 0 || strcmp(pattern, action) == 0) {
        return 1;
    }
    /* "user.*" covers "user.add" */
    return len >= 2 && pattern[len - 1] == '*' && pattern[len - 2] == '.' &&
           strncmp(pattern, action, len - 1) == 0;
}

/* Is unit `code` the same as or below `root`? */
static int is_within(idm_db *db, const char *code, const char *root,
                     int *within, idm_err *err)
{
    PGresult *res = NULL;
    int rc = idm_db_q(&res, db,
                      "WITH RECURSIVE up AS ("
                      " SELECT id, parent_id, code FROM org_unit "
                      "  WHERE code = $1"
                      " UNION ALL SELECT o.id, o.parent_id, o.code "
                      "  FROM org_unit o JOIN up ON o.id = up.parent_id) "
                      "SELECT EXISTS (SELECT 1 FROM up WHERE code = $2)",
                      err, code, root);

    *within = rc == 0 && idm_db_bool(res, 0, 0);
    PQclear(res);
    return rc;
}

int idm_policy_admin_check(const idm_policy *policy, idm_db *db,
                           const idm_subject *admin, const char *action,
                           const char *const *targets, size_t ntargets,
                           idm_err *err)
{
    /* Each target needs one administrator role whose delegation names
     * the action and whose unit contains the target. */
    for (size_t t = 0; t < (ntargets > 0 ? ntargets : 1); t++) {
        int ok = 0;

        for (size_t i = 0; !ok && i < admin->nroles; i++) {
            const idm_subject_role *r = &admin->roles[i];
            int rc;

            for (size_t d = 0; !ok && d < policy->ndelegates; d++) {
                const policy_delegate *del = &policy->delegates[d];
                int allowed = 0, within = 0;

                if (del->role != r->role) {
                    continue;
                }
                for (size_t k = 0; del->actions[k] != NULL; k++) {
                    allowed |= action_matches(del->actions[k], action);
                }
                if (!allowed) {
                    continue;
                }
                if (ntargets == 0) {
                    ok = r->org_type == IDM_ORG_MINISTRY;
                    continue;
                }
                rc = is_within(db, targets[t], r->org_code, &within, err);
                if (rc != 0) {
                    return rc;
                }
                ok = within;
            }
        }
        if (!ok) {
            return idm_err_set(
                err, IDM_EDENIED,
                ntargets == 0 ? "\"%s\" may not %s%s: this needs a "
                                "ministry administrator"
                              : "\"%s\" may not %s at \"%s\": outside "
                                "their administration",
                admin->login, action, ntargets == 0 ? "" : targets[t]);
        }
    }
    return 0;
}
