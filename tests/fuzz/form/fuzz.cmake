# SPDX-License-Identifier: EUPL-1.2
# The POST form / query parser fuzz target (web_form_raw, web_form_get,
# web_url_decode, web_url_encode)
# (included from tests/fuzz/tests.cmake). Every build replays the corpus
# through the standalone driver as the ctest fuzz.form_corpus; the fuzz
# preset also builds fuzz_form, the libFuzzer binary (tests/fuzz/run form).
if(NOT TARGET idm_web)
    return()
endif()
idm_fuzz_target(form DIR ${CMAKE_CURRENT_LIST_DIR} LABEL web
    LIBS idm_web idm_core
    INCLUDES ${PROJECT_SOURCE_DIR}/web/src)
