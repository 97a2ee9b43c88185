/* SPDX-License-Identifier: EUPL-1.2
 * A fresh database of the test harness for the C integration tests.
 */
#include "testpg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/db.h"
#include "idm/migrate.h"

int testpg_newdb(char *conninfo, size_t size, const char *name)
{
    const char *st = getenv("IDM_TEST_STATE");
    const char *src = getenv("IDM_SOURCE_DIR");
    char cmd[1024];
    FILE *p;
    int ok;

    if (st == NULL || src == NULL) {
        fprintf(stderr, "IDM_TEST_STATE and IDM_SOURCE_DIR must be set\n");
        return -1;
    }
    snprintf(cmd, sizeof(cmd), "%s/tests/harness/pg newdb %s %s", src, st,
             name);
    p = popen(cmd, "r");
    if (p == NULL) {
        fprintf(stderr, "setup: cannot run tests/harness/pg\n");
        return -1;
    }
    ok = fgets(conninfo, (int)size, p) != NULL;
    if (pclose(p) != 0 || !ok) {
        fprintf(stderr, "setup: pg newdb %s failed\n", name);
        return -1;
    }
    conninfo[strcspn(conninfo, "\n")] = '\0';
    return 0;
}

int testpg_newdb_migrated(char *conninfo, size_t size, const char *name)
{
    char dir[1024];
    idm_err err = IDM_ERR_INIT;
    idm_db *db = NULL;
    int applied = 0, rc;

    if (testpg_newdb(conninfo, size, name) != 0) {
        return -1;
    }
    snprintf(dir, sizeof(dir), "%s/migrations", getenv("IDM_SOURCE_DIR"));
    rc = idm_db_open_conninfo(&db, conninfo, NULL, 10, &err);
    if (rc == 0) {
        rc = idm_migrate_apply(&applied, db, dir, &err);
    }
    if (rc != 0) {
        fprintf(stderr, "setup: %s (%s)\n", err.msg, err.detail);
    }
    idm_db_close(db);
    return rc != 0 ? -1 : 0;
}
