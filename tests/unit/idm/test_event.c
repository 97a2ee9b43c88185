/* SPDX-License-Identifier: EUPL-1.2
 * Unit tests for the list of outbox events (idm/event.h): the stored names
 * are a contract with ldap-sync and every other outbox consumer, so each
 * one is spelled out here and must never change; the aggregates, the
 * changes that write them and the lookups in both directions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>

#include "base/err.h"
#include "idm/event.h"

static const struct {
    idm_event event;
    const char *name;
    const char *aggregate;
} events[] = {
    {IDM_EVENT_PERSON_CREATED, "person.created", "person"},
    {IDM_EVENT_PERSON_UPDATED, "person.updated", "person"},
    {IDM_EVENT_PERSON_DELETED, "person.deleted", "person"},
    {IDM_EVENT_PERSON_ROLE_GRANTED, "person.role_granted", "person"},
    {IDM_EVENT_PERSON_ROLE_REVOKED, "person.role_revoked", "person"},
    {IDM_EVENT_ACCOUNT_LOCKED, "account.locked", "person"},
    {IDM_EVENT_ACCOUNT_UNLOCKED, "account.unlocked", "person"},
    {IDM_EVENT_ACCOUNT_DISABLED, "account.disabled", "person"},
    {IDM_EVENT_ACCOUNT_ENABLED, "account.enabled", "person"},
    {IDM_EVENT_ACCOUNT_PASSWORD_CHANGED, "account.password_changed", "person"},
    {IDM_EVENT_ORG_CREATED, "org.created", "org"},
    {IDM_EVENT_GROUP_CREATED, "group.created", "group"},
    {IDM_EVENT_GROUP_MEMBER_ADDED, "group.member_added", "group"},
    {IDM_EVENT_GROUP_MEMBER_REMOVED, "group.member_removed", "group"},
};

static const struct {
    idm_change_kind kind;
    const char *action;
    const char *event;
} changes[] = {
    {IDM_CHANGE_USER_ADD, "user.add", "person.created"},
    {IDM_CHANGE_USER_UPDATE, "user.update", "person.updated"},
    {IDM_CHANGE_USER_LOCK, "user.lock", "account.locked"},
    {IDM_CHANGE_USER_UNLOCK, "user.unlock", "account.unlocked"},
    {IDM_CHANGE_USER_DISABLE, "user.disable", "account.disabled"},
    {IDM_CHANGE_USER_ENABLE, "user.enable", "account.enabled"},
    {IDM_CHANGE_USER_DELETE, "user.delete", "person.deleted"},
    {IDM_CHANGE_USER_SET_PASSWORD, "user.set_password",
     "account.password_changed"},
    {IDM_CHANGE_USER_CHANGE_PASSWORD, "user.change_password",
     "account.password_changed"},
    {IDM_CHANGE_ROLE_GRANT, "role.grant", "person.role_granted"},
    {IDM_CHANGE_ROLE_REVOKE, "role.revoke", "person.role_revoked"},
    {IDM_CHANGE_ORG_ADD, "org.add", "org.created"},
    {IDM_CHANGE_GROUP_ADD, "group.add", "group.created"},
    {IDM_CHANGE_GROUP_ADD_MEMBER, "group.add_member", "group.member_added"},
    {IDM_CHANGE_GROUP_REMOVE_MEMBER, "group.remove_member",
     "group.member_removed"},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_event_names_are_stable(void **state)
{
    (void)state;
    assert_int_equal(N(events), IDM_EVENT__COUNT);
    for (size_t i = 0; i < N(events); i++) {
        assert_string_equal(idm_event_name(events[i].event), events[i].name);
        assert_string_equal(
            idm_aggregate_name(idm_event_aggregate(events[i].event)),
            events[i].aggregate);
    }
}

static void test_event_parse_round_trip(void **state)
{
    idm_event ev;

    (void)state;
    for (size_t i = 0; i < N(events); i++) {
        ev = IDM_EVENT__COUNT;
        assert_int_equal(idm_event_parse(&ev, events[i].name), 0);
        assert_int_equal(ev, events[i].event);
    }
    assert_int_equal(idm_event_parse(&ev, "person.renamed"), IDM_ENOTFOUND);
    assert_int_equal(idm_event_parse(&ev, "PERSON.CREATED"), IDM_ENOTFOUND);
    assert_int_equal(idm_event_parse(&ev, ""), IDM_ENOTFOUND);
}

static void test_event_out_of_range_fails_closed(void **state)
{
    (void)state;
    assert_string_equal(idm_event_name(IDM_EVENT__COUNT), "");
    assert_string_equal(idm_event_name((idm_event)-1), "");
    assert_int_equal(idm_event_aggregate(IDM_EVENT__COUNT),
                     IDM_AGGREGATE__COUNT);
    assert_string_equal(idm_aggregate_name(IDM_AGGREGATE__COUNT), "");
    assert_string_equal(idm_aggregate_key(IDM_AGGREGATE__COUNT), "");
    assert_string_equal(idm_change_action(IDM_CHANGE__COUNT), "");
    assert_int_equal(idm_change_event(IDM_CHANGE__COUNT), IDM_EVENT__COUNT);
}

static void test_aggregates(void **state)
{
    static const char *const names[] = {"person", "org", "group"};
    idm_aggregate agg;

    (void)state;
    assert_int_equal(N(names), IDM_AGGREGATE__COUNT);
    assert_string_equal(idm_aggregate_name(IDM_AGGREGATE_PERSON), "person");
    assert_string_equal(idm_aggregate_name(IDM_AGGREGATE_ORG), "org");
    assert_string_equal(idm_aggregate_name(IDM_AGGREGATE_GROUP), "group");
    for (size_t i = 0; i < N(names); i++) {
        assert_int_equal(idm_aggregate_parse(&agg, names[i]), 0);
        assert_string_equal(idm_aggregate_name(agg), names[i]);
        assert_true(strlen(idm_aggregate_key(agg)) > 0);
    }
    assert_int_equal(idm_aggregate_parse(&agg, "account"), IDM_ENOTFOUND);
}

static void test_changes(void **state)
{
    int used[IDM_EVENT__COUNT] = {0};

    (void)state;
    assert_int_equal(N(changes), IDM_CHANGE__COUNT);
    for (size_t i = 0; i < N(changes); i++) {
        const char *action = idm_change_action(changes[i].kind);
        idm_event ev = idm_change_event(changes[i].kind);
        assert_string_equal(action, changes[i].action);
        assert_string_equal(idm_event_name(ev), changes[i].event);
        /* audit_log.action's CHECK (migration 0004), and unique */
        assert_true(g_regex_match_simple("^[a-z][a-z0-9_.]*$", action, 0, 0));
        for (size_t j = 0; j < i; j++) {
            assert_string_not_equal(action, changes[j].action);
        }
        used[ev] = 1;
    }
    /* every event is written by some change */
    for (int i = 0; i < IDM_EVENT__COUNT; i++) {
        assert_true(used[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_names_are_stable),
        cmocka_unit_test(test_event_parse_round_trip),
        cmocka_unit_test(test_event_out_of_range_fails_closed),
        cmocka_unit_test(test_aggregates),
        cmocka_unit_test(test_changes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
