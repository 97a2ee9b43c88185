-- SPDX-License-Identifier: EUPL-1.2
-- Signed SP metadata fetched over HTTPS: federation aggregates
-- (md:EntitiesDescriptor, "idmctl federation add") and single SPs
-- ("idmctl sp add --url"). Each source has a pinned certificate that
-- must sign it; the last copy that verified is kept, with its validUntil
-- and the next refresh due from its cacheDuration. Entities of a source
-- become service providers only when an operator maps one to an
-- application (saml_federation_sp); a refresh updates those SPs'
-- metadata and never adds one.

CREATE TABLE saml_federation (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- an aggregate's name, or a single SP's entityID
    name          text NOT NULL UNIQUE
                  CHECK (length(name) BETWEEN 1 AND 1024),
    kind          text NOT NULL CHECK (kind IN ('aggregate', 'entity')),
    CHECK (kind = 'entity' OR name ~ '^[a-z][a-z0-9_.-]{0,63}$'),
    url           text NOT NULL
                  CHECK (url ~ '^https://' AND length(url) <= 2048),
    -- PEM certificate whose key must sign the document (pinned)
    cert_pem      text NOT NULL CHECK (length(cert_pem) <= 65536),
    -- the last copy whose signature verified, as fetched
    metadata      text,
    valid_until   timestamptz,
    fetched_at    timestamptz,
    next_refresh  timestamptz NOT NULL DEFAULT now(),
    last_error    text,
    last_error_at timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- SPs registered from a source: their metadata follows its refreshes.
CREATE TABLE saml_federation_sp (
    entity_id     text PRIMARY KEY
                  REFERENCES saml_sp (entity_id) ON DELETE CASCADE,
    federation_id bigint NOT NULL
                  REFERENCES saml_federation (id) ON DELETE CASCADE
);

CREATE INDEX saml_federation_sp_fed_idx ON saml_federation_sp (federation_id);
