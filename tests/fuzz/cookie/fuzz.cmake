# SPDX-License-Identifier: EUPL-1.2
# The Cookie header parser fuzz target (saml__cookie_get)
# (included from tests/fuzz/tests.cmake). Every build replays the corpus
# through the standalone driver as the ctest fuzz.cookie_corpus; the fuzz
# preset also builds fuzz_cookie, the libFuzzer binary (tests/fuzz/run cookie).
if(NOT TARGET saml_bridge)
    return()
endif()
set(IDM_FUZZ_COOKIE ${CMAKE_CURRENT_LIST_DIR})

add_executable(fuzz_cookie_replay ${IDM_FUZZ_COOKIE}/fuzz_cookie.c
               ${IDM_FUZZ_DIR}/driver.c)
target_include_directories(fuzz_cookie_replay PRIVATE
    ${CMAKE_SOURCE_DIR}/saml-bridge/src)
target_link_libraries(fuzz_cookie_replay PRIVATE
    saml_bridge idm_core idm_warnings)
add_test(NAME fuzz.cookie_corpus
         COMMAND fuzz_cookie_replay ${IDM_FUZZ_COOKIE}/corpus)
set_tests_properties(fuzz.cookie_corpus PROPERTIES
    ENVIRONMENT "${IDM_TEST_ENV}"
    LABELS "fuzz;saml"
    TIMEOUT 300)

if(IDM_FUZZ)
    add_executable(fuzz_cookie ${IDM_FUZZ_COOKIE}/fuzz_cookie.c)
    target_include_directories(fuzz_cookie PRIVATE
        ${CMAKE_SOURCE_DIR}/saml-bridge/src)
    target_link_libraries(fuzz_cookie PRIVATE
        saml_bridge idm_core idm_warnings)
    target_link_options(fuzz_cookie PRIVATE -fsanitize=fuzzer)
endif()
