# SPDX-License-Identifier: EUPL-1.2
# SAML IdP tests (paths relative to tests/): the end-to-end test with two
# idmd processes on one database and Debian's pysaml2 as the SP.
if(TARGET idmd)
    add_test(NAME integration.saml_e2e
             COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/saml/test_e2e.sh
                     ${IDM_TEST_STATE})
    set_tests_properties(integration.saml_e2e PROPERTIES
        FIXTURES_REQUIRED pg
        ENVIRONMENT "${IDM_TEST_ENV};IDMD=$<TARGET_FILE:idmd>"
        LABELS "integration;saml"
        TIMEOUT 600)
endif()
