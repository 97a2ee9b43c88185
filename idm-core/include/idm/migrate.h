/* SPDX-License-Identifier: EUPL-1.2
 * Forward-only schema migrations: NNNN_name.sql files, each applied in its
 * own transaction and recorded with its SHA-256 in schema_version. A changed
 * applied file stops everything.
 */
#ifndef IDM_MIGRATE_H
#define IDM_MIGRATE_H

#include <stddef.h>

#include "base/common.h"
#include "base/db.h"
#include "base/err.h"

typedef struct idm_migration {
    int version;
    char *name;       /* file name */
    char *checksum;   /* SHA-256 hex of the file, NULL if file missing */
    char *applied_at; /* NULL if pending */
    int changed;      /* applied, but the file differs from what ran */
} idm_migration;

/** Compare the directory with schema_version. */
IDM_MUST_CHECK int idm_migrate_status(idm_migration **out, size_t *n,
                                      idm_db *db, const char *dir,
                                      idm_err *err);

/**
 * Apply pending migrations in order. Refuses (IDM_ECHECKSUM) before applying
 * anything if an applied file changed or disappeared.
 * @param[out] applied  number applied now.
 */
IDM_MUST_CHECK int idm_migrate_apply(int *applied, idm_db *db, const char *dir,
                                     idm_err *err);

/**
 * Check that migration version has been applied, for a program that uses
 * tables created by it (and by the ones before). who names the program in
 * the message.
 * @return 0, IDM_ECONFIG ("run idmctl migrate") if not, or IDM_EDB.
 */
IDM_MUST_CHECK int idm_migrate_require(idm_db *db, int version, const char *who,
                                       idm_err *err);

void idm_migrations_free(idm_migration *list, size_t n);

#endif /* IDM_MIGRATE_H */
