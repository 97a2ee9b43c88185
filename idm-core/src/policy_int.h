/* SPDX-License-Identifier: EUPL-1.2
 * The policy engine's internal structures, shared by policy_*.c only.
 */
#ifndef IDM_POLICY_INT_H
#define IDM_POLICY_INT_H

#include "idm/policy.h"

typedef enum policy_scope {
    SCOPE_SCHOOL,
    SCOPE_BOARD,
    SCOPE_AUTHORITY,
    SCOPE_MINISTRY,
    SCOPE_ANY
} policy_scope;

typedef enum policy_flag {
    FLAG_NONE = -1,
    FLAG_INFO_BLOCK,
    FLAG_RESTRICTED,
    FLAG_MUST_CHANGE
} policy_flag;

typedef struct policy_rule {
    char *id;
    unsigned roles; /* bit (1u << idm_role) */
    policy_scope scope;
    char *grants;
    int min_age, max_age; /* -1: no condition */
    policy_flag unless_flag;
    char *staff_group; /* NULL: no condition */
    int line;
} policy_rule;

typedef struct policy_app {
    idm_app pub; /* its strings point to the owned copies below */
    char *key, *name, *description, *category, *portal_url, *icon;
    char *file;
    policy_rule *rules;
    size_t nrules;
    unsigned attributes;
    int nameid_persistent, nameid_transient, nameid_prefer_transient;
    int privacy_entitled;
} policy_app;

typedef struct policy_delegate {
    idm_role role;
    char **actions; /* NULL-ended: "user.*", "org.add", "*" */
} policy_delegate;

struct idm_policy {
    int refs;
    policy_app *apps; /* sorted by category, name */
    size_t napps;
    policy_delegate *delegates;
    size_t ndelegates;
};

/** Org types a scope admits. */
int idm_policy__scope_admits(policy_scope scope, idm_org_type type);

#endif /* IDM_POLICY_INT_H */
