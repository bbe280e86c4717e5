#include <errno.h>
#include <unistd.h>
#include "core/util/fdio.h"

int fd_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w == 0 ? -EIO : -errno;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}
