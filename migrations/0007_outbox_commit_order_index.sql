-- SPDX-License-Identifier: EUPL-1.2
-- Consumers read the outbox in commit order, (txid, id) after their last
-- position (ldap-sync: source.c, export.c, status.c); nothing reads it by
-- (aggregate, key). That index cost a random insertion per event (keys
-- are UUIDs) and served no query. The (txid, id) index was created by
-- idm-ldap-sync on its first start until now (hence IF NOT EXISTS); events
-- are appended in (txid, id) order, so it grows at its right edge.

DROP INDEX outbox_key_idx;
CREATE INDEX IF NOT EXISTS outbox_txid_id_idx ON outbox (txid, id);
