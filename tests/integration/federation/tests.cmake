# SPDX-License-Identifier: EUPL-1.2
# Federation metadata over HTTPS (idmctl federation, sp add
# --from-federation/--url) against a local HTTPS server and idmd.
if(TARGET idmd)
    add_test(NAME integration.saml_federation
             COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/federation/test_federation.sh
                     ${IDM_TEST_STATE})
    set_tests_properties(integration.saml_federation PROPERTIES
        FIXTURES_REQUIRED pg
        ENVIRONMENT "${IDM_TEST_ENV};IDMD=$<TARGET_FILE:idmd>"
        LABELS "integration;saml;federation"
        TIMEOUT 600)
endif()
