# SPDX-License-Identifier: EUPL-1.2
# Pending AuthnRequests behind one shared address (a school's NAT): no
# browser's request gives way to another's, the ceilings per address and
# in all refuse (429/503, Retry-After, counted, audited). In-process
# against web_site_handle() on the real PostgreSQL, with the fixture of
# tests/integration/saml/test_sso.c.
if(TARGET saml_bridge)
    pkg_check_modules(HOSTILE_PENDING_ZLIB REQUIRED IMPORTED_TARGET zlib)
    pkg_check_modules(HOSTILE_PENDING_XMLSEC REQUIRED IMPORTED_TARGET
                      xmlsec1-openssl)
    add_executable(test_pending ${CMAKE_CURRENT_LIST_DIR}/test_pending.c)
    target_link_libraries(test_pending PRIVATE idm_testpg saml_bridge idm_core
        idm_warnings PkgConfig::CMOCKA PkgConfig::GLIB PkgConfig::LASSO
        PkgConfig::XML2 PkgConfig::OPENSSL PkgConfig::PQ
        PkgConfig::HOSTILE_PENDING_ZLIB PkgConfig::HOSTILE_PENDING_XMLSEC
        Threads::Threads)
    add_test(NAME integration.hostile_pending COMMAND test_pending)
    set_tests_properties(integration.hostile_pending PROPERTIES
        FIXTURES_REQUIRED pg
        ENVIRONMENT "${IDM_TEST_ENV}"
        LABELS "integration;hostile"
        TIMEOUT 600)
endif()
