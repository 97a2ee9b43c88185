/* SPDX-License-Identifier: EUPL-1.2
 * Import profiles: which header names feed which field, which fields are
 * required, fixed values, and (staff) how functions map to roles. The
 * shipped profiles are written in the same INI format as custom profile
 * files, so both go through one parser.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/db.h"
#include "base/err.h"
#include "base/json.h"
#include "idm/role.h"
#include "import_int.h"

static const char *const field_names[IMPORT_F__COUNT] = {
    [IMPORT_F_SCHOOL] = "school", [IMPORT_F_KEY] = "key",
    [IMPORT_F_FAMILY] = "family", [IMPORT_F_GIVEN] = "given",
    [IMPORT_F_GENDER] = "gender", [IMPORT_F_BIRTH] = "birth",
    [IMPORT_F_CLASS] = "class",   [IMPORT_F_GRADE] = "grade",
    [IMPORT_F_TITLE] = "title",   [IMPORT_F_SUBJECTS] = "subjects",
    [IMPORT_F_ROLE] = "role",
};

static const char sip_schueler[] =
    "# SIP-Schule: Schülerinnen und Schüler (pupils)\n"
    "[profile]\n"
    "name = sip-schueler\n"
    "kind = pupil\n"
    "required = school, key, family, given, class\n"
    "\n"
    "[columns]\n"
    "school = Schulnummer\n"
    "key = Schülernummer\n"
    "family = Nachname\n"
    "given = Vorname\n"
    "gender = Geschlecht\n"
    "birth = Geburtsdatum\n"
    "class = Klasse | Klassenname\n"
    "grade = Jahrgangsstufe\n";

static const char sip_personal[] =
    "# SIP-Schule: Lehrkräfte und Personal (staff)\n"
    "[profile]\n"
    "name = sip-personal\n"
    "kind = staff\n"
    "required = school, key, family, given\n"
    "default_role = teacher\n"
    "\n"
    "[columns]\n"
    "school = Schulnummer\n"
    "key = Lehrernummer\n"
    "title = Titel\n"
    "family = Nachname\n"
    "given = Vorname\n"
    "gender = Geschlecht\n"
    "birth = Geburtsdatum\n"
    "subjects = Lehramt\n"
    "role = Funktion\n"
    "\n"
    "# value of the Funktion column = role (role names are accepted too)\n"
    "[roles]\n"
    "Lehrer = teacher\n"
    "Lehrerin = teacher\n"
    "Lehrkraft = teacher\n"
    "LK = teacher\n"
    "Schulleiter = school_leader\n"
    "Schulleiterin = school_leader\n"
    "Schulleitung = school_leader\n"
    "SL = school_leader\n"
    "Stellvertretende Schulleitung = school_leader\n"
    "Referendar = trainee\n"
    "Referendarin = trainee\n"
    "Lehramtsanwärter = trainee\n"
    "Lehramtsanwärterin = trainee\n"
    "Lehrkraft im Vorbereitungsdienst = trainee\n"
    "LiV = trainee\n"
    "Pädagogisches Personal = pedagogical_staff\n"
    "Pädagogische Fachkraft = pedagogical_staff\n"
    "Sozialpädagoge = pedagogical_staff\n"
    "Sozialpädagogin = pedagogical_staff\n"
    "Erzieher = pedagogical_staff\n"
    "Erzieherin = pedagogical_staff\n"
    "Schulsozialarbeit = pedagogical_staff\n"
    "Personal des Schulträgers = municipal_staff\n"
    "Sekretariat = municipal_staff\n"
    "Sekretärin = municipal_staff\n"
    "Sekretär = municipal_staff\n"
    "Hausmeister = municipal_staff\n"
    "Hausmeisterin = municipal_staff\n";

static const struct {
    const char *name;
    const char *text;
} shipped[] = {
    {"sip-schueler", sip_schueler},
    {"sip-personal", sip_personal},
};

static const char *const shipped_names[] = {"sip-schueler", "sip-personal",
                                            NULL};

const char *const *sip_import_profile_names(void)
{
    return shipped_names;
}

const char *sip_import_profile_text(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(shipped); i++) {
        if (name != NULL && strcmp(shipped[i].name, name) == 0) {
            return shipped[i].text;
        }
    }
    return NULL;
}

const char *sip_import__field_name(import_field f)
{
    if ((int)f < 0 || f >= IMPORT_F__COUNT) {
        return "?";
    }
    return field_names[f];
}

static int field_parse(import_field *out, const char *name)
{
    for (int f = 0; f < IMPORT_F__COUNT; f++) {
        if (strcmp(field_names[f], name) == 0) {
            *out = (import_field)f;
            return 0;
        }
    }
    return IDM_EINVAL;
}

char *sip_import__norm_header(const char *s)
{
    gchar *fold = g_utf8_casefold(s, -1);
    gchar *nfc = g_utf8_normalize(fold, -1, G_NORMALIZE_NFC);
    GString *o = g_string_sized_new(strlen(s) + 4);
    char *res;

    g_free(fold);
    if (nfc == NULL) {
        g_string_free(o, TRUE);
        return idm_xstrdup("");
    }
    for (gchar *p = nfc; *p != '\0'; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        switch (c) {
        case 0x00E4:
            g_string_append(o, "ae");
            break;
        case 0x00F6:
            g_string_append(o, "oe");
            break;
        case 0x00FC:
            g_string_append(o, "ue");
            break;
        case 0x00DF:
            g_string_append(o, "ss");
            break;
        case 0xFEFF: /* a BOM left in a header cell */
            break;
        default:
            g_string_append_unichar(o, c);
        }
    }
    g_free(nfc);
    res = idm_xstrdup(g_strstrip(o->str));
    g_string_free(o, TRUE);
    return res;
}

