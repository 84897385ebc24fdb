/* CLI capture: libpcap files (pcap, pcapng, "-" for stdin) and live
 * interfaces, fed into a sensor. */
#ifndef CS_SENSOR_CAPTURE_H
#define CS_SENSOR_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "certsensor.h"

/* Read one capture file to the end. On damage prints one line naming the
 * file and the packet number / byte offset and returns false; every packet
 * before the damage has been fed. */
bool capture_file(struct cs_sensor *s, const char *path, const char *filter);

/* Live capture until *stop becomes true or an error; `tick` (may be NULL)
 * is called after every batch of packets, at least every 100 ms. */
bool capture_live(struct cs_sensor *s, const char *iface, const char *filter, size_t snaplen,
                  volatile int *stop, void (*tick)(void *), void *tick_ctx);

#endif
