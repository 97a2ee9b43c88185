/* SPDX-License-Identifier: EUPL-1.2
 * Loading policies: XML parsed without network, DTDs or entities,
 * validated against the XSD (libxml2 reports file and line), then checked
 * for meaning. Every problem goes to the caller's diagnostic callback.
 */
#include <glib.h>
#include <stdarg.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_int.h"
#include "policy_int.h"

#define POLICY_NS "urn:de:schule-mv:idm:policy:1"
#define POLICY_FILE_MAX (256 * 1024)

/* Reporting state of one load: counts problems, remembers the first. */
typedef struct loader {
    idm_policy_diag_fn diag;
    void *ctx;
    int problems;
    char first[256];
} loader;

static void report(loader *l, const char *file, int line, const char *fmt, ...)
    IDM_PRINTF(4, 5);

static void report(loader *l, const char *file, int line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    size_t len;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    len = strlen(msg);
    while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' ')) {
        msg[--len] = '\0';
    }
    if (l->problems++ == 0) {
        snprintf(l->first, sizeof(l->first), "%.100s:%d: %.140s", file, line,
                 msg);
    }
    if (l->diag != NULL) {
        l->diag(l->ctx, file, line, msg);
    }
}

typedef struct schema_err {
    loader *l;
    const char *file;
    int last_line; /* line of the previous error, 0 if none */
} schema_err;

static void on_schema_error(void *data, xmlErrorPtr e)
{
    schema_err *se = data;
    int follow_up = e->line == se->last_line && e->message != NULL &&
                    strstr(e->message, "list type") != NULL;

    /* After a bad list item libxml2 also rejects the whole list on the
     * same line; the item's message is the precise one. */
    se->last_line = e->line;
    if (follow_up) {
        return;
    }
    report(se->l, se->file, e->line, "%s",
           e->message != NULL ? e->message : "invalid");
}

/* Parse one file safely; NULL after reporting why. */
static xmlDocPtr parse_file(loader *l, const char *path)
{
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    xmlDocPtr doc = NULL;
    gchar *data = NULL;
    gsize len = 0;

    if (ctxt == NULL) {
        report(l, path, 0, "out of memory");
        return NULL;
    }
    if (!g_file_get_contents(path, &data, &len, NULL)) {
        report(l, path, 0, "cannot read the file");
        goto cleanup;
    }
    if (len > POLICY_FILE_MAX) {
        report(l, path, 0, "larger than %d bytes", POLICY_FILE_MAX);
        goto cleanup;
    }
    /* No XML_PARSE_NOENT or XML_PARSE_DTDLOAD: entities stay unexpanded
     * and nothing is fetched; NONET forbids network access outright. */
    doc = xmlCtxtReadMemory(ctxt, data, (int)len, path, NULL,
                            XML_PARSE_NONET | XML_PARSE_NOERROR |
                                XML_PARSE_NOWARNING);
    if (doc == NULL) {
        const xmlError *e = xmlCtxtGetLastError(ctxt);
        report(l, path, e != NULL ? e->line : 0, "not well-formed XML: %s",
               e != NULL && e->message != NULL ? e->message : "?");
        goto cleanup;
    }
    if (doc->intSubset != NULL || doc->extSubset != NULL) {
        report(l, path, 1, "a DOCTYPE is not allowed in policy files");
        xmlFreeDoc(doc);
        doc = NULL;
    }
cleanup:
    g_free(data);
    xmlFreeParserCtxt(ctxt);
    return doc;
}

static xmlSchemaPtr load_schema(loader *l, const char *schema_dir)
{
    char *path = g_build_filename(schema_dir, "policy.xsd", NULL);
    xmlDocPtr doc = parse_file(l, path);
    xmlSchemaParserCtxtPtr pctxt = NULL;
    xmlSchemaPtr schema = NULL;

    if (doc != NULL) {
        pctxt = xmlSchemaNewDocParserCtxt(doc);
        schema = pctxt != NULL ? xmlSchemaParse(pctxt) : NULL;
        if (schema == NULL) {
            report(l, path, 0, "the policy schema does not load");
        }
    }
    xmlSchemaFreeParserCtxt(pctxt);
    xmlFreeDoc(doc);
    g_free(path);
    return schema;
}

