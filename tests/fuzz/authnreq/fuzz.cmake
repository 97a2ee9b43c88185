# SPDX-License-Identifier: EUPL-1.2
# The AuthnRequest decoder fuzz target (included from tests/fuzz/tests.cmake).
# Every build replays the corpus through the standalone driver as the ctest
# fuzz.authnreq_corpus (ASan/UBSan in the debug/ci presets). The fuzz preset
# (clang, -fsanitize=fuzzer-no-link,address) also builds fuzz_authnreq, the
# libFuzzer binary:
#   fuzz_authnreq -max_total_time=300 -max_len=300000 NEW_DIR \
#       tests/fuzz/authnreq/corpus
if(NOT TARGET saml_bridge)
    return()
endif()
set(IDM_FUZZ_AUTHNREQ ${CMAKE_CURRENT_LIST_DIR})

add_executable(fuzz_authnreq_replay ${IDM_FUZZ_AUTHNREQ}/fuzz_authnreq.c
               ${IDM_FUZZ_DIR}/driver.c)
target_link_libraries(fuzz_authnreq_replay PRIVATE saml_bridge idm_core
                      idm_warnings)
# the form decoder is internal to saml-bridge
target_include_directories(fuzz_authnreq_replay PRIVATE
                           ${PROJECT_SOURCE_DIR}/saml-bridge/src)
add_test(NAME fuzz.authnreq_corpus
         COMMAND fuzz_authnreq_replay ${IDM_FUZZ_AUTHNREQ}/corpus)
set_tests_properties(fuzz.authnreq_corpus PROPERTIES
    ENVIRONMENT "${IDM_TEST_ENV}"
    LABELS "fuzz;saml"
    TIMEOUT 300)

if(IDM_FUZZ)
    add_executable(fuzz_authnreq ${IDM_FUZZ_AUTHNREQ}/fuzz_authnreq.c)
    target_link_libraries(fuzz_authnreq PRIVATE saml_bridge idm_core
                          idm_warnings)
    target_include_directories(fuzz_authnreq PRIVATE
                               ${PROJECT_SOURCE_DIR}/saml-bridge/src)
    target_link_options(fuzz_authnreq PRIVATE -fsanitize=fuzzer)
endif()
