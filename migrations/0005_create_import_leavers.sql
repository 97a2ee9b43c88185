-- SPDX-License-Identifier: EUPL-1.2
-- Leavers of a bulk import (idmctl import sip): persons of a scoped school
-- who were missing from an export. Their account was disabled at left_at;
-- a later import deletes it once the grace period ([import] grace_days) is
-- over, or reactivates it (same login) if the person reappears before.

CREATE TABLE import_leaver (
    person_id   bigint PRIMARY KEY REFERENCES person (id),
    source      text NOT NULL CHECK (source ~ '^[a-z][a-z0-9_-]{0,31}$'),
    org_unit_id bigint NOT NULL REFERENCES org_unit (id),
    left_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX import_leaver_org_idx ON import_leaver (org_unit_id, left_at);
