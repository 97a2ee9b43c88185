/* SPDX-License-Identifier: EUPL-1.2
 * Organisational units as a tree: ministry -> school authority -> school,
 * plus municipal school boards (Schulträger) that maintain schools.
 */
#ifndef IDM_ORG_H
#define IDM_ORG_H

#include <stddef.h>
#include <stdint.h>

#include "base/common.h"
#include "base/err.h"

typedef struct idm_db idm_db;
typedef struct idm_actor idm_actor;

typedef enum idm_org_type {
    IDM_ORG_MINISTRY,
    IDM_ORG_AUTHORITY,
    IDM_ORG_SCHOOL,
    IDM_ORG_SCHOOL_BOARD,
    IDM_ORG__COUNT
} idm_org_type;

/** "ministry", "authority", "school", "school_board". */
const char *idm_org_type_name(idm_org_type type);
IDM_MUST_CHECK int idm_org_type_parse(idm_org_type *out, const char *name);

/** A unit as read from the database; a value record owned by the caller. */
typedef struct idm_org {
    int64_t id;
    char *code; /* unique CLI code; a school's is its number */
    idm_org_type type;
    char *name;
    char *parent_code;   /* NULL for the ministry */
    char *school_number; /* schools only */
    char *school_code;   /* "DE-MV-<number>", schools only */
    char *board_code;    /* school board of a school, or NULL */
    char *created_at;
} idm_org;

typedef struct idm_org_new {
    idm_org_type type;
    const char *code;          /* required unless type is school */
    const char *school_number; /* schools: 5 or 6 digits */
    const char *name;
    const char *parent_code; /* required except for the ministry */
    const char *board_code;  /* optional, schools only */
} idm_org_new;

/**
 * Create a unit (transactional, audited, outbox event "org.created").
 * @return 0, IDM_EINVAL (field named in msg), IDM_ENOTFOUND (parent),
 *         IDM_EEXISTS.
 */
IDM_MUST_CHECK int idm_org_add(idm_db *db, const idm_actor *actor,
                               const idm_org_new *org, idm_err *err);

/** @param[out] out  free with idm_org_free(). @return 0/IDM_ENOTFOUND. */
IDM_MUST_CHECK int idm_org_lookup(idm_org **out, idm_db *db, const char *code,
                                  idm_err *err);

/**
 * List units, ordered as a tree walk (parents first). type < 0: all types.
 * @param[out] out  array of *n records; free with idm_orgs_free().
 */
IDM_MUST_CHECK int idm_org_list(idm_org **out, size_t *n, idm_db *db, int type,
                                const char *under, idm_err *err);

/** Free one record allocated by idm_org_lookup(). Accepts NULL. */
void idm_org_free(idm_org *org);
void idm_orgs_free(idm_org *orgs, size_t n);

#endif /* IDM_ORG_H */
