/* SPDX-License-Identifier: EUPL-1.2
 * Mapping of the identity core's records to LDAP entries: people in one
 * flat ou=people, organisational units in ou=orgs, classes, courses, staff
 * groups and one group per role per unit in ou=groups. Pure functions: the
 * records come from the database layer (src/source.c) or from tests.
 */
#ifndef LSYNC_MAP_H
#define LSYNC_MAP_H

#include <stddef.h>

#include "base/common.h"
#include "base/err.h"

#include "entry.h"

/** Settings of the mapping. */
typedef struct lsync_map_opts {
    const char *base;  /* base DN, e.g. dc=schule-mv,dc=de */
    const char *scope; /* schacHomeOrganization and eduPerson scope */
    /* release given and family names of persons with an information
     * release block (Auskunftssperre); default 0: they get none */
    int release_blocked_names;
} lsync_map_opts;

#define LSYNC_MAP_OPTS_INIT                                                    \
    {                                                                          \
        NULL, NULL, 0                                                          \
    }

/** A role a person holds now (assignment valid today). */
typedef struct lsync_role_ctx {
    const char *org_code;    /* org_unit.code */
    const char *school_code; /* DE-MV-75123 for schools, else NULL */
    const char *role;        /* idm_role name, e.g. "teacher" */
} lsync_role_ctx;

typedef struct lsync_person {
    const char *uuid;
    const char *login;
    const char *given_name;
    const char *family_name;
    const char *status;        /* active, locked, disabled */
    const char *password_hash; /* $argon2id$... or NULL */
    const char *mail;          /* NULL: the core keeps no address yet */
    int info_block;            /* Auskunftssperre */
    int processing_restricted; /* GDPR Art. 18 */
    const lsync_role_ctx *roles;
    size_t nroles;
} lsync_person;

typedef struct lsync_org {
    const char *code;
    const char *type; /* ministry, authority, school, school_board */
    const char *name;
    const char *parent_code; /* or NULL */
    const char *school_code; /* DE-MV-<number> for schools, else NULL */
    const char *board_code;  /* or NULL */
} lsync_org;

/** A group: a person_group row ("g:<id>") or a role group ("r:ORG:ROLE"). */
typedef struct lsync_group {
    const char *key;
    const char *org_code;
    const char *kind; /* class, course, staff, role */
    const char *name; /* group name, or the role name */
    const char *year; /* school year or NULL */
    const char *const *member_logins;
    size_t nmembers;
} lsync_group;

/** The three containers below the base that the sync manages. */
#define LSYNC_OU_PEOPLE "people"
#define LSYNC_OU_GROUPS "groups"
#define LSYNC_OU_ORGS "orgs"

/** DN of a person: uid=LOGIN,ou=people,BASE. Free with g_free(). */
char *lsync_map_person_dn(const lsync_map_opts *opts, const char *login);

/** DN of an org: ou=CODE,ou=orgs,BASE. Free with g_free(). */
char *lsync_map_org_dn(const lsync_map_opts *opts, const char *code);

/**
 * cn of a group: "ORG-KIND-NAME[-YEAR]" or "ORG-role-ROLE", unique per
 * directory. Free with g_free().
 */
char *lsync_map_group_cn(const lsync_group *group);

/** DN of a group: cn=<escaped cn>,ou=groups,BASE. Free with g_free(). */
char *lsync_map_group_dn(const lsync_map_opts *opts,
                         const lsync_group *group);

/**
 * Build the entry of a person.
 * @param[out] out  new entry; free with lsync_entry_free(). NULL on error.
 * @return 0 or IDM_EINVAL (missing login or UUID, unknown role name, a value
 *         larger than LSYNC_VALUE_MAX).
 */
IDM_MUST_CHECK int lsync_map_person(lsync_entry **out,
                                    const lsync_map_opts *opts,
                                    const lsync_person *person, idm_err *err);

/** Build the entry of an organisational unit (see lsync_map_person). */
IDM_MUST_CHECK int lsync_map_org(lsync_entry **out, const lsync_map_opts *opts,
                                 const lsync_org *org, idm_err *err);

/**
 * Build the entry of a group. groupOfNames needs a member, so a group
 * without members has no entry: *out is NULL and 0 is returned.
 */
IDM_MUST_CHECK int lsync_map_group(lsync_entry **out,
                                   const lsync_map_opts *opts,
                                   const lsync_group *group, idm_err *err);

/** Attributes the sync owns on person, org and group entries (NULL-ended). */
extern const char *const lsync_person_attrs[];
extern const char *const lsync_org_attrs[];
extern const char *const lsync_group_attrs[];

#endif /* LSYNC_MAP_H */