static int validate(loader *l, xmlSchemaPtr schema, xmlDocPtr doc,
                    const char *path)
{
    xmlSchemaValidCtxtPtr v = xmlSchemaNewValidCtxt(schema);
    schema_err se = {l, path, 0};
    int before = l->problems, rc;

    if (v == NULL) {
        report(l, path, 0, "out of memory");
        return -1;
    }
    xmlSchemaSetValidStructuredErrors(v, on_schema_error, &se);
    rc = xmlSchemaValidateDoc(v, doc);
    xmlSchemaFreeValidCtxt(v);
    if (rc != 0 && l->problems == before) {
        report(l, path, 0, "does not match the policy schema");
    }
    return rc == 0 ? 0 : -1;
}

static int is_el(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && n->ns != NULL &&
           xmlStrcmp(n->ns->href, (const xmlChar *)POLICY_NS) == 0 &&
           xmlStrcmp(n->name, (const xmlChar *)name) == 0;
}

static xmlNode *child(const xmlNode *n, const char *name)
{
    for (xmlNode *c = n->children; c != NULL; c = c->next) {
        if (is_el(c, name)) {
            return c;
        }
    }
    return NULL;
}

/* Attribute value as our own string, or NULL. */
static char *attr(const xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    char *s = v != NULL ? idm_xstrdup((const char *)v) : NULL;

    xmlFree(v);
    return s;
}

static char *text(const xmlNode *n)
{
    xmlChar *v = xmlNodeGetContent(n);
    char *s = idm_xstrdup(v != NULL ? (const char *)v : "");

    xmlFree(v);
    return g_strstrip(s);
}

static int int_attr(const xmlNode *n, const char *name, int def)
{
    char *v = attr(n, name);
    int r = v != NULL ? atoi(v) : def;

    free(v);
    return r;
}

static const char *const scope_names[] = {
    [SCOPE_SCHOOL] = "school",
    [SCOPE_BOARD] = "school-board",
    [SCOPE_AUTHORITY] = "authority",
    [SCOPE_MINISTRY] = "ministry",
    [SCOPE_ANY] = "any",
};

int idm_policy__scope_admits(policy_scope scope, idm_org_type type)
{
    switch (scope) {
    case SCOPE_SCHOOL:
        return type == IDM_ORG_SCHOOL;
    case SCOPE_BOARD:
        return type == IDM_ORG_SCHOOL_BOARD;
    case SCOPE_AUTHORITY:
        return type == IDM_ORG_AUTHORITY;
    case SCOPE_MINISTRY:
        return type == IDM_ORG_MINISTRY;
    case SCOPE_ANY:
        return 1;
    }
    return 0; /* fail closed */
}

static void parse_rule(loader *l, const char *path, const xmlNode *n,
                       policy_rule *r)
{
    char *roles = attr(n, "roles"), *scope = attr(n, "scope");
    char *flag = attr(n, "unless-flag");
    gchar **names = g_strsplit_set(roles != NULL ? roles : "", " \t\n", -1);

    r->line = (int)xmlGetLineNo(n);
    r->id = attr(n, "id");
    r->grants = attr(n, "grants");
    if (r->grants == NULL) {
        r->grants = idm_xstrdup("user");
    }
    r->staff_group = attr(n, "staff-group");
    r->min_age = int_attr(n, "min-age", -1);
    r->max_age = int_attr(n, "max-age", -1);
    r->unless_flag = flag == NULL                      ? FLAG_NONE
                     : strcmp(flag, "info-block") == 0 ? FLAG_INFO_BLOCK
                     : strcmp(flag, "processing-restricted") == 0
                         ? FLAG_RESTRICTED
                         : FLAG_MUST_CHANGE;
    r->scope = SCOPE_ANY;
    for (int s = 0; s <= SCOPE_ANY; s++) {
        if (scope != NULL && strcmp(scope, scope_names[s]) == 0) {
            r->scope = (policy_scope)s;
        }
    }
    for (size_t i = 0; names[i] != NULL; i++) {
        const idm_role_info *info = idm_role_lookup(names[i]);
        int possible = 0;

        if (names[i][0] == '\0' || info == NULL) {
            continue; /* the schema already reported unknown roles */
        }
        r->roles |= 1u << info->role;
        for (int t = 0; t < IDM_ORG__COUNT; t++) {
            possible |= idm_role_valid_at(info->role, (idm_org_type)t) &&
                        idm_policy__scope_admits(r->scope, (idm_org_type)t);
        }
        if (!possible) {
            report(l, path, r->line,
                   "rule \"%s\": roles: a %s is never held at scope \"%s\", "
                   "so this rule can never match",
                   r->id, names[i], scope);
        }
    }
    if (r->min_age >= 0 && r->max_age >= 0 && r->min_age > r->max_age) {
        report(l, path, r->line, "rule \"%s\": min-age %d is above max-age %d",
               r->id, r->min_age, r->max_age);
    }
    if (r->staff_group != NULL && r->staff_group[0] == '\0') {
        report(l, path, r->line, "rule \"%s\": staff-group is empty", r->id);
    }
    g_strfreev(names);
    free(roles);
    free(scope);
    free(flag);
}

