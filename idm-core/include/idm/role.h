/* SPDX-License-Identifier: EUPL-1.2
 * The role model: identifiers used on the CLI and in policies, and their
 * mapping to eduPersonAffiliation and SchulConneX role codes.
 */
#ifndef IDM_ROLE_H
#define IDM_ROLE_H

#include "base/common.h"
#include "org.h"

typedef enum idm_role {
    IDM_ROLE_PUPIL,
    IDM_ROLE_TEACHER,
    IDM_ROLE_TRAINEE,
    IDM_ROLE_PEDAGOGICAL_STAFF,
    IDM_ROLE_MUNICIPAL_STAFF,
    IDM_ROLE_SCHOOL_LEADER,
    IDM_ROLE_GUARDIAN,
    IDM_ROLE_AUTHORITY_STAFF,
    IDM_ROLE_MINISTRY_STAFF,
    IDM_ROLE_SCHOOL_ADMIN,
    IDM_ROLE_AUTHORITY_ADMIN,
    IDM_ROLE_MINISTRY_ADMIN,
    IDM_ROLE__COUNT
} idm_role;

typedef struct idm_role_info {
    idm_role role;
    const char *name;     /* CLI and policy identifier */
    const char *label_de; /* German display name */
    const char *label_en;
    const char *const *affiliations; /* eduPersonAffiliation, NULL-ended */
    const char *schulconnex;         /* SchulConneX Rolle code */
    unsigned org_types;              /* bit (1u << idm_org_type) where valid */
    int is_admin;                    /* delegated administration of a subtree */
} idm_role_info;

/** Look up by identifier ("teacher"); NULL if unknown. */
const idm_role_info *idm_role_lookup(const char *name);

/** Info for a role value; NULL if out of range. */
const idm_role_info *idm_role_get(idm_role role);

/** 1 if role may be held at an organisational unit of type. */
int idm_role_valid_at(idm_role role, idm_org_type type);

#endif /* IDM_ROLE_H */
