-- SPDX-License-Identifier: EUPL-1.2
-- Append-only audit log, and the outbox of change events written in the
-- same transaction as the change; consumers (LDAP sync, provisioning) read
-- it in order and are woken by NOTIFY idm_outbox.

CREATE TYPE audit_result AS ENUM ('ok', 'denied', 'failed');

CREATE TABLE audit_log (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor   text NOT NULL,
    addr    text NOT NULL,
    action  text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.]*$'),
    target  text,
    result  audit_result NOT NULL,
    details jsonb
);

CREATE INDEX audit_log_actor_idx ON audit_log (actor, id);
CREATE INDEX audit_log_target_idx ON audit_log (target, id);

CREATE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only'
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_log_no_update
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

CREATE TABLE outbox (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- the writing transaction: a consumer may only pass an id once every
    -- older transaction has finished (pg_snapshot_xmin), so that ids
    -- committed out of order are never skipped
    txid       xid8 NOT NULL DEFAULT pg_current_xact_id(),
    at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    aggregate  text NOT NULL,
    key        text NOT NULL,
    event      text NOT NULL,
    payload    jsonb
);

CREATE INDEX outbox_key_idx ON outbox (aggregate, key, id);

CREATE FUNCTION outbox_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('idm_outbox', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER outbox_notify
    AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
