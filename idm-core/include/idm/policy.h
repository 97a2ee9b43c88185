/* SPDX-License-Identifier: EUPL-1.2
 * Rights policies: which person may use which application (default deny),
 * whether an existing SSO session suffices, which attributes and NameID
 * formats the application receives, and what delegated administrators may
 * do. Policies are XML files checked against policies/schema/policy.xsd.
 */
#ifndef IDM_POLICY_H
#define IDM_POLICY_H

#include <stddef.h>

#include "base/common.h"
#include "base/db.h"
#include "base/err.h"
#include "org.h"
#include "role.h"

/** Scope domain of eduPersonScopedAffiliation and schacHomeOrganization. */
#define IDM_POLICY_DOMAIN "schule-mv.de"

/** A loaded, validated policy set; immutable and reference counted. */
typedef struct idm_policy idm_policy;

typedef enum idm_sso_mode {
    IDM_SSO_SSO,    /* an existing session suffices */
    IDM_SSO_REAUTH, /* always a fresh password login for this application */
    IDM_SSO_DENY    /* never an assertion */
} idm_sso_mode;

/** "sso", "reauth", "deny". */
const char *idm_sso_mode_name(idm_sso_mode mode);

/** Receives one problem found while loading: file, line (0 if none), text. */
typedef void (*idm_policy_diag_fn)(void *ctx, const char *file, int line,
                                   const char *msg);

/**
 * Load dir/apps/ *.xml and dir/admin.xml, validated against
 * dir/schema/policy.xsd (no network, no DTDs, no entities), then checked
 * for meaning (duplicate keys and rule ids, conflicting conditions).
 * Every problem is passed to diag (may be NULL).
 * @param[out] out  new policy (reference count 1); idm_policy_unref().
 * @return 0, or IDM_EINVAL when any file has a problem (msg: the first).
 */
IDM_MUST_CHECK int idm_policy_load(idm_policy **out, const char *dir,
                                   idm_policy_diag_fn diag, void *ctx,
                                   idm_err *err);

/**
 * Validate single files (applications or administration) against the
 * schema in schema_dir, as "idmctl policy check FILES" does.
 * @return 0 if all are valid, else IDM_EINVAL.
 */
IDM_MUST_CHECK int idm_policy_check_files(const char *schema_dir,
                                          const char *const *files, size_t n,
                                          idm_policy_diag_fn diag, void *ctx,
                                          idm_err *err);

/** Take another reference (for an atomic swap on reload). */
idm_policy *idm_policy_ref(idm_policy *policy);
/** Drop a reference; frees at zero. Accepts NULL. */
void idm_policy_unref(idm_policy *policy);

/** An application of the catalogue, borrowed from its policy. */
typedef struct idm_app {
    const char *key;
    const char *name;
    const char *description;
    const char *category;
    const char *portal_url;
    const char *icon;
    idm_sso_mode sso;
    int session_max; /* seconds */
} idm_app;

size_t idm_policy_app_count(const idm_policy *policy);
/** Applications sorted by category, then name. */
const idm_app *idm_policy_app_at(const idm_policy *policy, size_t i);
/** NULL if there is no application with that key. */
const idm_app *idm_policy_app_find(const idm_policy *policy, const char *key);

/** Attributes an application can receive. */
typedef enum idm_attr {
    IDM_ATTR_PAIRWISE_ID,
    IDM_ATTR_SUBJECT_ID,
    IDM_ATTR_GIVEN_NAME,
    IDM_ATTR_SN,
    IDM_ATTR_DISPLAY_NAME,
    IDM_ATTR_MAIL,
    IDM_ATTR_AFFILIATION,
    IDM_ATTR_SCOPED_AFFILIATION,
    IDM_ATTR_ENTITLEMENT,
    IDM_ATTR_SCHAC_HOME_ORG,
    IDM_ATTR_SCHOOL_CODE,
    IDM_ATTR_SCHOOL_CLASS,
    IDM_ATTR_SCHULCONNEX_ROLE,
    IDM_ATTR__COUNT
} idm_attr;

