/* SPDX-License-Identifier: EUPL-1.2
 * JSON text for audit details and outbox payloads (jansson).
 */
#ifndef IDM_JSON_H
#define IDM_JSON_H

/**
 * JSON object text from a jansson pack format ("{s:s, s:s?}"), compact and
 * ASCII. Never NULL (a wrong format is a programming error and aborts);
 * free().
 */
char *idm_json_pack(const char *fmt, ...);

#endif /* IDM_JSON_H */
