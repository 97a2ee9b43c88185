# SPDX-License-Identifier: EUPL-1.2
# Authentication flow (issue 12): no lockout weapon or oracle, throttle
# keyed by IPv6 /64, checked password changes, sessions that end with the
# password or the account, encoded Location, no typed passwords in logs.
# In-process against web_site_handle() on the real PostgreSQL.
if(TARGET saml_bridge)
    add_executable(test_hostile_auth
        ${CMAKE_CURRENT_LIST_DIR}/test_auth.c)
    target_link_libraries(test_hostile_auth PRIVATE idm_testpg saml_bridge idm_core
        idm_warnings PkgConfig::CMOCKA PkgConfig::GLIB PkgConfig::PQ)
    add_test(NAME integration.hostile_auth COMMAND test_hostile_auth)
    set_tests_properties(integration.hostile_auth PROPERTIES
        FIXTURES_REQUIRED pg
        ENVIRONMENT "${IDM_TEST_ENV}"
        LABELS "integration;hostile"
        TIMEOUT 600)
endif()
