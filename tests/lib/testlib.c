#include "tests/lib/testlib.h"

#include <ctype.h>
#include <dirent.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include "core/gen/gen.h"
#include "core/util/sbuf.h"

const char *tl_fixtures(void)
{
	static char path[4096];
	const char *env = getenv("PITFS_FIXTURES");
	struct stat st;

	snprintf(path, sizeof(path), "%s", env && *env ? env : "../shared/fixtures");
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return path;
	return NULL;
}

char *tl_read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long len;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)len + 1))) {
		if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
			free(buf);
			buf = NULL;
		} else {
			buf[len] = '\0';
			if (n)
				*n = (size_t)len;
		}
	}
	fclose(f);
	return buf;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void walk(const char *dir, const char *suffix, char ***v, int *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char p[4096];
		struct stat st;
		if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (lstat(p, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			walk(p, suffix, v, n);
		} else {
			size_t a = strlen(e->d_name), b = strlen(suffix);
			if (a >= b && !strcmp(e->d_name + a - b, suffix)) {
				*v = realloc(*v, (size_t)(*n + 1) * sizeof(**v));
				(*v)[(*n)++] = strdup(p);
			}
		}
	}
	closedir(d);
}

int tl_find(const char *dir, const char *suffix, char ***out)
{
	char **v = NULL;
	int n = 0;
	walk(dir, suffix, &v, &n);
	if (n)
		qsort(v, (size_t)n, sizeof(*v), cmp_str);
	*out = v;
	return n;
}

