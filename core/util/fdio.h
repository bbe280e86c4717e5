/* Whole writes to a file descriptor. */
#ifndef PIT_UTIL_FDIO_H
#define PIT_UTIL_FDIO_H

#include <stddef.h>

/* All n bytes, through short writes and EINTR: 0, or -errno (-EIO when the
 * system writes nothing and says nothing). */
int fd_write_all(int fd, const void *p, size_t n);

#endif
