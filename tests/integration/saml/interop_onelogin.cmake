# SPDX-License-Identifier: EUPL-1.2
# Interoperability: OneLogin's toolkit (Debian's python3-onelogin-saml2) as
# an independent SP, registered from its own metadata, driven against idmd.
if(TARGET idmd)
    add_test(NAME integration.saml_interop_onelogin
             COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/saml/test_interop_onelogin.sh
                     ${IDM_TEST_STATE})
    set_tests_properties(integration.saml_interop_onelogin PROPERTIES
        FIXTURES_REQUIRED pg
        ENVIRONMENT "${IDM_TEST_ENV};IDMD=$<TARGET_FILE:idmd>"
        LABELS "integration;saml"
        TIMEOUT 600)
endif()
