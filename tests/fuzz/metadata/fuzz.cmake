# SPDX-License-Identifier: EUPL-1.2
# The SP metadata validation fuzz target (saml_sp__parse)
# (included from tests/fuzz/tests.cmake). Every build replays the corpus
# through the standalone driver as the ctest fuzz.metadata_corpus; the fuzz
# preset also builds fuzz_metadata, the libFuzzer binary 
# (tests/fuzz/run 60 metadata).
if(NOT TARGET saml_bridge)
    return()
endif()
set(IDM_FUZZ_METADATA ${CMAKE_CURRENT_LIST_DIR})

add_executable(fuzz_metadata_replay ${IDM_FUZZ_METADATA}/fuzz_metadata.c
               ${IDM_FUZZ_DIR}/driver.c)
target_include_directories(fuzz_metadata_replay PRIVATE
    ${CMAKE_SOURCE_DIR}/saml-bridge/src)
target_link_libraries(fuzz_metadata_replay PRIVATE
    saml_bridge idm_core idm_warnings)
add_test(NAME fuzz.metadata_corpus
         COMMAND fuzz_metadata_replay ${IDM_FUZZ_METADATA}/corpus)
set_tests_properties(fuzz.metadata_corpus PROPERTIES
    ENVIRONMENT "${IDM_TEST_ENV}"
    LABELS "fuzz;saml"
    TIMEOUT 300)

if(IDM_FUZZ)
    add_executable(fuzz_metadata ${IDM_FUZZ_METADATA}/fuzz_metadata.c)
    target_include_directories(fuzz_metadata PRIVATE
        ${CMAKE_SOURCE_DIR}/saml-bridge/src)
    target_link_libraries(fuzz_metadata PRIVATE
        saml_bridge idm_core idm_warnings)
    target_link_options(fuzz_metadata PRIVATE -fsanitize=fuzzer)
endif()
