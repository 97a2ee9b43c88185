-- SPDX-License-Identifier: EUPL-1.2
-- One index on outbox (txid, id), named outbox_txid_id_idx, whatever ran
-- before. 0007 as merged created outbox_commit_order_idx; a later edit of
-- 0007 (since undone: migrations are never edited) created
-- outbox_txid_id_idx instead, the name idm-ldap-sync used when it still
-- created that index on its first start. So a database holds one of the
-- two names or, with 0007 as merged and an older sync, both: the same
-- index written twice per event. Keep one, under the sync's name.

DO $$
BEGIN
    IF to_regclass('outbox_commit_order_idx') IS NOT NULL THEN
        IF to_regclass('outbox_txid_id_idx') IS NOT NULL THEN
            DROP INDEX outbox_commit_order_idx;
        ELSE
            ALTER INDEX outbox_commit_order_idx RENAME TO outbox_txid_id_idx;
        END IF;
    END IF;
END
$$;

CREATE INDEX IF NOT EXISTS outbox_txid_id_idx ON outbox (txid, id);
