/* CLI capture: libpcap files (pcap, pcapng, "-" for stdin) and live
 * interfaces, fed into a sensor. */
#ifndef CS_SENSOR_CAPTURE_H
#define CS_SENSOR_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "certsensor.h"

/* Read one capture file to the end. On damage prints one line naming the
 * file and the packet number / byte offset and returns false; every packet
 * before the damage has been fed. `between` (may be NULL) is called every
 * 4096 packets, between two packets (reloads, key log polling). */
bool capture_file(struct cs_sensor *s, const char *path, const char *filter,
                  void (*between)(void *), void *between_ctx);

/* Live capture until *stop becomes true or an error; `tick` (may be NULL)
 * is called after every batch of packets, at least every 100 ms. */
bool capture_live(struct cs_sensor *s, const char *iface, const char *filter, size_t snaplen,
                  volatile int *stop, void (*tick)(void *), void *tick_ctx, const char *user);

/* Become `user` (its uid, gid and supplementary groups; no capabilities
 * are kept: a non-root uid after setuid() has none). false with a message
 * if that fails or root could be regained. */
bool capture_drop_privileges(const char *user);

#endif
