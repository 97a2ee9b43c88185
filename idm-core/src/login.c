/* SPDX-License-Identifier: EUPL-1.2
 * Login generation: German transliteration, pattern expansion, numeric
 * suffixes, and the ledger that keeps every issued login forever.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_int.h"
#include "idm/login.h"

/* Suffix digits we leave room for when looking up taken logins. */
#define SUFFIX_ROOM 6
#define ISSUE_RETRIES 8

/* Letters without a canonical decomposition, and German umlauts. */
static const char *special_letter(gunichar c)
{
    switch (c) {
    case 0x00E4:
    case 0x00C4:
        return "ae"; /* ä Ä */
    case 0x00F6:
    case 0x00D6:
        return "oe"; /* ö Ö */
    case 0x00FC:
    case 0x00DC:
        return "ue"; /* ü Ü */
    case 0x00DF:
    case 0x1E9E:
        return "ss"; /* ß ẞ */
    case 0x00E6:
    case 0x00C6:
        return "ae"; /* æ Æ */
    case 0x0153:
    case 0x0152:
        return "oe"; /* œ Œ */
    case 0x00F8:
    case 0x00D8:
        return "o"; /* ø Ø */
    case 0x0111:
    case 0x0110:
        return "d"; /* đ Đ */
    case 0x00F0:
    case 0x00D0:
        return "d"; /* ð Ð */
    case 0x00FE:
    case 0x00DE:
        return "th"; /* þ Þ */
    case 0x0142:
    case 0x0141:
        return "l"; /* ł Ł */
    case 0x0131:
        return "i"; /* dotless ı */
    case 0x014B:
    case 0x014A:
        return "n"; /* ŋ Ŋ */
    case 0x0127:
    case 0x0126:
        return "h"; /* ħ Ħ */
    case 0x0167:
    case 0x0166:
        return "t"; /* ŧ Ŧ */
    case 0x0138:
        return "k"; /* ĸ */
    case 0x0140:
    case 0x013F:
        return "l"; /* ŀ Ŀ */
    case 0x017F:
        return "s"; /* long s */
    case 0x0133:
    case 0x0132:
        return "ij"; /* ĳ Ĳ */
    default:
        return NULL;
    }
}

static int is_apostrophe(gunichar c)
{
    return c == '\'' || c == '`' || c == 0x00B4 || c == 0x2018 || c == 0x2019 ||
           c == 0x02BC || c == 0x02B9 || c == 0x2032;
}

static int is_separator(gunichar c)
{
    return g_unichar_isspace(c) || c == '-' || c == '_' || c == 0x2010 ||
           c == 0x2011 || c == 0x2012 || c == 0x2013 || c == 0x2014 ||
           c == 0x00A0;
}

/* Drop leading/trailing '.'/'-' and collapse runs of them, in place. */
static size_t tidy_buf(char *s, size_t len)
{
    size_t o = 0;

    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int punct = c == '-' || c == '.';
        if (punct && (o == 0 || s[o - 1] == '-' || s[o - 1] == '.')) {
            if (o > 0 && c == '.') {
                s[o - 1] = '.'; /* "a-.b" keeps the dot */
            }
            continue;
        }
        s[o++] = c;
    }
    while (o > 0 && (s[o - 1] == '-' || s[o - 1] == '.')) {
        o--;
    }
    return o;
}

static void tidy(GString *s)
{
    g_string_truncate(s, tidy_buf(s->str, s->len));
}

int idm_login_fold(char **out, const char *name, idm_err *err)
{
    GString *s;
    gchar *nfc;

    *out = NULL;
    if (name == NULL || !g_utf8_validate(name, -1, NULL)) {
        return idm_err_set(err, IDM_EINVAL, "name is not valid UTF-8");
    }
    nfc = g_utf8_normalize(name, -1, G_NORMALIZE_NFC);
    if (nfc == NULL) {
        return idm_err_set(err, IDM_EINVAL, "name is not valid UTF-8");
    }
    s = g_string_sized_new(strlen(nfc));
    for (gchar *p = nfc; *p != '\0'; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        const char *sp = special_letter(c);
        gunichar dec[G_UNICHAR_MAX_DECOMPOSITION_LENGTH];

        if (sp != NULL) {
            g_string_append(s, sp);
        } else if (is_apostrophe(c)) {
            continue;
        } else if (is_separator(c)) {
            g_string_append_c(s, '-');
        } else if (c == '.') {
            g_string_append_c(s, '.');
        } else if (c < 0x80) {
            if (g_ascii_isalnum((gchar)c)) {
                g_string_append_c(s, g_ascii_tolower((gchar)c));
            }
        } else if (g_unichar_fully_decompose(c, FALSE, dec, G_N_ELEMENTS(dec)) >
                       0 &&
                   dec[0] < 0x80 && g_ascii_isalnum((gchar)dec[0])) {
            /* é -> e, č -> c, ñ -> n: base letter, marks dropped */
            g_string_append_c(s, g_ascii_tolower((gchar)dec[0]));
        }
        /* anything else (combining marks already composed, symbols,
         * non-Latin scripts) contributes nothing */
    }
    g_free(nfc);
    tidy(s);
    *out = idm_xstrdup(s->str);
    g_string_free(s, TRUE);
    return 0;
}

