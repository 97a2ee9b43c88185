# SPDX-License-Identifier: EUPL-1.2
# The XML pre-parse fuzz target (saml_xml_precheck in saml/decode.h),
# included from tests/fuzz/tests.cmake. Every build replays the corpus as
# the ctest fuzz.xmlpre_corpus; the fuzz preset also builds fuzz_xmlpre:
#   fuzz_xmlpre -max_total_time=600 -max_len=40000 NEW_DIR \
#       tests/fuzz/xmlpre/corpus
if(NOT TARGET saml_bridge)
    return()
endif()
idm_fuzz_target(xmlpre DIR ${CMAKE_CURRENT_LIST_DIR} LABEL saml
    LIBS saml_bridge idm_core)
