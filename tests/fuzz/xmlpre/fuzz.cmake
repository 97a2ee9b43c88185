# SPDX-License-Identifier: EUPL-1.2
# The XML pre-parse fuzz target (saml_xml_precheck in saml/decode.h),
# included from tests/fuzz/tests.cmake. Every build replays the corpus as
# the ctest fuzz.xmlpre_corpus; the fuzz preset also builds fuzz_xmlpre:
#   fuzz_xmlpre -max_total_time=600 -max_len=40000 NEW_DIR \
#       tests/fuzz/xmlpre/corpus
if(NOT TARGET saml_bridge)
    return()
endif()
set(IDM_FUZZ_XMLPRE ${CMAKE_CURRENT_LIST_DIR})

add_executable(fuzz_xmlpre_replay ${IDM_FUZZ_XMLPRE}/fuzz_xmlpre.c
               ${IDM_FUZZ_DIR}/driver.c)
target_link_libraries(fuzz_xmlpre_replay PRIVATE saml_bridge idm_core
                      idm_warnings)
add_test(NAME fuzz.xmlpre_corpus
         COMMAND fuzz_xmlpre_replay ${IDM_FUZZ_XMLPRE}/corpus)
set_tests_properties(fuzz.xmlpre_corpus PROPERTIES
    ENVIRONMENT "${IDM_TEST_ENV}"
    LABELS "fuzz;saml"
    TIMEOUT 300)

if(IDM_FUZZ)
    add_executable(fuzz_xmlpre ${IDM_FUZZ_XMLPRE}/fuzz_xmlpre.c)
    target_link_libraries(fuzz_xmlpre PRIVATE saml_bridge idm_core
                          idm_warnings)
    target_link_options(fuzz_xmlpre PRIVATE -fsanitize=fuzzer)
endif()
