-- SPDX-License-Identifier: EUPL-1.2
-- Bulk test data for the LDAP sync tests and benchmark, written straight in
-- SQL (idmctl hashes one password per user, far too slow for 100,000):
-- :n pupils named :'prefix'.<i> across :schools schools (numbers
-- :first_school..), each school with :classes classes 2026/27, pupils of a
-- class contiguous (as an import writes them). Every account gets the
-- password hash :'hash'; outbox rows (org.created, person.created, one
-- group event per class) are written in the same transaction, like the core does.
-- usage: psql -v n=N -v schools=S -v classes=C -v first_school=F
--             -v prefix=P -v hash=H -f bulk_users.sql
\set ON_ERROR_STOP 1
BEGIN;
INSERT INTO org_unit (code, type, name)
    SELECT 'bm-mv', 'ministry', 'Ministerium'
    WHERE NOT EXISTS (SELECT 1 FROM org_unit WHERE type = 'ministry');
INSERT INTO org_unit (code, type, name, parent_id)
    SELECT 'ssa-bulk', 'authority', 'Schulamt Bulk', id FROM org_unit
    WHERE type = 'ministry' ON CONFLICT (code) DO NOTHING;
INSERT INTO org_unit (code, type, name, parent_id, school_number)
    SELECT (:first_school + s)::text, 'school', 'Schule ' || (:first_school + s),
           a.id, (:first_school + s)::text
    FROM generate_series(0, :schools - 1) s, org_unit a
    WHERE a.code = 'ssa-bulk' ON CONFLICT (code) DO NOTHING;
INSERT INTO person_group (org_unit_id, kind, name, school_year)
    SELECT o.id, 'class', c || 'k', '2026/27'
    FROM generate_series(0, :schools - 1) s
    JOIN org_unit o ON o.code = (:first_school + s)::text,
    generate_series(1, :classes) c
    ON CONFLICT DO NOTHING;
CREATE TEMP TABLE bulk_p ON COMMIT DROP AS
    SELECT i, (i - 1) / ceil(:n::numeric / :schools)::int AS s,
           ((i - 1) % ceil(:n::numeric / :schools)::int) /
               ceil(ceil(:n::numeric / :schools) / :classes)::int + 1 AS c,
           NULL::bigint AS pid, NULL::uuid AS uuid
    FROM generate_series(1, :n) i;
WITH p AS (
    INSERT INTO person (given_name, family_name)
    SELECT 'Bulk', :'prefix' || '-' || i FROM bulk_p ORDER BY i
    RETURNING id, uuid, family_name)
UPDATE bulk_p b SET pid = p.id, uuid = p.uuid FROM p
    WHERE p.family_name = :'prefix' || '-' || b.i;
INSERT INTO account (person_id, login, password_hash, password_changed_at)
    SELECT pid, :'prefix' || '.' || i, :'hash', now() FROM bulk_p ORDER BY i;
INSERT INTO login_ledger SELECT :'prefix' || '.' || i FROM bulk_p;
CREATE TEMP TABLE bulk_g ON COMMIT DROP AS
    SELECT s, c, g.id AS gid, o.id AS oid
    FROM generate_series(0, :schools - 1) s
    JOIN org_unit o ON o.code = (:first_school + s)::text
    JOIN generate_series(1, :classes) c ON true
    JOIN person_group g ON g.org_unit_id = o.id AND g.name = c || 'k'
        AND g.school_year = '2026/27';
INSERT INTO group_member (group_id, person_id)
    SELECT g.gid, b.pid FROM bulk_p b JOIN bulk_g g USING (s, c) ORDER BY b.i;
INSERT INTO role_assignment (person_id, org_unit_id, role, group_id, source)
    SELECT b.pid, g.oid, 'pupil', g.gid, 'import'
    FROM bulk_p b JOIN bulk_g g USING (s, c) ORDER BY b.i;
INSERT INTO outbox (aggregate, key, event)
    SELECT 'org', code, 'org.created' FROM org_unit
    WHERE code IN ('bm-mv', 'ssa-bulk') OR code IN
        (SELECT (:first_school + s)::text FROM generate_series(0, :schools - 1) s)
    ORDER BY id;
INSERT INTO outbox (aggregate, key, event)
    SELECT 'person', uuid::text, 'person.created' FROM bulk_p ORDER BY i;
INSERT INTO outbox (aggregate, key, event)
    SELECT DISTINCT 'group', g.gid::text, 'group.member_added'
    FROM bulk_p b JOIN bulk_g g USING (s, c);
COMMIT;
