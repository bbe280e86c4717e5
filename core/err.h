/* Error convention: functions return 0 (or a size) on success and a negative
 * errno on failure, and fill a caller-provided message buffer. */
#ifndef PIT_ERR_H
#define PIT_ERR_H

#include <errno.h>

struct pit_err {
	int code;
	char msg[256];
};

/* Records code and message in err (err may be NULL) and returns code. */
int pit_errf(struct pit_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefixes the message already in err with more context ("file: " + old). */
int pit_err_prefix(struct pit_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The message, or strerror(-code) when no message was recorded. */
const char *pit_err_msg(const struct pit_err *err, int code);

#endif
