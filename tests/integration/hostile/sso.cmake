# SPDX-License-Identifier: EUPL-1.2
# Hostile AuthnRequests (issue 12, the SAML request path): in-process
# against web_site_handle() on the real PostgreSQL, with the fixture of
# tests/integration/saml/test_sso.c. Lasso's entry point is wrapped to
# count and hold the requests that reach it.
if(TARGET saml_bridge)
    pkg_check_modules(HOSTILE_SSO_ZLIB REQUIRED IMPORTED_TARGET zlib)
    pkg_check_modules(HOSTILE_SSO_XMLSEC REQUIRED IMPORTED_TARGET
                      xmlsec1-openssl)
    add_executable(test_sso_hostile
                   ${CMAKE_CURRENT_LIST_DIR}/test_sso_hostile.c)
    target_link_libraries(test_sso_hostile PRIVATE idm_testpg saml_bridge idm_core
        idm_warnings PkgConfig::CMOCKA PkgConfig::GLIB PkgConfig::LASSO
        PkgConfig::XML2 PkgConfig::OPENSSL PkgConfig::PQ
        PkgConfig::HOSTILE_SSO_ZLIB PkgConfig::HOSTILE_SSO_XMLSEC Threads::Threads)
    target_link_options(test_sso_hostile PRIVATE
        -Wl,--wrap=lasso_login_process_authn_request_msg)
    add_test(NAME integration.hostile_sso COMMAND test_sso_hostile)
    set_tests_properties(integration.hostile_sso PROPERTIES
        FIXTURES_REQUIRED pg
        ENVIRONMENT "${IDM_TEST_ENV}"
        LABELS "integration;hostile"
        TIMEOUT 600)
endif()
