-- SPDX-License-Identifier: EUPL-1.2
-- Device tokens (OWASP "device cookies"): a browser in which the owner
-- logged in gets a random token for that account (cookie idm_d); only its
-- SHA-256 is stored. A login that presents a valid token for the account
-- it targets is exempt from the (account, address) score, so a classmate
-- guessing from the school's NAT address does not throttle the owner at
-- school. Each token has its own failure budget ([password]
-- device_max_failures, counted up front and reset by a success); a token
-- out of budget or past expires_at exempts nothing and is deleted.
CREATE TABLE login_device (
    token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    account_id bigint NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    failures   integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at    timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

-- the newest few per account stay (eviction), housekeeping by expiry
CREATE INDEX login_device_account_idx ON login_device (account_id, created_at);
CREATE INDEX login_device_expires_idx ON login_device (expires_at);

-- A new password (any write path: the password page, idmctl, an import)
-- or a status other than active revokes every device token of the
-- account, as migration 0009's trigger ends its sessions. A hash upgrade
-- at login (same password, idm.rehash) keeps them.
CREATE FUNCTION account_revoke_devices() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.password_hash IS DISTINCT FROM OLD.password_hash AND
        coalesce(current_setting('idm.rehash', true), '') <> 'on') OR
       (NEW.status <> OLD.status AND NEW.status <> 'active') THEN
        DELETE FROM login_device WHERE account_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER account_revoke_devices
    AFTER UPDATE OF password_hash, status ON account
    FOR EACH ROW EXECUTE FUNCTION account_revoke_devices();
