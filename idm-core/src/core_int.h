/* SPDX-License-Identifier: EUPL-1.2
 * What idm-core's own files share: the base layer they all use.
 */
#ifndef IDM_CORE_INT_H
#define IDM_CORE_INT_H

#include "base/alloc.h"
#include "base/db.h"
#include "base/err.h"
#include "base/json.h"

#endif /* IDM_CORE_INT_H */