/* Cut to max_len bytes (ASCII by now) and tidy the new end. */
static void cut(GString *s, int max_len)
{
    if (max_len > 0 && s->len > (gsize)max_len) {
        g_string_truncate(s, (gsize)max_len);
    }
    tidy(s);
}

int idm_login_base(char *out, size_t size, const char *pattern,
                   const char *given, const char *family, int max_len,
                   idm_err *err)
{
    char *g = NULL, *f = NULL;
    GString *s = g_string_new(NULL);
    int rc;

    if (size > 0) {
        out[0] = '\0';
    }
    rc = idm_login_fold(&g, given != NULL ? given : "", err);
    if (rc != 0) {
        goto cleanup;
    }
    rc = idm_login_fold(&f, family != NULL ? family : "", err);
    if (rc != 0) {
        goto cleanup;
    }
    /* If one name has no usable letters, fall back to the other alone. */
    for (const char *p = pattern; *p != '\0'; p++) {
        if (strncmp(p, "{given}", 7) == 0) {
            g_string_append(s, g);
            p += 6;
        } else if (strncmp(p, "{family}", 8) == 0) {
            g_string_append(s, f);
            p += 7;
        } else if (strncmp(p, "{g}", 3) == 0) {
            if (g[0] != '\0') {
                g_string_append_c(s, g[0]);
            }
            p += 2;
        } else if (strncmp(p, "{f}", 3) == 0) {
            if (f[0] != '\0') {
                g_string_append_c(s, f[0]);
            }
            p += 2;
        } else if (g_ascii_isalnum(*p) || *p == '.' || *p == '-') {
            g_string_append_c(s, g_ascii_tolower(*p));
        }
    }
    cut(s, max_len);
    if (s->len == 0 || !g_ascii_isalnum(s->str[0])) {
        rc = idm_err_set(err, IDM_EINVAL,
                         "the name yields no usable login characters; "
                         "give a login explicitly");
        goto cleanup;
    }
    if (s->len + 1 > size) {
        rc = idm_err_set(err, IDM_ETOOBIG, "login buffer too small");
        goto cleanup;
    }
    memcpy(out, s->str, s->len + 1);
cleanup:
    free(g);
    free(f);
    g_string_free(s, TRUE);
    return rc;
}

int idm_login_candidate(char *out, size_t size, const char *base, unsigned n,
                        int max_len, idm_err *err)
{
    char suffix[16] = "", local[IDM_LOGIN_MAX + 16];
    char *cand = local;
    size_t slen, len = strlen(base);
    int rc = 0;

    if (n >= 2) {
        snprintf(suffix, sizeof(suffix), "%u", n);
    }
    slen = strlen(suffix);
    if (max_len >= 0 && (size_t)max_len <= slen) {
        return idm_err_set(err, IDM_ETOOBIG,
                           "login suffix exceeds the maximum length");
    }
    /* cut to leave room for the number (max_len < 0: no limit) */
    if (max_len > 0 && len > (size_t)max_len - slen) {
        len = (size_t)max_len - slen;
    }
    /* an import tries every number of a common name: no allocation for
     * a base of login size */
    if (len >= sizeof(local)) {
        cand = idm_xmalloc(len + 1);
    }
    memcpy(cand, base, len);
    len = tidy_buf(cand, len);
    if (len + slen + 1 > size) {
        rc = idm_err_set(err, IDM_ETOOBIG, "login buffer too small");
    } else {
        memcpy(out, cand, len);
        memcpy(out + len, suffix, slen + 1);
    }
    if (cand != local) {
        free(cand);
    }
    return rc;
}

