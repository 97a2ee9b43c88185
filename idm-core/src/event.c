/* SPDX-License-Identifier: EUPL-1.2
 * Tables of the outbox events, their aggregates and the changes that write
 * them, generated from the lists in idm/event.h.
 */
#include <string.h>

#include "base/err.h"
#include "idm/event.h"

static const struct aggregate_def {
    const char *name;
    const char *key;
} aggregates[] = {
#define IDM_AGGREGATE_DEF(id, name, key) [IDM_AGGREGATE_##id] = {name, key},
    IDM_AGGREGATE_LIST(IDM_AGGREGATE_DEF)
#undef IDM_AGGREGATE_DEF
};

static const struct event_def {
    const char *name;
    idm_aggregate aggregate;
} events[] = {
#define IDM_EVENT_DEF(id, name, agg)                                           \
    [IDM_EVENT_##id] = {name, IDM_AGGREGATE_##agg},
    IDM_EVENT_LIST(IDM_EVENT_DEF)
#undef IDM_EVENT_DEF
};

static const struct change_def {
    const char *action;
    idm_event event;
} changes[] = {
#define IDM_CHANGE_DEF(id, action, event)                                      \
    [IDM_CHANGE_##id] = {action, IDM_EVENT_##event},
    IDM_CHANGE_LIST(IDM_CHANGE_DEF)
#undef IDM_CHANGE_DEF
};

const char *idm_event_name(idm_event event)
{
    return (unsigned)event < IDM_EVENT__COUNT ? events[event].name : "";
}

idm_aggregate idm_event_aggregate(idm_event event)
{
    /* fail closed: an unknown event names no aggregate */
    return (unsigned)event < IDM_EVENT__COUNT ? events[event].aggregate
                                              : IDM_AGGREGATE__COUNT;
}

const char *idm_aggregate_name(idm_aggregate aggregate)
{
    return (unsigned)aggregate < IDM_AGGREGATE__COUNT
               ? aggregates[aggregate].name
               : "";
}

const char *idm_aggregate_key(idm_aggregate aggregate)
{
    return (unsigned)aggregate < IDM_AGGREGATE__COUNT
               ? aggregates[aggregate].key
               : "";
}

const char *idm_change_action(idm_change_kind kind)
{
    return (unsigned)kind < IDM_CHANGE__COUNT ? changes[kind].action : "";
}

idm_event idm_change_event(idm_change_kind kind)
{
    return (unsigned)kind < IDM_CHANGE__COUNT ? changes[kind].event
                                              : IDM_EVENT__COUNT;
}

int idm_event_parse(idm_event *out, const char *name)
{
    for (int i = 0; i < IDM_EVENT__COUNT; i++) {
        if (strcmp(events[i].name, name) == 0) {
            *out = (idm_event)i;
            return 0;
        }
    }
    return IDM_ENOTFOUND;
}

int idm_aggregate_parse(idm_aggregate *out, const char *name)
{
    for (int i = 0; i < IDM_AGGREGATE__COUNT; i++) {
        if (strcmp(aggregates[i].name, name) == 0) {
            *out = (idm_aggregate)i;
            return 0;
        }
    }
    return IDM_ENOTFOUND;
}
