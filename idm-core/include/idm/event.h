/* SPDX-License-Identifier: EUPL-1.2
 * The one list of outbox events (the contract with ldap-sync and other
 * consumers), the aggregates their keys name, and the changes that write
 * them (audit action + event). One X-macro list each generates the enum
 * and the tables; nothing else spells an event name.
 */
#ifndef IDM_EVENT_H
#define IDM_EVENT_H

#include "base/common.h"

/* X(ID, name, key). What an outbox row's key identifies; consumers
 * re-read the current state of that key. Names never change once
 * released: they are stored in the outbox. */
#define IDM_AGGREGATE_LIST(X)                                                  \
    X(PERSON, "person", "person UUID")                                         \
    X(ORG, "org", "organisational unit code")                                  \
    X(GROUP, "group", "person_group id (decimal)")

typedef enum idm_aggregate {
#define IDM_AGGREGATE_ENUM(id, name, key) IDM_AGGREGATE_##id,
    IDM_AGGREGATE_LIST(IDM_AGGREGATE_ENUM)
#undef IDM_AGGREGATE_ENUM
        IDM_AGGREGATE__COUNT
} idm_aggregate;

/* X(ID, name, aggregate). Every outbox event. Names never change once
 * released; a new event is appended and documented in idm-core/README.md
 * with its payload. */
#define IDM_EVENT_LIST(X)                                                      \
    X(PERSON_CREATED, "person.created", PERSON)                                \
    X(PERSON_UPDATED, "person.updated", PERSON)                                \
    X(PERSON_DELETED, "person.deleted", PERSON)                                \
    X(PERSON_ROLE_GRANTED, "person.role_granted", PERSON)                      \
    X(PERSON_ROLE_REVOKED, "person.role_revoked", PERSON)                      \
    X(ACCOUNT_LOCKED, "account.locked", PERSON)                                \
    X(ACCOUNT_UNLOCKED, "account.unlocked", PERSON)                            \
    X(ACCOUNT_DISABLED, "account.disabled", PERSON)                            \
    X(ACCOUNT_ENABLED, "account.enabled", PERSON)                              \
    X(ACCOUNT_PASSWORD_CHANGED, "account.password_changed", PERSON)            \
    X(ORG_CREATED, "org.created", ORG)                                         \
    X(GROUP_CREATED, "group.created", GROUP)                                   \
    X(GROUP_MEMBER_ADDED, "group.member_added", GROUP)                         \
    X(GROUP_MEMBER_REMOVED, "group.member_removed", GROUP)

typedef enum idm_event {
#define IDM_EVENT_ENUM(id, name, agg) IDM_EVENT_##id,
    IDM_EVENT_LIST(IDM_EVENT_ENUM)
#undef IDM_EVENT_ENUM
        IDM_EVENT__COUNT
} idm_event;

/* X(ID, audit action, event). A change to identity data is recorded as
 * one audit entry (action) and one outbox event; several changes may
 * share an event (both password changes). */
#define IDM_CHANGE_LIST(X)                                                     \
    X(USER_ADD, "user.add", PERSON_CREATED)                                    \
    X(USER_UPDATE, "user.update", PERSON_UPDATED)                              \
    X(USER_LOCK, "user.lock", ACCOUNT_LOCKED)                                  \
    X(USER_UNLOCK, "user.unlock", ACCOUNT_UNLOCKED)                            \
    X(USER_DISABLE, "user.disable", ACCOUNT_DISABLED)                          \
    X(USER_ENABLE, "user.enable", ACCOUNT_ENABLED)                             \
    X(USER_DELETE, "user.delete", PERSON_DELETED)                              \
    X(USER_SET_PASSWORD, "user.set_password", ACCOUNT_PASSWORD_CHANGED)        \
    X(USER_CHANGE_PASSWORD, "user.change_password", ACCOUNT_PASSWORD_CHANGED)  \
    X(ROLE_GRANT, "role.grant", PERSON_ROLE_GRANTED)                           \
    X(ROLE_REVOKE, "role.revoke", PERSON_ROLE_REVOKED)                         \
    X(ORG_ADD, "org.add", ORG_CREATED)                                         \
    X(GROUP_ADD, "group.add", GROUP_CREATED)                                   \
    X(GROUP_ADD_MEMBER, "group.add_member", GROUP_MEMBER_ADDED)                \
    X(GROUP_REMOVE_MEMBER, "group.remove_member", GROUP_MEMBER_REMOVED)

typedef enum idm_change_kind {
#define IDM_CHANGE_ENUM(id, action, event) IDM_CHANGE_##id,
    IDM_CHANGE_LIST(IDM_CHANGE_ENUM)
#undef IDM_CHANGE_ENUM
        IDM_CHANGE__COUNT
} idm_change_kind;

/** Stored name ("person.created"); "" for a value outside the list. */
const char *idm_event_name(idm_event event);

/** The aggregate whose key an event carries. */
idm_aggregate idm_event_aggregate(idm_event event);

/** Stored name ("person"); "" for a value outside the list. */
const char *idm_aggregate_name(idm_aggregate aggregate);

/** What a key of the aggregate is ("person UUID"), for documentation. */
const char *idm_aggregate_key(idm_aggregate aggregate);

/** Audit action of a change ("user.add"); "" outside the list. */
const char *idm_change_action(idm_change_kind kind);

/** The outbox event a change writes. */
idm_event idm_change_event(idm_change_kind kind);

/** @return 0, or IDM_ENOTFOUND for a name not in the list. */
IDM_MUST_CHECK int idm_event_parse(idm_event *out, const char *name);

/** @return 0, or IDM_ENOTFOUND for a name not in the list. */
IDM_MUST_CHECK int idm_aggregate_parse(idm_aggregate *out, const char *name);

#endif /* IDM_EVENT_H */
