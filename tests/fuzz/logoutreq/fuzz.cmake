# SPDX-License-Identifier: EUPL-1.2
# The Single Logout decoding fuzz target (included from tests/fuzz/tests.cmake):
# LogoutRequest/LogoutResponse over HTTP-Redirect (query) and HTTP-POST
# (form body), then the Redirect signature check. Every build replays the
# corpus as the ctest fuzz.logoutreq_corpus; the fuzz preset also builds
# fuzz_logoutreq, the libFuzzer binary:
#   fuzz_logoutreq -max_total_time=300 -max_len=300000 NEW_DIR \
#       tests/fuzz/logoutreq/corpus
if(NOT TARGET saml_bridge)
    return()
endif()
set(IDM_FUZZ_LOGOUTREQ ${CMAKE_CURRENT_LIST_DIR})

add_executable(fuzz_logoutreq_replay ${IDM_FUZZ_LOGOUTREQ}/fuzz_logoutreq.c
               ${IDM_FUZZ_DIR}/driver.c)
# saml_int.h: saml__form_get() and saml_verify_redirect()
target_include_directories(fuzz_logoutreq_replay PRIVATE
                           ${PROJECT_SOURCE_DIR}/saml-bridge/src)
target_link_libraries(fuzz_logoutreq_replay PRIVATE saml_bridge idm_core
                      idm_warnings PkgConfig::OPENSSL)
add_test(NAME fuzz.logoutreq_corpus
         COMMAND fuzz_logoutreq_replay ${IDM_FUZZ_LOGOUTREQ}/corpus)
set_tests_properties(fuzz.logoutreq_corpus PROPERTIES
    ENVIRONMENT "${IDM_TEST_ENV}"
    LABELS "fuzz;saml"
    TIMEOUT 300)

if(IDM_FUZZ)
    add_executable(fuzz_logoutreq ${IDM_FUZZ_LOGOUTREQ}/fuzz_logoutreq.c)
    target_include_directories(fuzz_logoutreq PRIVATE
                               ${PROJECT_SOURCE_DIR}/saml-bridge/src)
    target_link_libraries(fuzz_logoutreq PRIVATE saml_bridge idm_core
                          idm_warnings PkgConfig::OPENSSL)
    target_link_options(fuzz_logoutreq PRIVATE -fsanitize=fuzzer)
endif()
