/* SPDX-License-Identifier: EUPL-1.2
 * A fresh database of the test harness (tests/harness/pg newdb) for the
 * C integration tests. IDM_TEST_STATE and IDM_SOURCE_DIR must be set (CTest
 * sets them); every failure is printed to stderr.
 */
#ifndef IDM_TESTPG_H
#define IDM_TESTPG_H

#include <stddef.h>

/* Create (or empty) database name; its conninfo goes to conninfo (size
 * bytes, NUL-terminated). Returns 0 or -1. */
int testpg_newdb(char *conninfo, size_t size, const char *name);

/* The same with every migration of the source tree applied. */
int testpg_newdb_migrated(char *conninfo, size_t size, const char *name);

#endif
