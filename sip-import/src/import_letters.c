/* SPDX-License-Identifier: EUPL-1.2
 * Credential letters: one PDF per school and class (libharu), one page per
 * new person with school, name, class, login, initial password, the login
 * address and short instructions in German. Files are created 0600 in a
 * 0700 directory; the initial passwords exist nowhere else.
 */
#include <errno.h>
#include <fcntl.h>
#include <hpdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/alloc.h"
#include "base/db.h"
#include "base/err.h"
#include "base/json.h"
#include "sip/conf.h"
#include "import_int.h"

#define FONT_PATH "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#define FONT_BOLD_PATH "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

typedef struct pdf_state {
    HPDF_STATUS error;
    HPDF_STATUS detail;
} pdf_state;

static void on_pdf_error(HPDF_STATUS error, HPDF_STATUS detail, void *data)
{
    pdf_state *st = data;

    if (st->error == 0) {
        st->error = error;
        st->detail = detail;
    }
}

/* Order of letters: school, class, family name, given name. */
static gint cmp_rows(gconstpointer a, gconstpointer b, gpointer data)
{
    const sip_import *imp = data;
    const import_row *x = &imp->rows[*(const size_t *)a];
    const import_row *y = &imp->rows[*(const size_t *)b];
    int c = strcmp(x->v[IMPORT_F_SCHOOL], y->v[IMPORT_F_SCHOOL]);

    if (c == 0) {
        c = g_strcmp0(x->v[IMPORT_F_CLASS], y->v[IMPORT_F_CLASS]);
    }
    if (c == 0) {
        c = g_utf8_collate(x->v[IMPORT_F_FAMILY], y->v[IMPORT_F_FAMILY]);
    }
    if (c == 0) {
        c = g_utf8_collate(x->v[IMPORT_F_GIVEN], y->v[IMPORT_F_GIVEN]);
    }
    return c;
}

typedef struct fonts {
    HPDF_Font regular, bold;
    int utf8; /* else WinAnsi: text is converted, unknown letters '?' */
} fonts;

static void text_at(HPDF_Page page, HPDF_Font font, float size, float x,
                    float y, const fonts *f, const char *utf8)
{
    gchar *conv = NULL;

    if (!f->utf8) {
        conv = g_convert_with_fallback(utf8, -1, "WINDOWS-1252", "UTF-8", "?",
                                       NULL, NULL, NULL);
    }
    HPDF_Page_BeginText(page);
    HPDF_Page_SetFontAndSize(page, font, size);
    HPDF_Page_TextOut(page, x, y, conv != NULL ? conv : utf8);
    HPDF_Page_EndText(page);
    g_free(conv);
}

static void letter_page(HPDF_Doc pdf, const fonts *f, const import_row *row,
                        const idm_conf *conf)
{
    HPDF_Page page = HPDF_AddPage(pdf);
    float y = 760;
    char *name = g_strdup_printf("%s %s", row->v[IMPORT_F_GIVEN],
                                 row->v[IMPORT_F_FAMILY]);
    char *url = sip_import_conf_get(conf)->login_url;
    const struct {
        const char *label, *value;
        int bold;
    } fields[] = {
        {"Schule:", row->v[IMPORT_F_SCHOOL], 0},
        {"Name:", name, 0},
        {"Klasse:",
         row->v[IMPORT_F_CLASS] != NULL ? row->v[IMPORT_F_CLASS] : "–", 0},
        {"Anmeldename:", row->login, 1},
        {"Erstpasswort:", row->password, 1},
        {"Anmeldung unter:", url, 0},
    };
    static const char *const steps[] = {
        "So melden Sie sich zum ersten Mal an:",
        "1. Öffnen Sie die oben genannte Adresse im Browser.",
        "2. Geben Sie Ihren Anmeldenamen und das Erstpasswort ein.",
        "3. Sie werden sofort aufgefordert, ein eigenes Passwort zu wählen.",
        "   Das Erstpasswort gilt danach nicht mehr.",
        "4. Geben Sie Ihr Passwort niemals weiter. Vernichten Sie dieses",
        "   Schreiben nach der ersten Anmeldung.",
        "",
        "Bei Fragen hilft Ihnen das Sekretariat Ihrer Schule.",
    };

    HPDF_Page_SetSize(page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
    text_at(page, f->bold, 16, 60, y, f,
            "Ihre Zugangsdaten für den Schul-Login");
    y -= 22;
    text_at(page, f->regular, 11, 60, y, f,
            "Identitätsdienst der Schulen in Mecklenburg-Vorpommern");
    y -= 48;
    for (size_t i = 0; i < G_N_ELEMENTS(fields); i++) {
        text_at(page, f->regular, 12, 60, y, f, fields[i].label);
        text_at(page, fields[i].bold ? f->bold : f->regular,
                fields[i].bold ? 14 : 12, 200, y, f,
                fields[i].value != NULL ? fields[i].value : "");
        y -= 26;
    }
    y -= 24;
    for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
        text_at(page, i == 0 ? f->bold : f->regular, 11, 60, y, f, steps[i]);
        y -= 17;
    }
    g_free(name);
}