typedef struct idm_attr_info {
    idm_attr attr;
    const char *name; /* policy name and SAML FriendlyName */
    const char *saml; /* SAML Name (urn:oid:... or OASIS URN) */
    int identifies;   /* names or contact: withheld under a block */
    const char *doc;
} idm_attr_info;

const idm_attr_info *idm_attr_get(idm_attr attr);
/** NULL if unknown. */
const idm_attr_info *idm_attr_lookup(const char *name);

/** One role assignment of a subject, active today. */
typedef struct idm_subject_role {
    idm_role role;
    idm_org_type org_type;
    char *org_code;
    char *school_code; /* DE-MV-<number> for schools, else NULL */
    char *group_name;  /* class of the assignment, or NULL */
} idm_subject_role;

/** What a decision is made about: a person with their active roles. */
typedef struct idm_subject {
    char *uuid;
    char *login;
    char *given_name;
    char *family_name;
    char *birth_date; /* YYYY-MM-DD or NULL */
    int info_block;
    int processing_restricted;
    int must_change_password;
    int active; /* account status is active */
    idm_subject_role *roles;
    size_t nroles;
    char **staff_groups; /* "<org code>/<group name>", NULL-ended */
} idm_subject;

/**
 * Load the subject for a login (roles valid today only).
 * @param[out] out  free with idm_subject_free(). @return 0/IDM_ENOTFOUND.
 */
IDM_MUST_CHECK int idm_subject_load(idm_subject **out, idm_db *db,
                                    const char *login, idm_err *err);
void idm_subject_free(idm_subject *subject);

/*
 * The subject inside a statement of the caller's, so that it comes in the
 * same round trip as the caller's other work (the IdP's session lookup).
 * idm_subject_sql(login_sql) returns two CTEs, to follow the caller's own
 * in its WITH list: "idm_subject" holds the rows of the account whose
 * login the SQL expression login_sql yields (a constant text over the
 * statement's parameters and CTEs, never data), "idm_subject_a" helps.
 * The caller selects idm_subject.* as IDM_SUBJECT_COLUMNS columns from col
 * on, ORDER BY IDM_SUBJECT_ORDER, and gives the result to
 * idm_subject_read(). Free the text with g_free().
 */
#define IDM_SUBJECT_COLUMNS 12
#define IDM_SUBJECT_ORDER "idm_subject.k, idm_subject.s1, idm_subject.s2"
char *idm_subject_sql(const char *login_sql);
/** @param[out] out  free with idm_subject_free(). login: for the message.
 * @return 0, or IDM_ENOTFOUND if the rows hold no account. */
IDM_MUST_CHECK int idm_subject_read(idm_subject **out, const PGresult *res,
                                    int col, const char *login, idm_err *err);

typedef enum idm_verdict {
    IDM_VERDICT_DENY,
    IDM_VERDICT_ALLOW, /* an SSO session suffices */
    IDM_VERDICT_REAUTH /* allowed, but only after a fresh password login */
} idm_verdict;

/** "deny", "allow", "reauth". */
const char *idm_verdict_name(idm_verdict verdict);

#define IDM_DECISION_MAX_MATCHES 16

/** A decision; strings are borrowed from the policy and the subject. */
typedef struct idm_decision {
    idm_verdict verdict;
    const idm_app *app;    /* NULL for an unknown application */
    const char *rule_id;   /* deciding rule, NULL when denied by default */
    const char *grants;    /* application role of that rule ("user", ...) */
    char reason[256];      /* one line for people */
    unsigned attributes;   /* bit (1u << idm_attr) of released attributes */
    int privacy_reduced;   /* identifying attributes withheld */
    int nameid_persistent; /* formats the application may get */
    int nameid_transient;  /* (a transient NameID is always allowed) */
    int nameid_prefer_transient; /* release nameid lists transient first:
                                    the format of a request without one */
    int session_max; /* seconds */
    size_t nmatches; /* subject roles that matched a rule */
    size_t matches[IDM_DECISION_MAX_MATCHES]; /* indexes into roles */
} idm_decision;