static void app_clear(policy_app *a)
{
    free(a->key);
    free(a->name);
    free(a->description);
    free(a->category);
    free(a->portal_url);
    free(a->icon);
    free(a->file);
    for (size_t i = 0; i < a->nrules; i++) {
        free(a->rules[i].id);
        free(a->rules[i].grants);
        free(a->rules[i].staff_group);
    }
    free(a->rules);
}

static void parse_app(loader *l, const char *path, const xmlNode *root,
                      policy_app *a)
{
    const xmlNode *portal = child(root, "portal");
    const xmlNode *access = child(root, "access");
    const xmlNode *release = child(root, "release");
    char *sso = attr(root, "sso"), *nameid = attr(release, "nameid");
    char *entitled = attr(release, "privacy-entitled");
    char *base = g_path_get_basename(path);
    size_t n = 0;

    a->file = idm_xstrdup(path);
    a->pub.key = a->key = attr(root, "key");
    a->pub.category = a->category = attr(root, "category");
    a->pub.session_max = int_attr(root, "session-max", 3600);
    a->pub.sso = strcmp(sso, "reauth") == 0 ? IDM_SSO_REAUTH
                 : strcmp(sso, "sso") == 0  ? IDM_SSO_SSO
                                            : IDM_SSO_DENY;
    a->pub.name = a->name = text(child(root, "name"));
    a->pub.description = a->description = text(child(root, "description"));
    a->pub.portal_url = a->portal_url = attr(portal, "url");
    a->pub.icon = a->icon = attr(portal, "icon");
    a->nameid_persistent = strstr(nameid, "persistent") != NULL;
    a->nameid_transient = strstr(nameid, "transient") != NULL;
    /* the first format listed is the one for requests that name none */
    a->nameid_prefer_transient =
        a->nameid_transient &&
        (!a->nameid_persistent ||
         strstr(nameid, "transient") < strstr(nameid, "persistent"));
    a->privacy_entitled = entitled != NULL && (strcmp(entitled, "true") == 0 ||
                                               strcmp(entitled, "1") == 0);
    /* apps/lms.xml holds key "lms": one place to look for each app */
    if (g_str_has_suffix(base, ".xml") &&
        strncmp(base, a->pub.key, strlen(base) - 4) != 0) {
        report(l, path, (int)xmlGetLineNo(root),
               "key: \"%s\" does not match the file name \"%s\"", a->pub.key,
               base);
    }
    for (const xmlNode *c = access->children; c != NULL; c = c->next) {
        n += is_el(c, "allow");
    }
    a->rules = idm_xcalloc(n, sizeof(*a->rules));
    for (const xmlNode *c = access->children; c != NULL; c = c->next) {
        if (!is_el(c, "allow")) {
            continue;
        }
        parse_rule(l, path, c, &a->rules[a->nrules]);
        for (size_t j = 0; j < a->nrules; j++) {
            if (strcmp(a->rules[j].id, a->rules[a->nrules].id) == 0) {
                report(l, path, a->rules[a->nrules].line,
                       "rule id \"%s\" is used twice (first on line %d)",
                       a->rules[j].id, a->rules[j].line);
            }
        }
        a->nrules++;
    }
    for (const xmlNode *c = release->children; c != NULL; c = c->next) {
        char *name;
        const idm_attr_info *info;

        if (!is_el(c, "attribute")) {
            continue;
        }
        name = attr(c, "name");
        info = idm_attr_lookup(name);
        if (info != NULL && (a->attributes & (1u << info->attr)) != 0) {
            report(l, path, (int)xmlGetLineNo(c),
                   "release: attribute \"%s\" is listed twice", name);
        }
        if (info != NULL) {
            a->attributes |= 1u << info->attr;
        }
        free(name);
    }
    if (a->pub.sso == IDM_SSO_DENY && a->nrules > 0) {
        report(l, path, (int)xmlGetLineNo(root),
               "sso: \"deny\" never issues an assertion, but the "
               "application has allow rules");
    }
    g_free(base);
    free(sso);
    free(nameid);
    free(entitled);
}

