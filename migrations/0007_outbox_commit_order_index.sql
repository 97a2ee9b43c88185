-- SPDX-License-Identifier: EUPL-1.2
-- Consumers read the outbox in commit order, (txid, id) after their last
-- position (ldap-sync: source.c, export.c, status.c); nothing reads it by
-- (aggregate, key). The old index cost a random insertion per event (the
-- keys are UUIDs) and served no query, while every batch read scanned the
-- whole table. Events are appended in (txid, id) order, so this index
-- grows at its right edge.

DROP INDEX outbox_key_idx;
CREATE INDEX outbox_commit_order_idx ON outbox (txid, id);
