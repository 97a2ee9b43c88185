-- SPDX-License-Identifier: EUPL-1.2
-- Pending AuthnRequests keep only what resuming needs: the decoded request
-- as checked (at most 32 KiB, signature removed) instead of the raw body
-- of up to 256 KiB; ForceAuthn and the policy's reauth as server-side
-- state (force_authn) instead of a flag in the login URL; and the client
-- address, so that each address holds a bounded number of rows. Rows
-- written by older nodes hold the raw message: they are dropped (a login
-- in progress during the upgrade lands on the portal).

DELETE FROM saml_pending WHERE binding IN ('redirect', 'post');

ALTER TABLE saml_pending
    ADD COLUMN force_authn boolean NOT NULL DEFAULT false,
    ADD COLUMN addr text CHECK (length(addr) <= 64),
    ADD CONSTRAINT saml_pending_message_compact
        CHECK (binding = 'logout' OR length(message) <= 32768);

CREATE INDEX saml_pending_addr_idx ON saml_pending (addr, expires_at)
    WHERE addr IS NOT NULL;
