/* SPDX-License-Identifier: EUPL-1.2
 * The systemd notification protocol (sd_notify(3)) for the daemons, without
 * libsystemd: one datagram to $NOTIFY_SOCKET per state line.
 */
#ifndef IDM_NOTIFY_H
#define IDM_NOTIFY_H

/**
 * Send state ("READY=1", "RELOADING=1", "STOPPING=1", "STATUS=...", lines
 * separated by '\n') to the service manager. Does nothing when the process
 * was not started by one ($NOTIFY_SOCKET unset); errors are ignored, as
 * sd_notify's callers do.
 */
void idm_notify(const char *state);

#endif /* IDM_NOTIFY_H */
