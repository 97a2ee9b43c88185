-- SPDX-License-Identifier: EUPL-1.2
-- Persons (stable opaque UUID, Unicode names, privacy flags), their
-- external keys per source, their one account, and the ledger of every
-- login ever issued.

CREATE TABLE person (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uuid                  uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    given_name            text NOT NULL CHECK (length(given_name) BETWEEN 1 AND 200),
    family_name           text NOT NULL CHECK (length(family_name) BETWEEN 1 AND 200),
    birth_date            date CHECK (birth_date > '1900-01-01'),
    info_block            boolean NOT NULL DEFAULT false,  -- Auskunftssperre
    processing_restricted boolean NOT NULL DEFAULT false,  -- GDPR Art. 18
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE person_external_key (
    source     text NOT NULL CHECK (source ~ '^[a-z][a-z0-9_-]{0,31}$'),
    key        text NOT NULL CHECK (length(key) BETWEEN 1 AND 128),
    person_id  bigint NOT NULL REFERENCES person (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, key)
);

CREATE INDEX person_external_key_person_idx ON person_external_key (person_id);

CREATE TYPE account_status AS ENUM ('active', 'locked', 'disabled', 'deleted');

CREATE TABLE account (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id            bigint NOT NULL UNIQUE REFERENCES person (id),
    login                text NOT NULL
                         CHECK (login ~ '^[a-z0-9][a-z0-9.-]{0,63}$'),
    status               account_status NOT NULL DEFAULT 'active',
    status_changed_at    timestamptz NOT NULL DEFAULT now(),
    password_hash        text,
    password_changed_at  timestamptz,
    must_change_password boolean NOT NULL DEFAULT false,
    failed_logins        integer NOT NULL DEFAULT 0,
    last_failed_at       timestamptz,
    locked_until         timestamptz,
    last_login_at        timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    deleted_at           timestamptz,
    CHECK ((status = 'deleted') = (deleted_at IS NOT NULL)),
    CHECK (status <> 'deleted' OR password_hash IS NULL)
);

-- Unique ignoring case (logins are stored lower case anyway).
CREATE UNIQUE INDEX account_login_key ON account (lower(login));

-- Every login ever issued; never deleted, so no login is issued twice.
CREATE TABLE login_ledger (
    login     text PRIMARY KEY CHECK (login = lower(login)),
    issued_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX login_ledger_prefix_idx ON login_ledger (login text_pattern_ops);

CREATE TABLE guardian_relation (
    guardian_id bigint NOT NULL REFERENCES person (id),
    pupil_id    bigint NOT NULL REFERENCES person (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (guardian_id, pupil_id),
    CHECK (guardian_id <> pupil_id)
);

CREATE INDEX guardian_relation_pupil_idx ON guardian_relation (pupil_id);
