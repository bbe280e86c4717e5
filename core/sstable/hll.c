#include "core/sstable/hll.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "core/util/bytes.h"

#define P 13
#define SP 25
#define M (1 << P)
#define SPARSE_THRESHOLD (M * 3 / 4)
#define SORT_THRESHOLD (SPARSE_THRESHOLD / 4)
#define REG_WORDS (M / 6 + (M / 6 % 32 ? 1 : 0))	/* stream-lib's RegisterSet sizing */

/* stream-lib computes with Java ints: the encodings below are int32 values
 * whose signed order matters where it compares them. */
struct sst_hll {
	bool sparse;
	int32_t tmp[SORT_THRESHOLD + 1];
	int ntmp;
	int32_t *set;
	int nset;
	uint32_t regs[REG_WORDS];
};

int sst_hll_new(struct sst_hll **out)
{
	struct sst_hll *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->sparse = true;
	*out = h;
	return 0;
}

void sst_hll_free(struct sst_hll *h)
{
	if (!h)
		return;
	free(h->set);
	free(h);
}

static int clz64(uint64_t x) { return x ? __builtin_clzll(x) : 64; }
static int clz32(uint32_t x) { return x ? __builtin_clz(x) : 32; }

static int run_length(uint64_t x)
{
	return clz64((x << P) | (1u << (P - 1))) + 1;
}

static int32_t encode(uint64_t x)
{
	uint32_t idx = (uint32_t)(x >> (64 - SP));
	uint32_t zero_test = idx << ((32 - SP) + P);
	if (zero_test == 0) {
		uint32_t invrl = (uint32_t)run_length(x) ^ 63;
		return (int32_t)((((idx << 6) | invrl) << 1) | 1);
	}
	return (int32_t)(idx << 1);
}

static int32_t sparse_index(int32_t k)
{
	return (int32_t)(k & 1 ? (uint32_t)k >> 7 : (uint32_t)k >> 1);
}

static int32_t encoded_hash(int32_t k)
{
	return (int32_t)((uint32_t)k << (P + (31 - SP)));
}

static int decode_run_length(int32_t k)
{
	if (k & 1)
		return (int)(((uint32_t)k >> 1 & 63) ^ 63);
	return clz32((uint32_t)k << (P + (31 - SP))) + 1;
}

static void update_if_greater(struct sst_hll *h, uint32_t pos, int value)
{
	uint32_t bucket = pos / 6, shift = 5 * (pos - bucket * 6);
	uint32_t mask = 0x1fu << shift, cur = h->regs[bucket] & mask, nv = (uint32_t)value << shift;
	if (cur < nv)
		h->regs[bucket] = (h->regs[bucket] & ~mask) | nv;
}

static int cmp_encoded(const void *pa, const void *pb)
{
	int32_t a = *(const int32_t *)pa, b = *(const int32_t *)pb;
	if (a == b)
		return 0;
	int32_t ia = sparse_index(a), ib = sparse_index(b);
	if (ia != ib)
		return ia < ib ? -1 : 1;
	int32_t ha = encoded_hash(a), hb = encoded_hash(b);
	return ha < hb ? -1 : ha > hb;
}

/* Merges the sorted temp list into the sparse set: per sparse index the
 * smaller encoding wins, the temp list's duplicates after the first are dropped. */
static int merge_temp(struct sst_hll *h)
{
	if (h->ntmp == 0)
		return 0;
	qsort(h->tmp, (size_t)h->ntmp, sizeof(int32_t), cmp_encoded);
	int32_t *out = malloc(((size_t)h->nset + (size_t)h->ntmp) * sizeof(int32_t) + 1);
	int n = 0, si = 0, ti = 0;
	if (!out)
		return -ENOMEM;
	while (si < h->nset || ti < h->ntmp) {
		int32_t take_tmp;	/* what goes out; the temp entry is then consumed */
		if (si >= h->nset) {
			take_tmp = h->tmp[ti];
		} else if (ti >= h->ntmp) {
			out[n++] = h->set[si++];
			continue;
		} else if (sparse_index(h->set[si]) == sparse_index(h->tmp[ti])) {
			int32_t s = h->set[si++];
			take_tmp = s < h->tmp[ti] ? s : h->tmp[ti];	/* same index: the smaller */
		} else if (h->set[si] < h->tmp[ti]) {
			out[n++] = h->set[si++];
			continue;
		} else {
			take_tmp = h->tmp[ti];
		}
		int32_t idx = sparse_index(h->tmp[ti]);
		out[n++] = take_tmp;
		ti++;
		while (ti < h->ntmp && sparse_index(h->tmp[ti]) == idx)
			ti++;
	}
	free(h->set);
	h->set = out;
	h->nset = n;
	h->ntmp = 0;
	return 0;
}

static int to_normal(struct sst_hll *h)
{
	int rc = merge_temp(h);
	if (rc < 0)
		return rc;
	for (int i = 0; i < h->nset; i++)
		update_if_greater(h, (uint32_t)sparse_index(h->set[i]) >> (SP - P), decode_run_length(h->set[i]));
	free(h->set);
	h->set = NULL;
	h->nset = 0;
	h->sparse = false;
	return 0;
}

int sst_hll_offer(struct sst_hll *h, uint64_t x)
{
	int rc;

	if (!h->sparse) {
		update_if_greater(h, (uint32_t)(x >> (64 - P)), run_length(x));
		return 0;
	}
	h->tmp[h->ntmp++] = encode(x);
	if (h->ntmp > SORT_THRESHOLD) {
		if ((rc = merge_temp(h)) < 0)
			return rc;
		if (h->nset > SPARSE_THRESHOLD)
			return to_normal(h);
	}
	return 0;
}

static void put_varint(struct sbuf *out, uint32_t v)
{
	while (v & ~0x7fu) {
		sbuf_addc(out, (char)((v & 0x7f) | 0x80));
		v >>= 7;
	}
	sbuf_addc(out, (char)v);
}

int sst_hll_serialize(struct sst_hll *h, struct sbuf *out)
{
	uint8_t b[4];
	int rc;

	put_be32(b, (uint32_t)-2);	/* -VERSION */
	sbuf_add(out, b, 4);
	put_varint(out, P);
	put_varint(out, SP);
	if (!h->sparse) {
		put_varint(out, 0);
		put_varint(out, REG_WORDS * 4);
		for (int i = 0; i < REG_WORDS; i++) {
			put_be32(b, h->regs[i]);
			sbuf_add(out, b, 4);
		}
		return out->oom ? -ENOMEM : 0;
	}
	if ((rc = merge_temp(h)) < 0)
		return rc;
	put_varint(out, 1);
	put_varint(out, (uint32_t)h->nset);
	int32_t prev = 0;
	for (int i = 0; i < h->nset; i++) {
		put_varint(out, (uint32_t)h->set[i] - (uint32_t)prev);
		prev = h->set[i];
	}
	return out->oom ? -ENOMEM : 0;
}
