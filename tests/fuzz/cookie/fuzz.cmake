# SPDX-License-Identifier: EUPL-1.2
# The Cookie header parser fuzz target (web_cookie_get)
# (included from tests/fuzz/tests.cmake). Every build replays the corpus
# through the standalone driver as the ctest fuzz.cookie_corpus; the fuzz
# preset also builds fuzz_cookie, the libFuzzer binary (tests/fuzz/run cookie).
if(NOT TARGET idm_web)
    return()
endif()
idm_fuzz_target(cookie DIR ${CMAKE_CURRENT_LIST_DIR} LABEL web
    LIBS idm_web idm_core
    INCLUDES ${PROJECT_SOURCE_DIR}/web/src)
