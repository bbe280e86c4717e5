#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int pit_errf(struct pit_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int pit_err_prefix(struct pit_err *err, int code, const char *fmt, ...)
{
	char head[256], old[256], both[520];
	va_list ap;

	if (!err)
		return code;
	memcpy(old, err->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	err->code = code;
	/* built in a larger buffer, then cut: a long message keeps its start */
	snprintf(both, sizeof(both), "%s: %s", head, old[0] ? old : strerror(code < 0 ? -code : code));
	memcpy(err->msg, both, sizeof(err->msg) - 1);
	err->msg[sizeof(err->msg) - 1] = '\0';
	return code;
}

const char *pit_err_msg(const struct pit_err *err, int code)
{
	if (err && err->msg[0])
		return err->msg;
	return strerror(code < 0 ? -code : code);
}
