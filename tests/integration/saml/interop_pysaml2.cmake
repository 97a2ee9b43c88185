# SPDX-License-Identifier: EUPL-1.2
# Interoperability: Debian's python3-pysaml2 as an independent SP, with
# unsigned and with signed AuthnRequests, registered from its own metadata.
if(TARGET idmd)
    add_test(NAME integration.saml_interop_pysaml2
             COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/saml/test_interop_pysaml2.sh
                     ${IDM_TEST_STATE})
    set_tests_properties(integration.saml_interop_pysaml2 PROPERTIES
        FIXTURES_REQUIRED pg
        ENVIRONMENT "${IDM_TEST_ENV};IDMD=$<TARGET_FILE:idmd>"
        LABELS "integration;saml;interop"
        TIMEOUT 600)
endif()
