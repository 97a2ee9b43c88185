# SPDX-License-Identifier: EUPL-1.2
# The POST form / query parser fuzz target (saml__form_raw, saml__form_get,
# saml__url_decode, saml__url_encode)
# (included from tests/fuzz/tests.cmake). Every build replays the corpus
# through the standalone driver as the ctest fuzz.form_corpus; the fuzz
# preset also builds fuzz_form, the libFuzzer binary (tests/fuzz/run form).
if(NOT TARGET saml_bridge)
    return()
endif()
idm_fuzz_target(form DIR ${CMAKE_CURRENT_LIST_DIR} LABEL saml
    LIBS saml_bridge idm_core
    INCLUDES ${PROJECT_SOURCE_DIR}/saml-bridge/src)
