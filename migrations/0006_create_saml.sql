-- SPDX-License-Identifier: EUPL-1.2
-- The SAML Identity Provider (idmd): registered service providers with
-- their metadata, browser sessions (only the token's hash is stored), the
-- service providers that got an assertion in a session (for Single
-- Logout), pending AuthnRequests across the login page, the replay cache
-- of request IDs and the per-address login throttle, all shared by every
-- idmd node.

CREATE TABLE saml_sp (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity_id     text NOT NULL UNIQUE
                  CHECK (length(entity_id) BETWEEN 1 AND 1024),
    -- the application in the policy catalogue
    app_key       text NOT NULL CHECK (app_key ~ '^[a-z][a-z0-9_-]{0,63}$'),
    metadata      text NOT NULL CHECK (length(metadata) <= 1048576),
    -- plain-http endpoints, for loopback test SPs only
    allow_http    boolean NOT NULL DEFAULT false,
    -- AuthnRequests must be signed
    sign_requests boolean NOT NULL DEFAULT false,
    valid_until   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- One row, bumped on every change of saml_sp: idmd polls it to rebuild
-- its shared Lasso server without a restart.
CREATE TABLE saml_sp_version (
    one     boolean PRIMARY KEY DEFAULT true CHECK (one),
    version bigint NOT NULL DEFAULT 1
);
INSERT INTO saml_sp_version DEFAULT VALUES;

CREATE FUNCTION saml_sp_bump() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE saml_sp_version SET version = version + 1;
    PERFORM pg_notify('saml_sp', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER saml_sp_changed
    AFTER INSERT OR UPDATE OR DELETE ON saml_sp
    FOR EACH STATEMENT EXECUTE FUNCTION saml_sp_bump();

CREATE TABLE saml_session (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- SHA-256 of the 256-bit cookie token; the token itself is never stored
    token_hash   bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    person_uuid  uuid NOT NULL,
    login        text NOT NULL,
    auth_instant timestamptz NOT NULL DEFAULT now(),
    last_seen    timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    must_change_password boolean NOT NULL DEFAULT false
);

CREATE INDEX saml_session_expires_idx ON saml_session (expires_at);

-- Service providers that received an assertion in a session.
CREATE TABLE saml_session_sp (
    session_id     bigint NOT NULL REFERENCES saml_session (id)
                   ON DELETE CASCADE,
    sp_entity_id   text NOT NULL,
    name_id        text NOT NULL,
    name_id_format text NOT NULL,
    session_index  text NOT NULL,
    issued_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, sp_entity_id)
);

-- AuthnRequests waiting for the login page, bound to the browser.
CREATE TABLE saml_pending (
    id_hash      bytea PRIMARY KEY CHECK (length(id_hash) = 32),
    browser_hash bytea NOT NULL CHECK (length(browser_hash) = 32),
    binding      text NOT NULL
                 CHECK (binding IN ('redirect', 'post', 'init', 'logout')),
    message      text NOT NULL CHECK (length(message) <= 262144),
    relay_state  text CHECK (length(relay_state) <= 80),
    expires_at   timestamptz NOT NULL
);

-- Request IDs seen, per service provider (SAML profiles 4.1.4.5).
CREATE TABLE saml_replay (
    sp_entity_id text NOT NULL,
    request_id   text NOT NULL CHECK (length(request_id) <= 256),
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (sp_entity_id, request_id)
);

CREATE INDEX saml_replay_expires_idx ON saml_replay (expires_at);

-- Failed logins per client address, in a sliding window.
CREATE TABLE saml_throttle (
    addr          text PRIMARY KEY CHECK (length(addr) <= 64),
    failures      integer NOT NULL DEFAULT 0,
    window_start  timestamptz NOT NULL DEFAULT now(),
    blocked_until timestamptz
);