unsigned idm_login_pick(const char *base, const char *const *taken,
                        size_t ntaken, int max_len)
{
    /* keys are copies: GHashTable has no const-key interface */
    GHashTable *set =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    char cand[IDM_LOGIN_MAX + 16];
    unsigned n;

    for (size_t i = 0; i < ntaken; i++) {
        g_hash_table_add(set, g_strdup(taken[i]));
    }
    /* n = 1 is the bare base; suffixes start at 2 ("anna.mueller2").
     * Candidates only fail for max_len below the suffix width, which the
     * config's minimum of 8 rules out; stop there regardless. */
    for (n = 1;; n++) {
        if (idm_login_candidate(cand, sizeof(cand), base, n, max_len, NULL) !=
                0 ||
            !g_hash_table_contains(set, cand)) {
            break;
        }
    }
    g_hash_table_destroy(set);
    return n;
}

int idm_login_valid(const char *login, int max_len)
{
    size_t len = strlen(login);

    if (len == 0 || len > (size_t)max_len || len > IDM_LOGIN_MAX ||
        !g_ascii_isalnum(login[0]) || g_ascii_isupper(login[0])) {
        return 0;
    }
    for (const char *p = login; *p != '\0'; p++) {
        if (!(g_ascii_islower(*p) || g_ascii_isdigit(*p) || *p == '.' ||
              *p == '-')) {
            return 0;
        }
    }
    return 1;
}

int idm_login_reserve(idm_db *db, const char *login, int max_len, idm_err *err)
{
    PGresult *res = NULL;
    int rc;

    if (!idm_login_valid(login, max_len)) {
        return idm_err_set(err, IDM_EINVAL,
                           "login: \"%s\" must be 1 to %d characters of "
                           "[a-z0-9.-], starting with a letter or digit",
                           login, max_len);
    }
    rc = idm_db_q(&res, db,
                  "INSERT INTO login_ledger (login) VALUES ($1) "
                  "ON CONFLICT DO NOTHING RETURNING login",
                  err, login);
    if (rc == 0 && PQntuples(res) == 0) {
        rc = idm_err_set(err, IDM_EEXISTS,
                         "login: \"%s\" was already issued and is never "
                         "issued again",
                         login);
    }
    PQclear(res);
    return rc;
}

int idm_login_issue(char **out, idm_db *db, const char *pattern, int max_len,
                    const char *given, const char *family, idm_err *err)
{
    char base[IDM_LOGIN_MAX + 1], prefix[IDM_LOGIN_MAX + 1];
    char cand[IDM_LOGIN_MAX + 16];
    PGresult *res = NULL;
    const char **taken = NULL;
    int rc;

    *out = NULL;
    rc = idm_login_base(base, sizeof(base), pattern, given, family, max_len,
                        err);
    if (rc != 0) {
        return rc;
    }
    /* Every candidate starts with base cut for the longest suffix. */
    snprintf(prefix, sizeof(prefix), "%.*s",
             max_len > SUFFIX_ROOM ? max_len - SUFFIX_ROOM : 1, base);
    for (int attempt = 0; attempt < ISSUE_RETRIES; attempt++) {
        int ntaken;
        unsigned n;

        /* prefix holds only [a-z0-9.-]: no LIKE wildcards to escape */
        rc = idm_db_q(&res, db,
                      "SELECT login FROM login_ledger "
                      "WHERE login LIKE $1 || '%'",
                      err, prefix);
        if (rc != 0) {
            goto cleanup;
        }
        ntaken = PQntuples(res);
        taken = idm_xcalloc((size_t)ntaken + 1, sizeof(*taken));
        for (int i = 0; i < ntaken; i++) {
            taken[i] = PQgetvalue(res, i, 0);
        }
        n = idm_login_pick(base, taken, (size_t)ntaken, max_len);
        rc = idm_login_candidate(cand, sizeof(cand), base, n, max_len, err);
        free(taken);
        taken = NULL;
        PQclear(res);
        res = NULL;
        if (rc != 0) {
            goto cleanup;
        }
        rc = idm_login_reserve(db, cand, max_len, err);
        if (rc == 0) {
            *out = idm_xstrdup(cand);
            goto cleanup;
        }
        if (rc != IDM_EEXISTS) {
            goto cleanup; /* a concurrent issuer took it: retry */
        }
    }
    rc = idm_err_set(err, IDM_ECONFLICT, "could not issue a unique login");
cleanup:
    free(taken);
    PQclear(res);
    return rc;
}
