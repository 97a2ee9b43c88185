-- SPDX-License-Identifier: EUPL-1.2
-- The LDAP sync's own state, in schema lsync: its position in the outbox
-- and counters (one row), the login each person was last written to LDAP
-- with (renames), and events LDAP rejected for good (--list-parked).
-- idm-ldap-sync created these tables itself on start until now; the
-- definitions are the same and IF NOT EXISTS, so on such a database this
-- migration only records them. The lock is the one that sync took around
-- its DDL, so a sync of the old version starting meanwhile waits.

SELECT pg_advisory_xact_lock(7238310412);

CREATE SCHEMA IF NOT EXISTS lsync;

CREATE TABLE IF NOT EXISTS lsync.checkpoint (
  id int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  last_txid xid8 NOT NULL DEFAULT '0',
  last_id bigint NOT NULL DEFAULT 0,
  applied_total bigint NOT NULL DEFAULT 0,
  parked_total bigint NOT NULL DEFAULT 0,
  batches_total bigint NOT NULL DEFAULT 0,
  last_ok_at timestamptz,
  last_error text,
  last_error_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now());
INSERT INTO lsync.checkpoint (id) VALUES (1) ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS lsync.person_state (
  uuid uuid PRIMARY KEY,
  login text NOT NULL,
  synced_at timestamptz NOT NULL DEFAULT now());

CREATE TABLE IF NOT EXISTS lsync.parked (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  outbox_id bigint,
  aggregate text NOT NULL,
  key text NOT NULL,
  event text,
  dn text,
  ldap_code int,
  reason text NOT NULL,
  parked_at timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz);
