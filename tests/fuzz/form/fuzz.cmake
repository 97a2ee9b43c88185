# SPDX-License-Identifier: EUPL-1.2
# The POST form / query parser fuzz target (saml__form_raw, saml__form_get,
# saml__url_decode, saml__url_encode)
# (included from tests/fuzz/tests.cmake). Every build replays the corpus
# through the standalone driver as the ctest fuzz.form_corpus; the fuzz
# preset also builds fuzz_form, the libFuzzer binary (tests/fuzz/run form).
if(NOT TARGET saml_bridge)
    return()
endif()
set(IDM_FUZZ_FORM ${CMAKE_CURRENT_LIST_DIR})

add_executable(fuzz_form_replay ${IDM_FUZZ_FORM}/fuzz_form.c
               ${IDM_FUZZ_DIR}/driver.c)
target_include_directories(fuzz_form_replay PRIVATE
    ${CMAKE_SOURCE_DIR}/saml-bridge/src)
target_link_libraries(fuzz_form_replay PRIVATE
    saml_bridge idm_core idm_warnings)
add_test(NAME fuzz.form_corpus
         COMMAND fuzz_form_replay ${IDM_FUZZ_FORM}/corpus)
set_tests_properties(fuzz.form_corpus PROPERTIES
    ENVIRONMENT "${IDM_TEST_ENV}"
    LABELS "fuzz;saml"
    TIMEOUT 300)

if(IDM_FUZZ)
    add_executable(fuzz_form ${IDM_FUZZ_FORM}/fuzz_form.c)
    target_include_directories(fuzz_form PRIVATE
        ${CMAKE_SOURCE_DIR}/saml-bridge/src)
    target_link_libraries(fuzz_form PRIVATE
        saml_bridge idm_core idm_warnings)
    target_link_options(fuzz_form PRIVATE -fsanitize=fuzzer)
endif()
