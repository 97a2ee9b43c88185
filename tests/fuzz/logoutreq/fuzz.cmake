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
idm_fuzz_target(logoutreq DIR ${CMAKE_CURRENT_LIST_DIR} LABEL saml
    LIBS saml_bridge idm_core PkgConfig::OPENSSL
    INCLUDES ${PROJECT_SOURCE_DIR}/saml-bridge/src)