void sip_import__profile_free(import_profile *p)
{
    if (p == NULL) {
        return;
    }
    free(p->name);
    for (int f = 0; f < IMPORT_F__COUNT; f++) {
        g_strfreev(p->columns[f]);
        free(p->label[f]);
        free(p->fixed[f]);
    }
    if (p->roles != NULL) {
        g_hash_table_destroy(p->roles);
    }
    free(p->default_role);
    free(p);
}

/* "a | b | c" -> normalised, NULL-ended. */
static char **split_alternatives(const char *value)
{
    gchar **parts = g_strsplit(value, "|", -1);
    guint n = g_strv_length(parts), o = 0;
    char **v = g_new0(char *, n + 1);

    for (guint i = 0; i < n; i++) {
        char *norm = sip_import__norm_header(parts[i]);
        if (norm[0] != '\0') {
            v[o++] = g_strdup(norm);
        }
        free(norm);
    }
    g_strfreev(parts);
    return v;
}

static int check_role(const char *role, const char *name, idm_err *err)
{
    const idm_role_info *r = idm_role_lookup(role);

    if (r == NULL || r->is_admin ||
        !idm_role_valid_at(r->role, IDM_ORG_SCHOOL)) {
        return idm_err_set(err, IDM_EINVAL,
                           "profile %s: \"%s\" is not a role held at a school",
                           name, role);
    }
    return 0;
}

