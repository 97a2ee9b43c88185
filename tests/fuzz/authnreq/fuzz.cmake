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
idm_fuzz_target(authnreq DIR ${CMAKE_CURRENT_LIST_DIR} LABEL saml
    LIBS saml_bridge idm_core
    INCLUDES ${PROJECT_SOURCE_DIR}/saml-bridge/src)
