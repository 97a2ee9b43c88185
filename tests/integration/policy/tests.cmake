# SPDX-License-Identifier: EUPL-1.2
# Tests of the rights policies: the engine (cmocka) and idmctl policy with
# --as delegation against a real PostgreSQL.
add_executable(test_policy unit/policy/test_policy.c)
target_link_libraries(test_policy PRIVATE idm_core idm_warnings
    PkgConfig::CMOCKA PkgConfig::GLIB)
target_compile_definitions(test_policy PRIVATE
    IDM_TEST_POLICIES_DIR="${CMAKE_SOURCE_DIR}/policies")
add_test(NAME unit.policy COMMAND test_policy)
set_tests_properties(unit.policy PROPERTIES LABELS unit)

idm_shell_test(policy policy/test_policy.sh pg)