int sip_import__profile_parse(import_profile **out, const char *text,
                              const char *name, idm_err *err)
{
    GKeyFile *kf = g_key_file_new();
    GError *gerr = NULL;
    import_profile *p = idm_xcalloc(1, sizeof(*p));
    gchar **keys = NULL, **req = NULL;
    gchar *v = NULL;
    int rc = 0;

    *out = NULL;
    p->roles = g_hash_table_new_full(g_str_hash, g_str_equal, free, free);
    g_key_file_set_list_separator(kf, ',');
    if (!g_key_file_load_from_data(kf, text, strlen(text), G_KEY_FILE_NONE,
                                   &gerr)) {
        rc = idm_err_set(err, IDM_EINVAL, "profile %s: not an INI file: %s",
                         name, gerr->message);
        goto cleanup;
    }
    v = g_key_file_get_string(kf, "profile", "name", NULL);
    p->name = idm_xstrdup(v != NULL ? g_strstrip(v) : name);
    g_free(v);
    v = g_key_file_get_string(kf, "profile", "kind", NULL);
    if (v == NULL ||
        (strcmp(g_strstrip(v), "pupil") != 0 && strcmp(v, "staff") != 0)) {
        rc = idm_err_set(err, IDM_EINVAL,
                         "profile %s: [profile] kind must be pupil or staff",
                         name);
        goto cleanup;
    }
    p->kind = strcmp(v, "pupil") == 0 ? IMPORT_KIND_PUPIL : IMPORT_KIND_STAFF;
    g_free(v);
    v = g_key_file_get_string(kf, "profile", "default_role", NULL);
    p->default_role = idm_xstrdup(
        v != NULL ? g_strstrip(v)
                  : (p->kind == IMPORT_KIND_PUPIL ? "pupil" : "teacher"));
    g_free(v);
    v = NULL;
    rc = check_role(p->default_role, name, err);
    if (rc != 0) {
        goto cleanup;
    }
    keys = g_key_file_get_keys(kf, "columns", NULL, NULL);
    for (gsize i = 0; keys != NULL && keys[i] != NULL; i++) {
        import_field f;
        if (field_parse(&f, keys[i]) != 0) {
            rc =
                idm_err_set(err, IDM_EINVAL,
                            "profile %s: [columns] %s: unknown field (known: "
                            "school, key, family, given, gender, birth, class, "
                            "grade, title, subjects, role)",
                            name, keys[i]);
            goto cleanup;
        }
        v = g_key_file_get_string(kf, "columns", keys[i], NULL);
        p->columns[f] = split_alternatives(v != NULL ? v : "");
        {
            gchar **parts = g_strsplit(v != NULL ? v : "", "|", 2);
            p->label[f] =
                idm_xstrdup(parts[0] != NULL ? g_strstrip(parts[0]) : "");
            g_strfreev(parts);
        }
        g_free(v);
        v = NULL;
    }
    g_strfreev(keys);
    keys = g_key_file_get_keys(kf, "fixed", NULL, NULL);
    for (gsize i = 0; keys != NULL && keys[i] != NULL; i++) {
        import_field f;
        if (field_parse(&f, keys[i]) != 0) {
            rc = idm_err_set(err, IDM_EINVAL,
                             "profile %s: [fixed] %s: unknown field", name,
                             keys[i]);
            goto cleanup;
        }
        v = g_key_file_get_string(kf, "fixed", keys[i], NULL);
        p->fixed[f] = idm_xstrdup(v != NULL ? g_strstrip(v) : "");
        g_free(v);
        v = NULL;
    }
    g_strfreev(keys);
    keys = g_key_file_get_keys(kf, "roles", NULL, NULL);
    for (gsize i = 0; keys != NULL && keys[i] != NULL; i++) {
        v = g_key_file_get_string(kf, "roles", keys[i], NULL);
        if (v == NULL || check_role(g_strstrip(v), name, err) != 0) {
            rc = idm_err_set(err, IDM_EINVAL,
                             "profile %s: [roles] %s: not a role held at a "
                             "school",
                             name, keys[i]);
            goto cleanup;
        }
        g_hash_table_replace(p->roles, sip_import__norm_header(keys[i]),
                             idm_xstrdup(v));
        g_free(v);
        v = NULL;
    }
    req = g_key_file_get_string_list(kf, "profile", "required", NULL, NULL);
    for (gsize i = 0; req != NULL && req[i] != NULL; i++) {
        import_field f;
        gchar *r = g_strstrip(req[i]);
        if (r[0] == '\0') {
            continue;
        }
        if (field_parse(&f, r) != 0) {
            rc = idm_err_set(err, IDM_EINVAL,
                             "profile %s: [profile] required: unknown field "
                             "\"%s\"",
                             name, r);
            goto cleanup;
        }
        p->required[f] = 1;
    }
    /* Without these an import cannot identify anyone. */
    p->required[IMPORT_F_SCHOOL] = p->required[IMPORT_F_KEY] = 1;
    p->required[IMPORT_F_FAMILY] = p->required[IMPORT_F_GIVEN] = 1;
    for (int f = 0; f < IMPORT_F__COUNT; f++) {
        if (p->required[f] && p->fixed[f] == NULL &&
            (p->columns[f] == NULL || p->columns[f][0] == NULL)) {
            rc = idm_err_set(err, IDM_EINVAL,
                             "profile %s: required field %s has neither a "
                             "column nor a fixed value",
                             name, field_names[f]);
            goto cleanup;
        }
    }
    *out = p;
    p = NULL;
cleanup:
    if (gerr != NULL) {
        g_error_free(gerr);
    }
    g_free(v);
    g_strfreev(keys);
    g_strfreev(req);
    g_key_file_free(kf);
    sip_import__profile_free(p);
    return rc;
}

