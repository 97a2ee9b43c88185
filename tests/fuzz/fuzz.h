/* SPDX-License-Identifier: EUPL-1.2
 * The libFuzzer entry point every target in tests/fuzz/ defines; driver.c
 * calls it for each file of a corpus when libFuzzer is not linked in.
 */
#ifndef IDM_FUZZ_H
#define IDM_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* IDM_FUZZ_H */
