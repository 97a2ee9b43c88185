-- SPDX-License-Identifier: EUPL-1.2
-- Which part of an SSO Response idmd signs for a service provider. NULL
-- follows the SP's metadata, one RSA signature per Response as Shibboleth
-- IdP and Keycloak do: the Assertion if its SPSSODescriptor says
-- WantAssertionsSigned="true", else the Response. 'assertion',
-- 'response' or 'both' are set by "idmctl sp add|set --sign".

ALTER TABLE saml_sp
    ADD COLUMN sign text CHECK (sign IN ('assertion', 'response', 'both'));
