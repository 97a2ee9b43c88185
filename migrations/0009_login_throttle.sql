-- SPDX-License-Identifier: EUPL-1.2
-- Login throttling without lockout, and sessions that end with the
-- password or the account.
--
-- login_throttle holds a decaying failure score per (account, source
-- address) and one per account (addr = '*'): every failure adds 1, the
-- score drains by one per [password] failure_decay_seconds. An address
-- over its own limit is refused for that account; an account over its
-- ceiling only slows addresses that never logged in successfully (one
-- attempt per [password] account_slow_seconds). last_ok_at marks the
-- owner's recent addresses. Shared by every idmd node.
CREATE TABLE login_throttle (
    account_id bigint NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    -- the client address (IPv6 by its /64), or '*' for the whole account
    addr       text NOT NULL CHECK (length(addr) BETWEEN 1 AND 64),
    score      double precision NOT NULL DEFAULT 0 CHECK (score >= 0),
    score_at   timestamptz NOT NULL DEFAULT now(),
    last_ok_at timestamptz,
    -- '*' only: next attempt allowed from an unknown address
    slow_until timestamptz,
    PRIMARY KEY (account_id, addr)
);

CREATE INDEX login_throttle_score_at_idx ON login_throttle (score_at);

-- The password of the letter (set with must_change_password): it may not
-- come back as a chosen password.
ALTER TABLE account ADD COLUMN initial_password_hash text;

CREATE FUNCTION account_initial_password() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.must_change_password AND NEW.password_hash IS NOT NULL AND
       (TG_OP = 'INSERT' OR
        NEW.password_hash IS DISTINCT FROM OLD.password_hash) AND
       coalesce(current_setting('idm.rehash', true), '') <> 'on' THEN
        NEW.initial_password_hash := NEW.password_hash;
    ELSIF NEW.status = 'deleted' THEN
        NEW.initial_password_hash := NULL;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER account_initial_password
    BEFORE INSERT OR UPDATE OF password_hash, must_change_password, status
    ON account FOR EACH ROW EXECUTE FUNCTION account_initial_password();

-- A new password (any write path: idmctl, import, the password page) or a
-- status other than active ends every browser session of the account at
-- once. A hash upgrade at login (same password) sets idm.rehash and keeps
-- them; the user's own change sets idm.keep_session to the session that
-- made it.
CREATE FUNCTION account_end_sessions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.password_hash IS DISTINCT FROM OLD.password_hash AND
        coalesce(current_setting('idm.rehash', true), '') <> 'on') OR
       (NEW.status <> OLD.status AND NEW.status <> 'active') THEN
        DELETE FROM saml_session s USING person p
        WHERE p.id = NEW.person_id AND s.person_uuid = p.uuid
          AND s.id::text IS DISTINCT FROM
              nullif(current_setting('idm.keep_session', true), '');
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER account_end_sessions
    AFTER UPDATE OF password_hash, status ON account
    FOR EACH ROW EXECUTE FUNCTION account_end_sessions();

CREATE INDEX saml_session_person_idx ON saml_session (person_uuid);