static void parse_admin(const xmlNode *root, idm_policy *p)
{
    size_t n = 0;

    for (const xmlNode *c = root->children; c != NULL; c = c->next) {
        n += is_el(c, "delegate");
    }
    p->delegates = idm_xcalloc(n, sizeof(*p->delegates));
    for (const xmlNode *c = root->children; c != NULL; c = c->next) {
        char *role, *actions;
        const idm_role_info *info;

        if (!is_el(c, "delegate")) {
            continue;
        }
        role = attr(c, "role");
        actions = attr(c, "actions");
        info = idm_role_lookup(role);
        if (info != NULL) {
            policy_delegate *d = &p->delegates[p->ndelegates++];
            gchar **v = g_strsplit_set(actions, " \t\n", -1);
            size_t k = 0;

            d->role = info->role;
            d->actions = idm_xcalloc(g_strv_length(v) + 1, sizeof(char *));
            for (size_t i = 0; v[i] != NULL; i++) {
                if (v[i][0] != '\0') {
                    d->actions[k++] = idm_xstrdup(v[i]);
                }
            }
            g_strfreev(v);
        }
        free(role);
        free(actions);
    }
}

/* Load one file into p (application or administration). */
static void load_file(loader *l, xmlSchemaPtr schema, const char *path,
                      idm_policy *p)
{
    xmlDocPtr doc = parse_file(l, path);
    xmlNode *root;

    if (doc == NULL) {
        return;
    }
    if (validate(l, schema, doc, path) != 0) {
        xmlFreeDoc(doc);
        return;
    }
    root = xmlDocGetRootElement(doc);
    if (is_el(root, "application")) {
        policy_app *a;
        p->apps = g_renew(policy_app, p->apps, p->napps + 1);
        a = &p->apps[p->napps];
        memset(a, 0, sizeof(*a));
        parse_app(l, path, root, a);
        for (size_t i = 0; i < p->napps; i++) {
            if (strcmp(p->apps[i].pub.key, a->pub.key) == 0) {
                report(l, path, (int)xmlGetLineNo(root),
                       "key: application \"%s\" is also defined in %s",
                       a->pub.key, p->apps[i].file);
            }
        }
        p->napps++;
    } else if (is_el(root, "administration")) {
        if (p->delegates != NULL) {
            report(l, path, (int)xmlGetLineNo(root),
                   "administration is defined twice");
        } else {
            parse_admin(root, p);
        }
    }
    xmlFreeDoc(doc);
}

static gint cmp_app(gconstpointer a, gconstpointer b, gpointer unused)
{
    const policy_app *x = a, *y = b;
    int c;

    (void)unused;
    c = g_utf8_collate(x->pub.category, y->pub.category);

    return c != 0 ? c : g_utf8_collate(x->pub.name, y->pub.name);
}

static void policy_free(idm_policy *p)
{
    if (p == NULL) {
        return;
    }
    for (size_t i = 0; i < p->napps; i++) {
        app_clear(&p->apps[i]);
    }
    g_free(p->apps);
    for (size_t i = 0; i < p->ndelegates; i++) {
        for (size_t k = 0; p->delegates[i].actions[k] != NULL; k++) {
            free(p->delegates[i].actions[k]);
        }
        free(p->delegates[i].actions);
    }
    free(p->delegates);
    free(p);
}