/* "BF-Kfz 1" -> "BF-Kfz_1": a safe file name part. */
static char *file_part(const char *s)
{
    char *o = g_strdup(s != NULL ? s : "personal");

    for (char *p = o; *p != '\0'; p++) {
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_') {
            *p = '_';
        }
    }
    return o;
}

static int save_pdf(HPDF_Doc pdf, const char *path, idm_err *err)
{
    HPDF_UINT32 size;
    HPDF_BYTE *buf = NULL;
    int fd = -1, rc = 0;
    size_t off = 0;

    if (HPDF_SaveToStream(pdf) != HPDF_OK) {
        return idm_err_set(err, IDM_EIO, "cannot build the letter \"%s\"",
                           path);
    }
    size = HPDF_GetStreamSize(pdf);
    buf = idm_xmalloc(size > 0 ? size : 1);
    if (HPDF_ReadFromStream(pdf, buf, &size) != HPDF_OK && size == 0) {
        rc = idm_err_set(err, IDM_EIO, "cannot build the letter \"%s\"", path);
        goto cleanup;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = idm_err_set(err, IDM_EIO, "cannot write \"%s\": %s", path,
                         strerror(errno));
        goto cleanup;
    }
    while (off < size) {
        ssize_t n = write(fd, buf + off, size - off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            rc = idm_err_set(err, IDM_EIO, "cannot write \"%s\": %s", path,
                             strerror(errno));
            goto cleanup;
        }
        off += (size_t)n;
    }
    if (close(fd) != 0) {
        fd = -1;
        rc = idm_err_set(err, IDM_EIO, "cannot write \"%s\": %s", path,
                         strerror(errno));
        goto cleanup;
    }
    fd = -1;
cleanup:
    if (fd >= 0) {
        close(fd);
    }
    if (buf != NULL) {
        OPENSSL_cleanse(buf, size); /* holds passwords */
        free(buf);
    }
    return rc;
}

static void remember(sip_import *imp, const char *path)
{
    size_t n = 0;
    char **v;

    while (imp->letters != NULL && imp->letters[n] != NULL) {
        n++;
    }
    v = idm_xcalloc(n + 2, sizeof(char *));
    if (n > 0) {
        memcpy(v, imp->letters, n * sizeof(char *));
    }
    v[n] = idm_xstrdup(path);
    free(imp->letters);
    imp->letters = v;
}

