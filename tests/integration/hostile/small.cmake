# SPDX-License-Identifier: EUPL-1.2
# Low findings of issue 12 reached through idmctl: endpoint URLs with a
# user name in SP metadata, over-long CSV import cells (paths relative to
# tests/, as included from tests/integration/hostile/tests.cmake).
add_test(NAME integration.hostile_small
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_small.sh
                 ${IDM_TEST_STATE})
set_tests_properties(integration.hostile_small PROPERTIES
    FIXTURES_REQUIRED pg
    ENVIRONMENT "${IDM_TEST_ENV}"
    LABELS "integration;hostile"
    TIMEOUT 600)
