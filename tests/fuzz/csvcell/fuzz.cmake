# SPDX-License-Identifier: EUPL-1.2
# The import reader fuzz target (encoding detection and decoding, CSV cells,
# header, row validation: sip_import_read_data)
# (included from tests/fuzz/tests.cmake). Every build replays the corpus
# through the standalone driver as the ctest fuzz.csvcell_corpus; the fuzz
# preset also builds fuzz_csvcell, the libFuzzer binary 
# (tests/fuzz/run 60 csvcell).
if(NOT TARGET sip_import)
    return()
endif()
idm_fuzz_target(csvcell DIR ${CMAKE_CURRENT_LIST_DIR} LABEL import
    LIBS sip_import idm_core PkgConfig::GLIB
    INCLUDES ${PROJECT_SOURCE_DIR}/sip-import/src)
