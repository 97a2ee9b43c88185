/* SPDX-License-Identifier: EUPL-1.2
 * The per-row report of an import as CSV (UTF-8 with BOM, ';', so that
 * spreadsheet programs open it directly). It never holds a password.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "import_int.h"

static void cell(GString *b, const char *s, int last)
{
    if (s == NULL) {
        s = "";
    }
    if (strpbrk(s, ";\"\r\n") != NULL) {
        g_string_append_c(b, '"');
        for (const char *p = s; *p != '\0'; p++) {
            if (*p == '"') {
                g_string_append_c(b, '"');
            }
            g_string_append_c(b, *p);
        }
        g_string_append_c(b, '"');
    } else {
        g_string_append(b, s);
    }
    g_string_append(b, last ? "\r\n" : ";");
}

int sip_import_report_write(const sip_import *imp, const char *path,
                            idm_err *err)
{
    GString *b = g_string_sized_new(imp->nrows * 96 + 256);
    char line[16];
    int fd = -1, rc = 0;
    size_t off = 0;

    g_string_append(b, "\xEF\xBB\xBF");
    g_string_append(b, "line;action;school;key;login;family_name;given_name;"
                       "class;role;result;message\r\n");
    for (size_t i = 0; i < sip_import_row_count(imp); i++) {
        sip_import_row_info r;
        sip_import_row(imp, i, &r);
        snprintf(line, sizeof(line), "%d", r.line);
        cell(b, r.line > 0 ? line : "", 0);
        cell(b, sip_import_action_name(r.action), 0);
        cell(b, r.school, 0);
        cell(b, r.key, 0);
        cell(b, r.login, 0);
        cell(b, r.family_name, 0);
        cell(b, r.given_name, 0);
        cell(b, r.class_name, 0);
        cell(b, r.role, 0);
        cell(b, r.result, 0);
        cell(b, r.message, 1);
    }
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = idm_err_set(err, IDM_EIO, "cannot write the report \"%s\": %s",
                         path, strerror(errno));
        goto cleanup;
    }
    while (off < b->len) {
        ssize_t n = write(fd, b->str + off, b->len - off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            rc = idm_err_set(err, IDM_EIO, "cannot write the report \"%s\": %s",
                             path, strerror(errno));
            goto cleanup;
        }
        off += (size_t)n;
    }
    if (close(fd) != 0) {
        fd = -1;
        rc = idm_err_set(err, IDM_EIO, "cannot write the report \"%s\": %s",
                         path, strerror(errno));
        goto cleanup;
    }
    fd = -1;
cleanup:
    if (fd >= 0) {
        close(fd);
    }
    g_string_free(b, TRUE);
    return rc;
}