static gint cmp_path(gconstpointer a, gconstpointer b)
{
    /* g_ptr_array_sort passes pointers to the elements */
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted *.xml files of dir; NULL-ended. */
static gchar **xml_files(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    GPtrArray *v = g_ptr_array_new();
    const char *name;

    while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
        if (g_str_has_suffix(name, ".xml")) {
            g_ptr_array_add(v, g_build_filename(dir, name, NULL));
        }
    }
    if (d != NULL) {
        g_dir_close(d);
    }
    g_ptr_array_sort(v, cmp_path);
    g_ptr_array_add(v, NULL);
    return (gchar **)g_ptr_array_free(v, FALSE);
}

int idm_policy_load(idm_policy **out, const char *dir, idm_policy_diag_fn diag,
                    void *ctx, idm_err *err)
{
    loader l = {diag, ctx, 0, ""};
    idm_policy *p = idm_xcalloc(1, sizeof(*p));
    char *schema_dir = g_build_filename(dir, "schema", NULL);
    char *apps_dir = g_build_filename(dir, "apps", NULL);
    char *admin = g_build_filename(dir, "admin.xml", NULL);
    xmlSchemaPtr schema = load_schema(&l, schema_dir);
    gchar **files = xml_files(apps_dir);
    int rc = 0;

    *out = NULL;
    if (schema != NULL) {
        if (files[0] == NULL) {
            report(&l, apps_dir, 0, "no application policies (*.xml)");
        }
        for (size_t i = 0; files[i] != NULL; i++) {
            load_file(&l, schema, files[i], p);
        }
        if (!g_file_test(admin, G_FILE_TEST_EXISTS)) {
            report(&l, admin, 0, "the administration policy is missing");
        } else {
            load_file(&l, schema, admin, p);
        }
    }
    if (l.problems > 0) {
        rc = idm_err_set(err, IDM_EINVAL, "%s%s", l.first,
                         l.problems > 1 ? " (and more)" : "");
        policy_free(p);
    } else {
        g_qsort_with_data(p->apps, (gint)p->napps, sizeof(*p->apps), cmp_app,
                          NULL);
        p->refs = 1;
        *out = p;
    }
    xmlSchemaFree(schema);
    g_strfreev(files);
    g_free(schema_dir);
    g_free(apps_dir);
    g_free(admin);
    return rc;
}

int idm_policy_check_files(const char *schema_dir, const char *const *files,
                           size_t n, idm_policy_diag_fn diag, void *ctx,
                           idm_err *err)
{
    loader l = {diag, ctx, 0, ""};
    idm_policy *p = idm_xcalloc(1, sizeof(*p));
    xmlSchemaPtr schema = load_schema(&l, schema_dir);
    int rc = 0;

    for (size_t i = 0; schema != NULL && i < n; i++) {
        load_file(&l, schema, files[i], p);
    }
    if (l.problems > 0) {
        rc = idm_err_set(err, IDM_EINVAL, "%s%s", l.first,
                         l.problems > 1 ? " (and more)" : "");
    }
    xmlSchemaFree(schema);
    policy_free(p);
    return rc;
}

idm_policy *idm_policy_ref(idm_policy *policy)
{
    g_atomic_int_inc(&policy->refs);
    return policy;
}

void idm_policy_unref(idm_policy *policy)
{
    if (policy != NULL && g_atomic_int_dec_and_test(&policy->refs)) {
        policy_free(policy);
    }
}

size_t idm_policy_app_count(const idm_policy *policy)
{
    return policy->napps;
}

const idm_app *idm_policy_app_at(const idm_policy *policy, size_t i)
{
    return i < policy->napps ? &policy->apps[i].pub : NULL;
}

const idm_app *idm_policy_app_find(const idm_policy *policy, const char *key)
{
    for (size_t i = 0; key != NULL && i < policy->napps; i++) {
        if (strcmp(policy->apps[i].pub.key, key) == 0) {
            return &policy->apps[i].pub;
        }
    }
    return NULL;
}

const char *idm_sso_mode_name(idm_sso_mode mode)
{
    switch (mode) {
    case IDM_SSO_SSO:
        return "sso";
    case IDM_SSO_REAUTH:
        return "reauth";
    case IDM_SSO_DENY:
        return "deny";
    }
    return "deny";
}
