# SPDX-License-Identifier: EUPL-1.2
# The HTTP edge of idmd (issue 12): limits (also of shared networks),
# deadline, trusted proxies, cookies, the metrics listener, and idmd's RSS
# under each hostile request class, one ctest per case
# (tests/integration/hostile/test_http.sh).
if(TARGET idmd)
    foreach(case IN ITEMS idle bodies body_cap trickle_body trickle_head
                          peraddr shared proxy cookie metrics saml_nameidpolicy
                          saml_slo_badsig saml_extensions)
        add_test(NAME integration.hostile_http_${case}
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_http.sh
                         ${IDM_TEST_STATE} ${case})
        set_tests_properties(integration.hostile_http_${case} PROPERTIES
            FIXTURES_REQUIRED pg
            ENVIRONMENT "${IDM_TEST_ENV};IDMD=$<TARGET_FILE:idmd>"
            LABELS "integration;hostile"
            TIMEOUT 600)
    endforeach()
endif()