/**
 * Decide whether subject may use the application key (default deny).
 * Never fails for a known subject: an unknown key is a deny with a reason.
 * now_date (YYYY-MM-DD) fixes "today" for age conditions; NULL = today.
 */
void idm_policy_decide(idm_decision *out, const idm_policy *policy,
                       const char *app_key, const idm_subject *subject,
                       const char *now_date);

/**
 * The verdict for a person who holds only role (at a unit where it can be
 * held), for the data protection officers' matrix. *conditional is set
 * when a rule for that role carries conditions (staff group, age, flags)
 * that this generic person does not meet or always meets.
 * @param[out] grants  the application role of the deciding rule, or NULL.
 */
idm_verdict idm_policy_role_verdict(const idm_policy *policy,
                                    const char *app_key, idm_role role,
                                    const char **grants, int *conditional);

/** One released attribute with its values. */
typedef struct idm_attr_value {
    const idm_attr_info *info;
    char **values; /* NULL-ended; empty for pairwise-id/subject-id, which
                    * the IdP computes per service provider */
} idm_attr_value;

/**
 * The attribute values an allowed decision releases (none for a deny).
 * Attributes without a value for this person (e.g. mail) are left out.
 * @param[out] out  array of *n; free with idm_attr_values_free().
 */
void idm_policy_release(idm_attr_value **out, size_t *n,
                        const idm_decision *decision,
                        const idm_subject *subject);
void idm_attr_values_free(idm_attr_value *values, size_t n);

/**
 * May admin do action ("user.add") on every unit of targets? Delegations
 * in admin.xml name actions per administrator role; each reaches the unit
 * where the role is held and everything below it. An empty target list
 * (e.g. a person without roles) needs a delegation held at the ministry.
 * @return 0 if allowed, IDM_EDENIED (msg says why), or a database error.
 */
IDM_MUST_CHECK int idm_policy_admin_check(const idm_policy *policy, idm_db *db,
                                          const idm_subject *admin,
                                          const char *action,
                                          const char *const *targets,
                                          size_t ntargets, idm_err *err);

/**
 * The active policy of a long-running process, swapped atomically on
 * reload. Readers take a reference and keep using their copy while a
 * reload replaces it, so no request sees a half-loaded policy and none is
 * dropped. Thread-safe.
 */
typedef struct idm_policy_store idm_policy_store;

/** Open with an initial load of dir, which must succeed. */
IDM_MUST_CHECK int idm_policy_store_open(idm_policy_store **out,
                                         const char *dir, idm_err *err);

/** The active policy, with a new reference: idm_policy_unref() it. */
idm_policy *idm_policy_store_get(idm_policy_store *store);

/**
 * Load the directory again (e.g. on SIGHUP). An invalid policy is refused
 * and the active one stays; diag receives the problems.
 * @return 0 (swapped) or IDM_EINVAL.
 */
IDM_MUST_CHECK int idm_policy_store_reload(idm_policy_store *store,
                                           idm_policy_diag_fn diag, void *ctx,
                                           idm_err *err);

/**
 * Reload if any policy file changed since the last load attempt (by
 * modification time, size and file count); cheap enough to call every few
 * seconds.
 * @return 1 reloaded, 0 unchanged, or IDM_EINVAL (refused; old active).
 */
int idm_policy_store_poll(idm_policy_store *store, idm_policy_diag_fn diag,
                          void *ctx, idm_err *err);

/** How many reloads were refused since opening (for metrics). */
unsigned idm_policy_store_refused(const idm_policy_store *store);

void idm_policy_store_free(idm_policy_store *store);

#endif /* IDM_POLICY_H */
