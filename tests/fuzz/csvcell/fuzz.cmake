# SPDX-License-Identifier: EUPL-1.2
# The import reader fuzz target (encoding detection and decoding, CSV cells,
# header, row validation: idm_import_read_data)
# (included from tests/fuzz/tests.cmake). Every build replays the corpus
# through the standalone driver as the ctest fuzz.csvcell_corpus; the fuzz
# preset also builds fuzz_csvcell, the libFuzzer binary 
# (tests/fuzz/run 60 csvcell).
if(NOT TARGET idm_core)
    return()
endif()
set(IDM_FUZZ_CSVCELL ${CMAKE_CURRENT_LIST_DIR})

add_executable(fuzz_csvcell_replay ${IDM_FUZZ_CSVCELL}/fuzz_csvcell.c
               ${IDM_FUZZ_DIR}/driver.c)
target_include_directories(fuzz_csvcell_replay PRIVATE
    ${CMAKE_SOURCE_DIR}/idm-core/src)
target_link_libraries(fuzz_csvcell_replay PRIVATE
    idm_core PkgConfig::GLIB idm_warnings)
add_test(NAME fuzz.csvcell_corpus
         COMMAND fuzz_csvcell_replay ${IDM_FUZZ_CSVCELL}/corpus)
set_tests_properties(fuzz.csvcell_corpus PROPERTIES
    ENVIRONMENT "${IDM_TEST_ENV}"
    LABELS "fuzz;import"
    TIMEOUT 300)

if(IDM_FUZZ)
    add_executable(fuzz_csvcell ${IDM_FUZZ_CSVCELL}/fuzz_csvcell.c)
    target_include_directories(fuzz_csvcell PRIVATE
        ${CMAKE_SOURCE_DIR}/idm-core/src)
    target_link_libraries(fuzz_csvcell PRIVATE
        idm_core PkgConfig::GLIB idm_warnings)
    target_link_options(fuzz_csvcell PRIVATE -fsanitize=fuzzer)
endif()
