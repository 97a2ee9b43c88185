/* SPDX-License-Identifier: EUPL-1.2
 * Append-only audit log (who, what, when, from where; never secrets) and
 * the outbox of change events that consumers such as the LDAP sync read in
 * order. Both are written inside the caller's transaction. Outbox rows are
 * written only through the typed records below, whose events come from the
 * one list in idm/event.h.
 */
#ifndef IDM_AUDIT_H
#define IDM_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "base/common.h"
#include "base/db.h"
#include "base/err.h"
#include "idm/event.h"

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

/**
 * Same, in its own transaction, after the caller's transaction failed or
 * for a refusal that changed nothing (denials, rejected logins). The
 * caller is already reporting a failure, so a failure here must not
 * replace it: it is logged every time at error level (event=audit.lost,
 * with action, target and the database's detail) and returned.
 * @return 0, IDM_EINTERNAL (called while a transaction is open), IDM_EDB.
 */
int idm_audit_write_detached(idm_db *db, const idm_actor *actor,
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

/*
 * Changes: one audit entry (the change's action) and one outbox event (its
 * event, idm/event.h), both in the caller's transaction so that they
 * commit or vanish with the change. The subject's type fixes the
 * aggregate and so the outbox key and the audit target; a change of
 * another aggregate is refused (IDM_EINTERNAL). details is a JSON object
 * text (idm_json_pack), written as audit details and outbox payload, or
 * NULL; it never holds a secret (consumers re-read state by key).
 */

/** A person: key = uuid, target = login. */
typedef struct idm_person_ref {
    const char *uuid;
    const char *login;
} idm_person_ref;

/** An organisational unit: key and target = code. */
typedef struct idm_org_ref {
    const char *code;
} idm_org_ref;

/** A group: key = id (decimal), target = "org_code/name". */
typedef struct idm_group_ref {
    const char *id;
    const char *org_code;
    const char *name;
} idm_group_ref;

IDM_MUST_CHECK int idm_change_person(idm_db *db, const idm_actor *actor,
                                     idm_change_kind kind,
                                     const idm_person_ref *person,
                                     const char *details, idm_err *err);

IDM_MUST_CHECK int idm_change_org(idm_db *db, const idm_actor *actor,
                                  idm_change_kind kind, const idm_org_ref *org,
                                  const char *details, idm_err *err);

IDM_MUST_CHECK int idm_change_group(idm_db *db, const idm_actor *actor,
                                    idm_change_kind kind,
                                    const idm_group_ref *group,
                                    const char *details, idm_err *err);

/**
 * An outbox event of a person without a change record of its own (the
 * caller audits otherwise: a login that upgraded the password hash writes
 * login.ok and account.password_changed). payload as details above.
 */
IDM_MUST_CHECK int idm_outbox_person(idm_db *db, idm_event event,
                                     const idm_person_ref *person,
                                     const char *payload, idm_err *err);

/*
 * Set-based writers (the SIP import) record many changes at once: they
 * insert rows into the temporary table idm_change_stage, then write the
 * audit entries and outbox events of all of them in staging order:
 *
 *   idm_change_stage (seq bigint identity, change text NOT NULL,
 *                     target text, key text NOT NULL, details jsonb)
 *
 * change is an audit action of IDM_CHANGE_LIST, bound as a parameter
 * from idm_change_action() (a name outside the list violates a CHECK
 * constraint); target and key as for the typed records above (the
 * aggregate follows from the change). The table is dropped at commit.
 */

/** Create idm_change_stage inside the caller's transaction. */
IDM_MUST_CHECK int idm_change_stage_begin(idm_db *db, idm_err *err);

/** Audit entries of the staged changes (first of the two writes). */
IDM_MUST_CHECK int idm_change_stage_audit(idm_db *db, const idm_actor *actor,
                                          idm_err *err);

/** Outbox events of the staged changes (after idm_change_stage_audit). */
IDM_MUST_CHECK int idm_change_stage_outbox(idm_db *db, idm_err *err);

#endif /* IDM_AUDIT_H */
