# SPDX-License-Identifier: EUPL-1.2
# LDAP sync tests (included from tests/CMakeLists.txt; paths are relative
# to tests/): cmocka unit tests, integration tests against the harness
# PostgreSQL and slapd, and the benchmark build target.

foreach(t escape map)
    add_executable(test_lsync_${t} unit/lsync/test_${t}.c)
    target_link_libraries(test_lsync_${t} PRIVATE lsync idm_warnings
        PkgConfig::CMOCKA)
    add_test(NAME unit.lsync_${t} COMMAND test_lsync_${t})
    set_tests_properties(unit.lsync_${t} PROPERTIES LABELS unit)
endforeach()

set(LSYNC_TEST_ENV ${IDM_TEST_ENV}
    IDM_LDAP_SYNC=$<TARGET_FILE:idm-ldap-sync>)

# lsync_shell_test(<name> <script> <fixtures...>)
function(lsync_shell_test name script)
    add_test(NAME integration.${name}
             COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/lsync/${script}
                     ${IDM_TEST_STATE})
    set_tests_properties(integration.${name} PROPERTIES
        FIXTURES_REQUIRED "${ARGN}"
        ENVIRONMENT "${LSYNC_TEST_ENV}"
        LABELS "integration;lsync"
        TIMEOUT 900)
endfunction()

lsync_shell_test(lsync_sync test_lsync_sync.sh pg slapd)
if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/integration/lsync/test_lsync_acl.sh)
    lsync_shell_test(lsync_acl test_lsync_acl.sh pg slapd)
    # works in the harness' own base: keep it apart from other root users
    set_tests_properties(integration.lsync_acl PROPERTIES
        RESOURCE_LOCK lsync_root_base)
endif()
if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/integration/lsync/test_lsync_fault.sh)
    lsync_shell_test(lsync_fault test_lsync_fault.sh pg slapd)
endif()
if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/integration/lsync/test_lsync_replica.sh)
    lsync_shell_test(lsync_replica test_lsync_replica.sh pg slapd)
    set_tests_properties(integration.lsync_replica PROPERTIES
        RESOURCE_LOCK lsync_root_base)
endif()

if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/bench/lsync/bench_lsync.c)
    add_executable(bench_lsync bench/lsync/bench_lsync.c)
    target_link_libraries(bench_lsync PRIVATE lsync idm_warnings)
endif()
