# SPDX-License-Identifier: EUPL-1.2
# Fuzz targets, one folder each (tests/fuzz/<target>/ with fuzz.cmake, the
# target's source and corpus/). Every build replays each corpus through the
# standalone driver as the ctest fuzz.<target>_corpus (ASan/UBSan in the
# debug/ci presets); the fuzz preset (clang) also builds the libFuzzer
# binaries, which tests/fuzz/run drives for a given time.
option(IDM_FUZZ "Build libFuzzer binaries (clang, fuzz preset)" OFF)
set(IDM_FUZZ_DIR ${CMAKE_CURRENT_LIST_DIR})
file(GLOB IDM_FUZZ_PARTS CONFIGURE_DEPENDS ${IDM_FUZZ_DIR}/*/fuzz.cmake)
list(SORT IDM_FUZZ_PARTS)
foreach(part IN LISTS IDM_FUZZ_PARTS)
    include(${part})
endforeach()
