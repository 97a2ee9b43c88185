-- SPDX-License-Identifier: EUPL-1.2
-- Whether idmd encrypts the Assertions of its SSO Responses to a service
-- provider (saml:EncryptedAssertion, AES-256-GCM with RSA-OAEP key
-- transport). NULL follows the SP's metadata: encrypted when it has an
-- encryption key. true or false are set by "idmctl sp add|set --encrypt".

ALTER TABLE saml_sp
    ADD COLUMN encrypt boolean;
