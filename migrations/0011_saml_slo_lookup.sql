-- SPDX-License-Identifier: EUPL-1.2
-- Single Logout finds the session by the SP, the SessionIndex and the
-- NameID it was given (saml_slo_session_find in saml-bridge/src/store.c);
-- the SessionIndex is the assertion's random ID, so (SP, SessionIndex)
-- narrows to one row. Without this index every LogoutRequest scanned
-- saml_session_sp.

CREATE INDEX saml_session_sp_slo_idx
    ON saml_session_sp (sp_entity_id, session_index);
