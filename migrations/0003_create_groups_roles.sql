-- SPDX-License-Identifier: EUPL-1.2
-- Groups of a school (classes per school year, courses, staff groups) with
-- memberships, and role assignments: person x unit x role, optionally in a
-- group, valid for a time window, from a source.

CREATE TYPE group_kind AS ENUM ('class', 'course', 'staff');

CREATE TABLE person_group (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_unit_id bigint NOT NULL REFERENCES org_unit (id),
    kind        group_kind NOT NULL,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    school_year text CHECK (school_year ~ '^[0-9]{4}/[0-9]{2}$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE NULLS NOT DISTINCT (org_unit_id, kind, name, school_year)
);

CREATE TABLE group_member (
    group_id   bigint NOT NULL REFERENCES person_group (id),
    person_id  bigint NOT NULL REFERENCES person (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, person_id)
);

CREATE INDEX group_member_person_idx ON group_member (person_id);

CREATE TYPE idm_role AS ENUM (
    'pupil', 'teacher', 'trainee', 'pedagogical_staff', 'municipal_staff',
    'school_leader', 'guardian', 'authority_staff', 'ministry_staff',
    'school_admin', 'authority_admin', 'ministry_admin');

CREATE TYPE grant_source AS ENUM ('manual', 'import', 'api');

CREATE TABLE role_assignment (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id   bigint NOT NULL REFERENCES person (id),
    org_unit_id bigint NOT NULL REFERENCES org_unit (id),
    role        idm_role NOT NULL,
    group_id    bigint REFERENCES person_group (id),
    valid_from  date NOT NULL DEFAULT current_date,
    valid_until date,  -- exclusive; NULL = open-ended
    source      grant_source NOT NULL DEFAULT 'manual',
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (valid_until IS NULL OR valid_until > valid_from),
    UNIQUE NULLS NOT DISTINCT (person_id, org_unit_id, role, group_id)
);

CREATE INDEX role_assignment_org_idx ON role_assignment (org_unit_id, role);
