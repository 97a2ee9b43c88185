# SPDX-License-Identifier: EUPL-1.2
# Checks that keep the layers (ctest label "lint"; no server needed).

# A component includes only the public headers of the layers below it and
# no other component's private header; the test first shows on a copy
# with bad includes that it catches them (tests/layers.sh).
add_test(NAME lint.layers
         COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/layers.sh --self-test
                 ${CMAKE_SOURCE_DIR})
set_tests_properties(lint.layers PROPERTIES LABELS lint)

# Every public header compiles alone, and twice (its guard works): one
# generated .c per header, built with the component's include directories
# as part of the normal build (libgit2's tests/headertest). A component
# added later (web/) is picked up by its include/ directory.
set(headers_alone_dir ${CMAKE_BINARY_DIR}/headers_alone)
add_custom_target(headers_alone ALL)
foreach(pair
        base:idm_base idm-core:idm_core sip-import:sip_import web:idm_web
        saml-bridge:saml_bridge ldap-sync:lsync)
    string(REPLACE ":" ";" pair "${pair}")
    list(GET pair 0 dir)
    list(GET pair 1 target)
    if(NOT TARGET ${target} OR NOT IS_DIRECTORY ${CMAKE_SOURCE_DIR}/${dir}/include)
        continue()
    endif()
    file(GLOB_RECURSE headers CONFIGURE_DEPENDS
         RELATIVE ${CMAKE_SOURCE_DIR}/${dir}/include
         ${CMAKE_SOURCE_DIR}/${dir}/include/*.h)
    set(sources "")
    foreach(h ${headers})
        string(MAKE_C_IDENTIFIER "${h}" name)
        set(src ${headers_alone_dir}/${dir}/${name}.c)
        file(CONFIGURE OUTPUT ${src}
             CONTENT "#include \"${h}\"\n#include \"${h}\"\n")
        list(APPEND sources ${src})
    endforeach()
    if(sources)
        add_library(headers_alone_${target} OBJECT ${sources})
        target_link_libraries(headers_alone_${target} PRIVATE ${target}
            idm_warnings)
        add_dependencies(headers_alone headers_alone_${target})
    endif()
endforeach()
