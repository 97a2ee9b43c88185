# SPDX-License-Identifier: EUPL-1.2
# Pages in real headless Chromium with axe-core (included from
# tests/CMakeLists.txt; tests/run installs axe-core with npm ci).
add_test(NAME ui.pages
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/ui/test_pages.sh
                 ${IDM_TEST_STATE})
set_tests_properties(ui.pages PROPERTIES
    FIXTURES_REQUIRED pg
    ENVIRONMENT "${IDM_TEST_ENV};IDMD=$<TARGET_FILE:idmd>"
    LABELS "ui;integration"
    TIMEOUT 600)