void tl_free_list(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* ---- JSON ---- */

struct jp {
	const char *s, *end;
	int depth;
};

static void jws(struct jp *p)
{
	while (p->s < p->end && isspace((unsigned char)*p->s))
		p->s++;
}

static struct tl_json *jvalue(struct jp *p);

static char *jstring(struct jp *p)
{
	size_t cap = 16, n = 0;
	char *out = malloc(cap);

	p->s++;	/* the quote */
	while (p->s < p->end && *p->s != '"') {
		char c = *p->s++;
		if (n + 8 >= cap)
			out = realloc(out, cap *= 2);
		if (c != '\\') {
			out[n++] = c;
			continue;
		}
		if (p->s >= p->end)
			break;
		c = *p->s++;
		switch (c) {
		case 'n': out[n++] = '\n'; break;
		case 't': out[n++] = '\t'; break;
		case 'r': out[n++] = '\r'; break;
		case 'b': out[n++] = '\b'; break;
		case 'f': out[n++] = '\f'; break;
		case 'u': {
			unsigned cp = 0;
			for (int i = 0; i < 4 && p->s < p->end; i++)
				cp = cp * 16 + (unsigned)(isdigit((unsigned char)*p->s) ? *p->s - '0' :
							  (tolower((unsigned char)*p->s) - 'a' + 10)), p->s++;
			if (cp >= 0xd800 && cp < 0xdc00 && p->end - p->s >= 6 && p->s[0] == '\\' && p->s[1] == 'u') {
				unsigned lo = (unsigned)strtoul((char[5]){ p->s[2], p->s[3], p->s[4], p->s[5], 0 }, NULL, 16);
				p->s += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			if (cp < 0x80) out[n++] = (char)cp;
			else if (cp < 0x800) { out[n++] = (char)(0xc0 | cp >> 6); out[n++] = (char)(0x80 | (cp & 63)); }
			else if (cp < 0x10000) { out[n++] = (char)(0xe0 | cp >> 12); out[n++] = (char)(0x80 | (cp >> 6 & 63)); out[n++] = (char)(0x80 | (cp & 63)); }
			else { out[n++] = (char)(0xf0 | cp >> 18); out[n++] = (char)(0x80 | (cp >> 12 & 63)); out[n++] = (char)(0x80 | (cp >> 6 & 63)); out[n++] = (char)(0x80 | (cp & 63)); }
			break;
		}
		default: out[n++] = c;
		}
	}
	if (p->s < p->end)
		p->s++;
	out[n] = '\0';
	return out;
}

static struct tl_json *jvalue(struct jp *p)
{
	struct tl_json *j;

	jws(p);
	if (p->s >= p->end || ++p->depth > 200)
		return NULL;
	j = calloc(1, sizeof(*j));
	char c = *p->s;
	if (c == '{' || c == '[') {
		bool obj = c == '{';
		j->kind = obj ? TJ_OBJ : TJ_ARR;
		p->s++;
		jws(p);
		if (p->s < p->end && *p->s == (obj ? '}' : ']')) {
			p->s++;
			goto done;
		}
		for (;;) {
			char *key = NULL;
			jws(p);
			if (obj) {
				if (p->s >= p->end || *p->s != '"')
					goto fail;
				key = jstring(p);
				jws(p);
				if (p->s >= p->end || *p->s != ':') {
					free(key);
					goto fail;
				}
				p->s++;
			}
			struct tl_json *v = jvalue(p);
			if (!v) {
				free(key);
				goto fail;
			}
			j->v = realloc(j->v, (j->n + 1) * sizeof(*j->v));
			j->k = realloc(j->k, (j->n + 1) * sizeof(*j->k));
			j->v[j->n] = v;
			j->k[j->n++] = key;
			jws(p);
			if (p->s < p->end && *p->s == ',') {
				p->s++;
				continue;
			}
			if (p->s < p->end && *p->s == (obj ? '}' : ']')) {
				p->s++;
				break;
			}
			goto fail;
		}
	} else if (c == '"') {
		j->kind = TJ_STR;
		j->s = jstring(p);
	} else if (!strncmp(p->s, "null", 4)) {
		j->kind = TJ_NULL;
		p->s += 4;
	} else if (!strncmp(p->s, "true", 4) || !strncmp(p->s, "false", 5)) {
		j->kind = TJ_BOOL;
		j->b = c == 't';
		p->s += j->b ? 4 : 5;
	} else {
		const char *st = p->s;
		while (p->s < p->end && (isdigit((unsigned char)*p->s) || strchr("+-.eE", *p->s)))
			p->s++;
		if (p->s == st)
			goto fail;
		j->kind = TJ_NUM;
		j->s = strndup(st, (size_t)(p->s - st));
	}
done:
	p->depth--;
	return j;
fail:
	tl_json_free(j);
	return NULL;
}

struct tl_json *tl_json_parse(const char *s, size_t n)
{
	struct jp p = { s, s + n, 0 };
	struct tl_json *j = jvalue(&p);
	jws(&p);
	if (j && p.s != p.end) {
		tl_json_free(j);
		return NULL;
	}
	return j;
}

void tl_json_free(struct tl_json *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->n; i++) {
		tl_json_free(j->v[i]);
		free(j->k[i]);
	}
	free(j->v);
	free(j->k);
	free(j->s);
	free(j);
}

const struct tl_json *tl_json_get(const struct tl_json *o, const char *key)
{
	if (!o || o->kind != TJ_OBJ)
		return NULL;
	for (size_t i = 0; i < o->n; i++)
		if (!strcmp(o->k[i], key))
			return o->v[i];
	return NULL;
}

static bool as_number(const struct tl_json *j, double *d)
{
	char *end;
	if (j->kind != TJ_STR && j->kind != TJ_NUM)
		return false;
	*d = strtod(j->s, &end);
	return end != j->s && *end == '\0';
}

bool tl_json_equal(const struct tl_json *a, const struct tl_json *b)
{
	static const struct tl_json null_v = { .kind = TJ_NULL };
	if (!a)
		a = &null_v;
	if (!b)
		b = &null_v;
	if (a->kind == TJ_STR && b->kind == TJ_STR && !strcmp(a->s, b->s))
		return true;
	if ((a->kind == TJ_STR || a->kind == TJ_NUM) && (b->kind == TJ_STR || b->kind == TJ_NUM)) {
		double x, y;
		if (a->kind == TJ_NUM && b->kind == TJ_NUM && !strcmp(a->s, b->s))
			return true;
		if (!as_number(a, &x) || !as_number(b, &y))
			return false;
		/* float literals: equal after conversion to float32 or float64 */
		return x == y || (float)x == (float)y || (isnan(x) && isnan(y));
	}
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case TJ_NULL: return true;
	case TJ_BOOL: return a->b == b->b;
	case TJ_ARR:
		if (a->n != b->n)
			return false;
		for (size_t i = 0; i < a->n; i++)
			if (!tl_json_equal(a->v[i], b->v[i]))
				return false;
		return true;
	case TJ_OBJ:
		for (size_t i = 0; i < a->n; i++)
			if (!tl_json_equal(a->v[i], tl_json_get(b, a->k[i])))
				return false;
		for (size_t i = 0; i < b->n; i++)
			if (!tl_json_equal(b->v[i], tl_json_get(a, b->k[i])))
				return false;
		return true;
	default:
		return false;
	}
}

