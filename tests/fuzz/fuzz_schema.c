/* libFuzzer: schema.cql text, and type strings in both syntaxes. */
#include <stdint.h>
#include "core/cql/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cql_schema *s = NULL;
	struct cql_type *t = NULL;
	struct pit_err err = { 0 };

	if (cql_schema_parse(&s, (const char *)data, size, "schema.cql", &err) == 0)
		cql_schema_free(s);
	if (cql_type_parse_marshal(&t, (const char *)data, size, &err) == 0) {
		struct sbuf sb;
		sbuf_init(&sb);
		cql_type_to_cql(t, &sb);
		cql_type_to_marshal(t, &sb);
		sbuf_release(&sb);
		cql_type_free(t);
	}
	if (cql_type_parse_cql(&t, (const char *)data, size, NULL, NULL, &err) == 0)
		cql_type_free(t);
	return 0;
}
