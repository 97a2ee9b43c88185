/* SPDX-License-Identifier: EUPL-1.2
 * Groups of a school: classes (per school year), courses and staff groups,
 * with their memberships.
 */
#ifndef IDM_GROUP_H
#define IDM_GROUP_H

#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "base/common.h"
#include "base/db.h"
#include "base/err.h"

typedef struct idm_group {
    int64_t id;
    char *org_code;
    char *kind; /* class, course, staff */
    char *name;
    char *school_year; /* "2026/27" or NULL */
    int64_t members;
} idm_group;

typedef struct idm_group_member {
    char *login;
    char *given_name;
    char *family_name;
    char *uuid;
} idm_group_member;

/** Create a group. @return 0, IDM_EINVAL, IDM_ENOTFOUND, IDM_EEXISTS. */
IDM_MUST_CHECK int idm_group_add(idm_db *db, const idm_actor *actor,
                                 const char *org_code, const char *kind,
                                 const char *name, const char *school_year,
                                 idm_err *err);

/** Groups at a unit (NULL: all units). */
IDM_MUST_CHECK int idm_group_list(idm_group **out, size_t *n, idm_db *db,
                                  const char *org_code, idm_err *err);

/** Members of one group. */
IDM_MUST_CHECK int idm_group_members(idm_group_member **out, size_t *n,
                                     idm_db *db, const char *org_code,
                                     const char *name, const char *year,
                                     idm_err *err);

/** Add or remove a member (remove: add = 0). */
IDM_MUST_CHECK int idm_group_set_member(idm_db *db, const idm_actor *actor,
                                        const char *org_code, const char *name,
                                        const char *year, const char *login,
                                        int add, idm_err *err);

/**
 * Resolve a group id inside the caller's transaction; year may be NULL when
 * the name is unambiguous at that unit.
 */
IDM_MUST_CHECK int idm_group_resolve(int64_t *out, idm_db *db,
                                     const char *org_code, const char *name,
                                     const char *year, idm_err *err);

void idm_groups_free(idm_group *groups, size_t n);
void idm_group_members_free(idm_group_member *members, size_t n);

#endif /* IDM_GROUP_H */