static char **sort_texts;
static int cmp_idx(const void *a, const void *b)
{
	return strcmp(sort_texts[*(const int *)a], sort_texts[*(const int *)b]);
}

static int split_lines(const char *s, size_t n, struct tl_json ***out, char ***text)
{
	int k = 0;
	*out = NULL;
	*text = NULL;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && s[j] != '\n')
			j++;
		if (j > i) {
			*out = realloc(*out, (size_t)(k + 1) * sizeof(**out));
			*text = realloc(*text, (size_t)(k + 1) * sizeof(**text));
			(*out)[k] = tl_json_parse(s + i, j - i);
			(*text)[k] = strndup(s + i, j - i);
			k++;
		}
		i = j + 1;
	}
	return k;
}

bool tl_jsonl_same(const char *want, size_t wn, const char *got, size_t gn, const char *what)
{
	struct tl_json **w, **g;
	char **wt, **gt;
	int nw = split_lines(want, wn, &w, &wt), ng = split_lines(got, gn, &g, &gt);
	bool *used = calloc((size_t)ng + 1, 1), *done = calloc((size_t)nw + 1, 1), ok = true;
	int shown = 0;
	int *order = malloc(((size_t)ng + 1) * sizeof(int));

	/* identical lines first, through a sorted index, so big sets stay fast */
	for (int k = 0; k < ng; k++)
		order[k] = k;
	sort_texts = gt;
	qsort(order, (size_t)ng, sizeof(int), cmp_idx);
	for (int i = 0; i < nw; i++) {
		int lo = 0, hi = ng;
		while (lo < hi) {
			int mid = (lo + hi) / 2;
			if (strcmp(gt[order[mid]], wt[i]) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < ng && !strcmp(gt[order[lo]], wt[i]); lo++)
			if (!used[order[lo]]) {
				used[order[lo]] = done[i] = true;
				break;
			}
	}
	free(order);
	for (int i = 0; i < nw; i++) {
		bool found = done[i];
		for (int k = 0; k < ng && !found; k++)
			if (!used[k] && w[i] && g[k] && tl_json_equal(w[i], g[k]))
				used[k] = found = true;
		if (!found) {
			ok = false;
			if (shown++ < 5)
				printf("# %s: expected row not produced: %s\n", what, wt[i]);
		}
	}
	for (int k = 0; k < ng; k++)
		if (!used[k]) {
			ok = false;
			if (shown++ < 10)
				printf("# %s: unexpected row: %s\n", what, gt[k]);
		}
	if (!ok)
		printf("# %s: %d rows expected, %d produced\n", what, nw, ng);
	for (int i = 0; i < nw; i++) {
		tl_json_free(w[i]);
		free(wt[i]);
	}
	for (int k = 0; k < ng; k++) {
		tl_json_free(g[k]);
		free(gt[k]);
	}
	free(w);
	free(wt);
	free(g);
	free(gt);
	free(used);
	free(done);
	return ok;
}

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

void tl_rm_rf(const char *path) { nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS); }

static int cmp_tag(const void *a, const void *b) { return strcmp(a, b); }

int tl_gen_cluster(char *dir, uint64_t size, uint64_t seed, char tags[3][256])
{
	struct gen_opts o = { .nodes = 3, .rf = 3, .size = size, .seed = seed, .miss = 0.05, .skew_us = 2000 };

	return tl_gen_cluster_opts(dir, &o, tags);
}

