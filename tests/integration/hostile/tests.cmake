# SPDX-License-Identifier: EUPL-1.2
# The hostile suite: one test per finding of the security review (issue 12)
# and per case added since, each asserting the safe outcome. Every topic
# owns one file here, <topic>.cmake, included in name order; tests are
# named integration.hostile_<topic>_<case> and labelled "hostile".
file(GLOB IDM_HOSTILE_PARTS CONFIGURE_DEPENDS
     ${CMAKE_CURRENT_LIST_DIR}/*.cmake)
list(REMOVE_ITEM IDM_HOSTILE_PARTS ${CMAKE_CURRENT_LIST_FILE})
list(SORT IDM_HOSTILE_PARTS)
foreach(part IN LISTS IDM_HOSTILE_PARTS)
    include(${part})
endforeach()
