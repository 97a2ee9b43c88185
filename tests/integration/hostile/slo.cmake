# SPDX-License-Identifier: EUPL-1.2
# Hostile Single Logout (issue 12, "Logout forgery and pairwise-ID leak"):
# unsigned, badly signed, foreign-key, unmatched and replayed
# LogoutRequests against web_site_handle() on the real PostgreSQL, the
# walk's NameIDs going only to their own SP, the own logout only by POST
# with CSRF token; ASan's leak check covers the old POST leak.
if(TARGET saml_bridge)
    pkg_check_modules(HSLO_ZLIB REQUIRED IMPORTED_TARGET zlib)
    add_executable(test_hostile_slo
                   ${CMAKE_CURRENT_LIST_DIR}/test_slo.c)
    target_link_libraries(test_hostile_slo PRIVATE idm_testpg saml_bridge idm_core
        idm_warnings PkgConfig::CMOCKA PkgConfig::GLIB PkgConfig::LASSO
        PkgConfig::XML2 PkgConfig::OPENSSL PkgConfig::PQ PkgConfig::HSLO_ZLIB)
    add_test(NAME integration.hostile_slo COMMAND test_hostile_slo)
    set_tests_properties(integration.hostile_slo PROPERTIES
        FIXTURES_REQUIRED pg
        ENVIRONMENT "${IDM_TEST_ENV}"
        LABELS "integration;hostile"
        TIMEOUT 600)
endif()