int sip_import__profile_load(import_profile **out, const char *name_or_path,
                             idm_err *err)
{
    const char *text = sip_import_profile_text(name_or_path);
    gchar *data = NULL;
    GError *gerr = NULL;
    int rc;

    *out = NULL;
    if (text != NULL) {
        return sip_import__profile_parse(out, text, name_or_path, err);
    }
    if (!g_file_get_contents(name_or_path, &data, NULL, &gerr)) {
        rc = idm_err_set(err, IDM_EINVAL,
                         "profile \"%s\" is neither a shipped profile "
                         "(sip-schueler, sip-personal) nor a readable file",
                         name_or_path);
        idm_err_detail(err, "%s", gerr->message);
        g_error_free(gerr);
        return rc;
    }
    rc = sip_import__profile_parse(out, data, name_or_path, err);
    g_free(data);
    return rc;
}

int sip_import__profile_match(const import_profile *p, char *const *header,
                              size_t ncols, int map[IMPORT_F__COUNT],
                              import_field *missing)
{
    int ok = 1;

    for (int f = 0; f < IMPORT_F__COUNT; f++) {
        map[f] = -1;
        for (size_t a = 0;
             p->columns[f] != NULL && p->columns[f][a] != NULL && map[f] < 0;
             a++) {
            for (size_t c = 0; c < ncols; c++) {
                if (strcmp(header[c], p->columns[f][a]) == 0) {
                    map[f] = (int)c;
                    break;
                }
            }
        }
        if (map[f] < 0 && p->required[f] && p->fixed[f] == NULL && ok) {
            ok = 0;
            if (missing != NULL) {
                *missing = (import_field)f;
            }
        }
    }
    return ok;
}

const char *sip_import__profile_role(const import_profile *p, const char *value)
{
    char *norm;
    const char *role;
    const idm_role_info *r;

    if (value == NULL || value[0] == '\0') {
        return idm_role_lookup(p->default_role)->name;
    }
    norm = sip_import__norm_header(value);
    role = g_hash_table_lookup(p->roles, norm);
    free(norm);
    if (role == NULL) {
        role = value; /* a role name itself ("teacher") */
    }
    r = idm_role_lookup(role);
    if (r == NULL || r->is_admin ||
        !idm_role_valid_at(r->role, IDM_ORG_SCHOOL) ||
        (p->kind == IMPORT_KIND_STAFF) != (r->role != IDM_ROLE_PUPIL) ||
        r->role == IDM_ROLE_GUARDIAN) {
        return NULL;
    }
    return r->name; /* static */
}
