# SPDX-License-Identifier: EUPL-1.2
# Federation metadata verification fuzz target (included from
# tests/fuzz/tests.cmake): replayed as the ctest fuzz.fedmd_corpus in every
# build; with IDM_FUZZ also the libFuzzer binary fuzz_fedmd:
#   fuzz_fedmd -max_total_time=300 -max_len=100000 NEW_DIR \
#       tests/fuzz/fedmd/corpus
if(NOT TARGET saml_bridge)
    return()
endif()
set(IDM_FUZZ_FEDMD ${CMAKE_CURRENT_LIST_DIR})

add_executable(fuzz_fedmd_replay ${IDM_FUZZ_FEDMD}/fuzz_fedmd.c
               ${IDM_FUZZ_DIR}/driver.c)
target_compile_definitions(fuzz_fedmd_replay PRIVATE
    FEDMD_CERT="${IDM_FUZZ_FEDMD}/fed.crt" FEDMD_REPLAY=1)
target_link_libraries(fuzz_fedmd_replay PRIVATE saml_bridge idm_core
                      idm_warnings)
add_test(NAME fuzz.fedmd_corpus
         COMMAND fuzz_fedmd_replay ${IDM_FUZZ_FEDMD}/corpus)
set_tests_properties(fuzz.fedmd_corpus PROPERTIES
    ENVIRONMENT "${IDM_TEST_ENV}"
    LABELS "fuzz;saml"
    TIMEOUT 300)

if(IDM_FUZZ)
    add_executable(fuzz_fedmd ${IDM_FUZZ_FEDMD}/fuzz_fedmd.c)
    target_compile_definitions(fuzz_fedmd PRIVATE
        FEDMD_CERT="${IDM_FUZZ_FEDMD}/fed.crt")
    target_link_libraries(fuzz_fedmd PRIVATE saml_bridge idm_core
                          idm_warnings)
    target_link_options(fuzz_fedmd PRIVATE -fsanitize=fuzzer)
endif()
