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

# In-process round trips: Lasso SPs (tests/data/saml/sp{1,2}-*) against
# web_site_handle() on the real PostgreSQL, a failing case per AuthnRequest
# check (golden cases in tests/data/saml/authn-*/case.ini).
if(TARGET saml_bridge)
    pkg_check_modules(SAMLT_ZLIB REQUIRED IMPORTED_TARGET zlib)
    pkg_check_modules(SAMLT_XMLSEC REQUIRED IMPORTED_TARGET xmlsec1-openssl)
    add_executable(test_saml_sso ${CMAKE_CURRENT_SOURCE_DIR}/integration/saml/test_sso.c)
    target_link_libraries(test_saml_sso PRIVATE idm_testpg saml_bridge idm_core idm_warnings
        PkgConfig::CMOCKA PkgConfig::GLIB PkgConfig::LASSO PkgConfig::XML2
        PkgConfig::OPENSSL PkgConfig::PQ PkgConfig::SAMLT_ZLIB
        PkgConfig::SAMLT_XMLSEC)
    add_test(NAME integration.saml_sso COMMAND test_saml_sso)
    set_tests_properties(integration.saml_sso PROPERTIES
        FIXTURES_REQUIRED pg
        ENVIRONMENT "${IDM_TEST_ENV}"
        LABELS "integration;saml"
        TIMEOUT 600)
endif()

# Rights policies enforced by idmd (allow/reauth/deny, attribute release,
# portal, reload) against pysaml2 SPs bound to different applications.
if(TARGET idmd)
    add_test(NAME integration.saml_policy_e2e
             COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/saml/test_policy_e2e.sh
                     ${IDM_TEST_STATE})
    set_tests_properties(integration.saml_policy_e2e PROPERTIES
        FIXTURES_REQUIRED pg
        ENVIRONMENT "${IDM_TEST_ENV};IDMD=$<TARGET_FILE:idmd>"
        LABELS "integration;saml;policy"
        TIMEOUT 600)
endif()

# Interoperability: Apache + mod_auth_mellon with Debian's defaults as a
# real SP on loopback (login over Redirect and POST, attributes, a
# tampered Response, SLO both ways, schema check of every message).
if(TARGET idmd)
    add_test(NAME integration.saml_interop_mellon
             COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/saml/test_interop_mellon.sh
                     ${IDM_TEST_STATE})
    set_tests_properties(integration.saml_interop_mellon PROPERTIES
        FIXTURES_REQUIRED pg
        ENVIRONMENT "${IDM_TEST_ENV};IDMD=$<TARGET_FILE:idmd>"
        LABELS "integration;saml;interop"
        TIMEOUT 600)
endif()
include(${CMAKE_CURRENT_SOURCE_DIR}/integration/saml/interop_onelogin.cmake)
include(${CMAKE_CURRENT_SOURCE_DIR}/integration/saml/interop_pysaml2.cmake)
