/* SPDX-License-Identifier: EUPL-1.2
 * Role assignments ("person contexts"): person x organisational unit x role,
 * optionally in a class or group, valid for a time window, from a source.
 */
#ifndef IDM_GRANT_H
#define IDM_GRANT_H

#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "base/common.h"
#include "base/db.h"
#include "base/err.h"

typedef struct idm_grant_spec {
    const char *login;
    const char *org_code;
    const char *role;
    const char *group_name;  /* class/group at org_code, optional */
    const char *group_year;  /* its school year, optional */
    const char *valid_from;  /* date, default today */
    const char *valid_until; /* date, optional (exclusive end) */
    const char *source;      /* manual (default), import, api */
} idm_grant_spec;

#define IDM_GRANT_SPEC_INIT                                                    \
    {                                                                          \
        0                                                                      \
    }

typedef struct idm_grant {
    int64_t id;
    char *login;
    char *person_uuid;
    char *org_code;
    char *org_name;
    char *role;
    char *group_name; /* or NULL */
    char *group_year; /* or NULL */
    char *valid_from;
    char *valid_until; /* or NULL */
    char *source;
    int active; /* valid today */
} idm_grant;

/**
 * Grant a role (transactional, audited, outbox "person.role_granted").
 * The role must suit the unit's type (teacher at a school, ...).
 * @return 0, IDM_EINVAL, IDM_ENOTFOUND, IDM_EEXISTS.
 */
IDM_MUST_CHECK int idm_grant_add(int64_t *id_out, idm_db *db,
                                 const idm_actor *actor,
                                 const idm_grant_spec *spec, idm_err *err);

/** Revoke the matching assignment (login, org, role, group). */
IDM_MUST_CHECK int idm_grant_revoke(idm_db *db, const idm_actor *actor,
                                    const idm_grant_spec *spec, idm_err *err);

/** List assignments of a login and/or at a unit (either may be NULL). */
IDM_MUST_CHECK int idm_grant_list(idm_grant **out, size_t *n, idm_db *db,
                                  const char *login, const char *org_code,
                                  int include_expired, idm_err *err);

void idm_grants_free(idm_grant *grants, size_t n);

#endif /* IDM_GRANT_H */
