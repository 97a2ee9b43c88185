/* SPDX-License-Identifier: EUPL-1.2
 * Append-only audit log (who, what, when, from where; never secrets) and
 * the outbox of change events that consumers such as the LDAP sync read in
 * order. Both are written inside the caller's transaction.
 */
#ifndef IDM_AUDIT_H
#define IDM_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "base/common.h"
#include "base/db.h"
#include "base/err.h"

/** Who acts, and from where ("cli", a client address, ...). */
typedef struct idm_actor {
    const char *name; /* login of the actor, or "system:<user>" */
    const char *addr; /* origin */
} idm_actor;

typedef enum idm_audit_result {
    IDM_AUDIT_OK,
    IDM_AUDIT_DENIED,
    IDM_AUDIT_FAILED
} idm_audit_result;

/**
 * Append an audit entry. details is a JSON object text or NULL; it must
 * never hold a secret.
 */
IDM_MUST_CHECK int idm_audit_write(idm_db *db, const idm_actor *actor,
                                   const char *action, const char *target,
                                   idm_audit_result result, const char *details,
                                   idm_err *err);

/** Same, in its own transaction even if the caller's failed (denials). */
void idm_audit_write_detached(idm_db *db, const idm_actor *actor,
                              const char *action, const char *target,
                              idm_audit_result result, const char *details);

typedef struct idm_audit_entry {
    int64_t id;
    char *at; /* ISO 8601 UTC */
    char *actor;
    char *addr;
    char *action;
    char *target;
    char *result;  /* ok, denied, failed */
    char *details; /* JSON text or NULL */
} idm_audit_entry;

typedef struct idm_audit_filter {
    const char *actor;  /* exact, or NULL */
    const char *action; /* prefix ("user."), or NULL */
    const char *target; /* exact, or NULL */
    int limit;          /* newest first; 0 = 100 */
} idm_audit_filter;

#define IDM_AUDIT_FILTER_INIT                                                  \
    {                                                                          \
        NULL, NULL, NULL, 0                                                    \
    }

/** @param[out] out  array of *n entries; free with idm_audit_entries_free. */
IDM_MUST_CHECK int idm_audit_list(idm_audit_entry **out, size_t *n, idm_db *db,
                                  const idm_audit_filter *filter, idm_err *err);

void idm_audit_entries_free(idm_audit_entry *entries, size_t n);

/**
 * Append a change event to the outbox. aggregate names the kind ("person",
 * "org", "group"), key its stable identifier (person UUID, org code, ...),
 * payload a JSON object text or NULL. Consumers re-read current state by key,
 * so payloads carry no secrets.
 */
IDM_MUST_CHECK int idm_outbox_append(idm_db *db, const char *aggregate,
                                     const char *key, const char *event,
                                     const char *payload, idm_err *err);

/** A change to identity data, as audit entry and outbox event. */
typedef struct idm_change {
    const char *action;    /* audit action, e.g. "user.add" */
    const char *target;    /* audit target, e.g. the login */
    const char *aggregate; /* outbox aggregate: person, org, group */
    const char *key;       /* outbox key: person UUID, org code, group id */
    const char *event;     /* outbox event, e.g. "person.created" */
    const char *details;   /* JSON object text for both, or NULL */
} idm_change;

/**
 * Record a successful change: an audit entry and an outbox event, both in
 * the caller's transaction so that they commit or vanish with the change.
 */
IDM_MUST_CHECK int idm_change_record(idm_db *db, const idm_actor *actor,
                                     const idm_change *change, idm_err *err);

#endif /* IDM_AUDIT_H */
