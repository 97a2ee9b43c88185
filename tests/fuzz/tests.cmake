# SPDX-License-Identifier: EUPL-1.2
# Fuzz targets, one folder each (tests/fuzz/<target>/ with fuzz.cmake, the
# target's source and corpus/). Every build replays each corpus through the
# standalone driver as the ctest fuzz.<target>_corpus (ASan/UBSan in the
# debug/ci presets); the fuzz preset (clang) also builds the libFuzzer
# binaries, which tests/fuzz/run drives for a given time.
option(IDM_FUZZ "Build libFuzzer binaries (clang, fuzz preset)" OFF)
set(IDM_FUZZ_DIR ${CMAKE_CURRENT_LIST_DIR})

# idm_fuzz_target(NAME DIR dir LABEL label LIBS lib...
#                 [INCLUDES dir...] [DEFINES def...] [REPLAY_DEFINES def...])
# fuzz_NAME_replay (DIR/fuzz_NAME.c with driver.c) replays DIR/corpus as
# the ctest fuzz.NAME_corpus; with IDM_FUZZ, fuzz_NAME is the libFuzzer
# binary. REPLAY_DEFINES apply to the replay binary only.
function(idm_fuzz_target name)
    cmake_parse_arguments(F "" "DIR;LABEL"
                          "LIBS;INCLUDES;DEFINES;REPLAY_DEFINES" ${ARGN})
    set(src ${F_DIR}/fuzz_${name}.c)
    add_executable(fuzz_${name}_replay ${src} ${IDM_FUZZ_DIR}/driver.c)
    target_include_directories(fuzz_${name}_replay PRIVATE ${F_INCLUDES})
    target_compile_definitions(fuzz_${name}_replay PRIVATE ${F_DEFINES}
                               ${F_REPLAY_DEFINES})
    target_link_libraries(fuzz_${name}_replay PRIVATE ${F_LIBS} idm_warnings)
    add_test(NAME fuzz.${name}_corpus
             COMMAND fuzz_${name}_replay ${F_DIR}/corpus)
    set_tests_properties(fuzz.${name}_corpus PROPERTIES
        ENVIRONMENT "${IDM_TEST_ENV}"
        LABELS "fuzz;${F_LABEL}"
        TIMEOUT 300)
    if(IDM_FUZZ)
        add_executable(fuzz_${name} ${src})
        target_include_directories(fuzz_${name} PRIVATE ${F_INCLUDES})
        target_compile_definitions(fuzz_${name} PRIVATE ${F_DEFINES})
        target_link_libraries(fuzz_${name} PRIVATE ${F_LIBS} idm_warnings)
        target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
    endif()
endfunction()
file(GLOB IDM_FUZZ_PARTS CONFIGURE_DEPENDS ${IDM_FUZZ_DIR}/*/fuzz.cmake)
list(SORT IDM_FUZZ_PARTS)
foreach(part IN LISTS IDM_FUZZ_PARTS)
    include(${part})
endforeach()
