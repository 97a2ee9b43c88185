# SPDX-License-Identifier: EUPL-1.2
# Federation metadata verification fuzz target (included from
# tests/fuzz/tests.cmake): replayed as the ctest fuzz.fedmd_corpus in every
# build; with IDM_FUZZ also the libFuzzer binary fuzz_fedmd:
#   fuzz_fedmd -max_total_time=300 -max_len=100000 NEW_DIR \
#       tests/fuzz/fedmd/corpus
if(NOT TARGET saml_bridge)
    return()
endif()
idm_fuzz_target(fedmd DIR ${CMAKE_CURRENT_LIST_DIR} LABEL saml
    LIBS saml_bridge idm_core
    DEFINES FEDMD_CERT="${CMAKE_CURRENT_LIST_DIR}/fed.crt"
    REPLAY_DEFINES FEDMD_REPLAY=1)
