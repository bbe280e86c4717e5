/* The CREATE KEYSPACE of a keyspace as the backups knew it at an instant:
 * its row of system_schema.keyspaces, merged like any table. */
#ifndef PIT_VIEW_KEYSPACE_H
#define PIT_VIEW_KEYSPACE_H

#include <stdint.h>
#include "core/repo/repo.h"
#include "core/util/sbuf.h"

/* Appends the statement (or, when no backup holds the keyspace's row, a
 * comment saying its replication is unknown) and a blank line. */
int view_keyspace_cql(struct repo *r, int64_t at_us, const char *ks, struct sbuf *out, struct pit_err *err);

#endif
