# SPDX-License-Identifier: EUPL-1.2
# Tests of idmctl import sip (included from tests/CMakeLists.txt, so paths
# are relative to tests/): unit tests of the reader, the shell test against
# the real PostgreSQL, and the benchmark programs (built, not run).

idm_shell_test(import import/test_import.sh pg)

add_executable(test_import_read unit/import/test_import_read.c)
target_include_directories(test_import_read PRIVATE
    ${CMAKE_SOURCE_DIR}/sip-import/src)
target_link_libraries(test_import_read PRIVATE sip_import idm_core idm_warnings
    PkgConfig::CMOCKA PkgConfig::GLIB)
add_test(NAME unit.import_read COMMAND test_import_read)
set_tests_properties(unit.import_read PROPERTIES LABELS unit
    ENVIRONMENT "IDM_IMPORT_DATA=${CMAKE_CURRENT_SOURCE_DIR}/data/import")

add_executable(bench_import bench/import/bench_import.c)
target_link_libraries(bench_import PRIVATE sip_import idm_core idm_warnings
    PkgConfig::ARGON2 Threads::Threads)