static int open_pdf(HPDF_Doc *out, fonts *f, pdf_state *st)
{
    HPDF_Doc pdf = HPDF_New(on_pdf_error, st);
    const char *reg, *bold;

    *out = NULL;
    if (pdf == NULL) {
        return IDM_EINTERNAL;
    }
    HPDF_SetCompressionMode(pdf, HPDF_COMP_ALL);
    f->utf8 = 0;
    if (access(FONT_PATH, R_OK) == 0 && access(FONT_BOLD_PATH, R_OK) == 0 &&
        HPDF_UseUTFEncodings(pdf) == HPDF_OK) {
        reg = HPDF_LoadTTFontFromFile(pdf, FONT_PATH, HPDF_TRUE);
        bold = HPDF_LoadTTFontFromFile(pdf, FONT_BOLD_PATH, HPDF_TRUE);
        if (reg != NULL && bold != NULL) {
            f->regular = HPDF_GetFont(pdf, reg, "UTF-8");
            f->bold = HPDF_GetFont(pdf, bold, "UTF-8");
            f->utf8 = f->regular != NULL && f->bold != NULL;
        }
    }
    if (!f->utf8) {
        st->error = 0;
        f->regular = HPDF_GetFont(pdf, "Helvetica", "WinAnsiEncoding");
        f->bold = HPDF_GetFont(pdf, "Helvetica-Bold", "WinAnsiEncoding");
    }
    *out = pdf;
    return 0;
}

int sip_import__letters_write(sip_import *imp, const idm_conf *conf,
                              const char *dir, idm_err *err)
{
    size_t *order = NULL, n = 0;
    HPDF_Doc pdf = NULL;
    pdf_state st = {0, 0};
    fonts f;
    char *path = NULL;
    int rc = 0;

    if (g_mkdir_with_parents(dir, 0700) != 0) {
        return idm_err_set(err, IDM_EIO, "cannot create \"%s\": %s", dir,
                           strerror(errno));
    }
    order = idm_xcalloc(imp->nrows + 1, sizeof(*order));
    for (size_t i = 0; i < imp->nrows; i++) {
        if (imp->rows[i].action == SIP_IMPORT_NEW &&
            imp->rows[i].password != NULL) {
            order[n++] = i;
        }
    }
    g_qsort_with_data(order, (gint)n, sizeof(*order), cmp_rows, imp);
    for (size_t i = 0; i < n; i++) {
        const import_row *row = &imp->rows[order[i]];
        const import_row *next = i + 1 < n ? &imp->rows[order[i + 1]] : NULL;

        if (pdf == NULL) {
            rc = open_pdf(&pdf, &f, &st);
            if (rc != 0) {
                rc = idm_err_set(err, IDM_EINTERNAL, "cannot start a PDF");
                goto cleanup;
            }
        }
        letter_page(pdf, &f, row, conf);
        if (next == NULL ||
            strcmp(next->v[IMPORT_F_SCHOOL], row->v[IMPORT_F_SCHOOL]) != 0 ||
            g_strcmp0(next->v[IMPORT_F_CLASS], row->v[IMPORT_F_CLASS]) != 0) {
            char *cls = file_part(row->v[IMPORT_F_CLASS]);
            path = g_strdup_printf("%s/%s_%s.pdf", dir, row->v[IMPORT_F_SCHOOL],
                                   cls);
            g_free(cls);
            if (st.error != 0) {
                rc = idm_err_set(err, IDM_EIO,
                                 "cannot build the letter "
                                 "\"%s\"",
                                 path);
                idm_err_detail(err, "libharu error 0x%04lX detail %lu",
                               (unsigned long)st.error,
                               (unsigned long)st.detail);
                goto cleanup;
            }
            rc = save_pdf(pdf, path, err);
            if (rc != 0) {
                goto cleanup;
            }
            remember(imp, path);
            g_free(path);
            path = NULL;
            HPDF_Free(pdf);
            pdf = NULL;
        }
    }
cleanup:
    if (pdf != NULL) {
        HPDF_Free(pdf);
    }
    if (rc != 0) {
        sip_import__letters_remove(imp);
    }
    g_free(path);
    free(order);
    return rc;
}

void sip_import__letters_remove(sip_import *imp)
{
    for (size_t i = 0; imp->letters != NULL && imp->letters[i] != NULL; i++) {
        unlink(imp->letters[i]);
        free(imp->letters[i]);
    }
    free(imp->letters);
    imp->letters = NULL;
}
