# SPDX-License-Identifier: EUPL-1.2
# The SP metadata validation fuzz target (saml_sp__parse)
# (included from tests/fuzz/tests.cmake). Every build replays the corpus
# through the standalone driver as the ctest fuzz.metadata_corpus; the fuzz
# preset also builds fuzz_metadata, the libFuzzer binary 
# (tests/fuzz/run 60 metadata).
if(NOT TARGET saml_bridge)
    return()
endif()
idm_fuzz_target(metadata DIR ${CMAKE_CURRENT_LIST_DIR} LABEL saml
    LIBS saml_bridge idm_core
    INCLUDES ${PROJECT_SOURCE_DIR}/saml-bridge/src)