int tl_gen_cluster_opts(char *dir, const struct gen_opts *base, char tags[3][256])
{
	struct gen_opts o = *base;
	struct gen_summary sum;
	struct pit_err err = { 0 };

	if (strstr(dir, "XXXXXX") && !mkdtemp(dir))
		return -1;
	o.outdir = dir;
	if (gen_run(&o, &sum, &err) < 0) {
		printf("# gen: %s\n", err.msg);
		return -1;
	}
	return tl_cluster_tags(dir, tags);
}

int tl_cluster_tags(const char *dir, char tags[3][256])
{
	char path[512];
	DIR *d;
	struct dirent *de;
	int n = 0;

	/* every table has the same snapshots; orders' name tells where they are */
	snprintf(path, sizeof(path), "%s/node1/data/shop", dir);
	if (!(d = opendir(path)))
		return -1;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "orders-", 7))
			snprintf(path, sizeof(path), "%s/node1/data/shop/%.200s/snapshots", dir, de->d_name);
	closedir(d);
	if (!(d = opendir(path)))
		return -1;
	while ((de = readdir(d)) && n < 3)
		if (de->d_name[0] != '.')
			snprintf(tags[n++], 256, "%s", de->d_name);
	closedir(d);
	qsort(tags, (size_t)n, 256, cmp_tag);
	if (n != 3)
		printf("# %s: %d snapshots, expected 3\n", dir, n);
	return n == 3 ? 0 : -1;
}

double tl_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct tl_run tl_sh(const char *cmd)
{
	struct tl_run r = { 0, 0, 0, 0 };
	struct rusage ru;
	int st;
	double t0 = tl_now();
	pid_t pid = fork();

	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &st, 0, &ru) < 0)
		return r;
	r.secs = tl_now() - t0;
	r.rss_kb = ru.ru_maxrss;
	r.cpu_secs = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
		     (double)ru.ru_stime.tv_usec / 1e6;
	r.ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
	if (!r.ok)
		fprintf(stderr, "failed: %s\n", cmd);
	return r;
}

const char *tl_csv_record(const char *p, const char *end, char ***fields, size_t *n)
{
	struct sbuf f;
	char **v = NULL;
	size_t nv = 0;
	bool quoted = false, done = false;

	*fields = NULL;
	*n = 0;
	if (p >= end)
		return NULL;
	sbuf_init(&f);
	while (!done) {
		if (p < end && *p == '\\' && p + 1 < end) {
			sbuf_addc(&f, p[1]);
			p += 2;
			continue;
		}
		if (p < end && *p == '"') {
			quoted = !quoted;
			p++;
			continue;
		}
		if (p < end && quoted) {
			sbuf_addc(&f, *p++);
			continue;
		}
		if (p < end && *p != ',' && *p != '\r' && *p != '\n') {
			sbuf_addc(&f, *p++);
			continue;
		}
		/* a field ends: at ',', at the end of the line, or at the end */
		char **nvv = realloc(v, (nv + 1) * sizeof(*v));
		if (!nvv)
			break;
		v = nvv;
		v[nv++] = strdup(f.buf ? f.buf : "");
		sbuf_reset(&f);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p + 1 < end && p[0] == '\r' && p[1] == '\n')
			p += 2;
		else if (p < end)
			break;	/* a bare \r or \n: not what COPY writes */
		done = true;
	}
	sbuf_release(&f);
	if (!done || quoted) {
		tl_csv_free(v, nv);
		return NULL;
	}
	*fields = v;
	*n = nv;
	return p;
}

void tl_csv_free(char **fields, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(fields[i]);
	free(fields);
}

int tl_gen_cluster_child(char *dir, const struct gen_opts *o, char tags[3][256])
{
	int st;
	pid_t pid = fork();

	if (pid == 0)
		_exit(tl_gen_cluster_opts(dir, o, tags) < 0);
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return -1;
	return tl_cluster_tags(dir, tags) < 0 ? -1 : 0;
}
