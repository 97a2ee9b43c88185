/* SPDX-License-Identifier: EUPL-1.2
 * Compiler attributes shared by every public header of the project.
 */
#ifndef IDM_COMMON_H
#define IDM_COMMON_H

#if defined(__GNUC__) || defined(__clang__)
#define IDM_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define IDM_MUST_CHECK __attribute__((warn_unused_result))
#else
#define IDM_PRINTF(fmt, args)
#define IDM_MUST_CHECK
#endif

#endif /* IDM_COMMON_H */
