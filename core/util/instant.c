#include "core/util/instant.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int64_t instant_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

/* ".123456" -> microseconds (more digits are cut, fewer padded). */
static bool fraction(const char **p, int64_t *us)
{
	int n = 0;
	int64_t v = 0;
	if (**p != '.' && **p != ',')
		return true;
	(*p)++;
	while (isdigit((unsigned char)**p)) {
		if (n < 6) {
			v = v * 10 + (**p - '0');
			n++;
		}
		(*p)++;
	}
	if (n == 0)
		return false;
	while (n++ < 6)
		v *= 10;
	*us = v;
	return true;
}

int instant_parse(const char *s, int64_t *out, struct pit_err *err)
{
	const char *p = s;
	int y, mo, d, h, mi, sec;
	int64_t frac = 0;

	if (s[0] == '@') {
		char *end;
		p = s + 1;
		long long secs = strtoll(p, &end, 10);
		if (end == p)
			goto bad;
		p = end;
		if (!fraction(&p, &frac) || *p)
			goto bad;
		if (secs < -62135596800ll || secs > 253402300799ll)
			goto bad;
		*out = secs * 1000000 + (secs < 0 && frac ? -frac : frac);
		return 0;
	}
	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' || !digits(&p, 2, &d))
		goto bad;
	if (*p != 'T' && *p != 't' && *p != ' ')
		goto bad;
	p++;
	if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi) || *p++ != ':' || !digits(&p, 2, &sec))
		goto bad;
	if (!fraction(&p, &frac))
		goto bad;
	int offset = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1, oh, om;
		if (!digits(&p, 2, &oh))
			goto bad;
		if (*p == ':')
			p++;
		if (!digits(&p, 2, &om) || oh > 23 || om > 59)
			goto bad;
		offset = sign * (oh * 60 + om);
	} else {
		goto bad;
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		goto bad;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap))
		goto bad;
	int64_t days = instant_days_from_civil(y, (unsigned)mo, (unsigned)d);
	int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - (int64_t)offset * 60;
	*out = secs * 1000000 + frac;
	return 0;
bad:
	return pit_errf(err, -EINVAL, "\"%s\" is not an instant (RFC 3339 like 2026-11-20T03:00:00Z, or @<unix seconds>)", s);
}
