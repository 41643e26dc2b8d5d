/*
 * pgnode.c - walking libpg_query's protobuf-c parse trees by reflection.
 */
#include "common/pgnode.h"

#include <string.h>

void pgn_walk(const ProtobufCMessage *m, bool (*visit)(const ProtobufCMessage *m, void *arg), void *arg)
{
	if (!m || !visit(m, arg))
		return;
	const ProtobufCMessageDescriptor *d = m->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		const char *base = (const char *)m + f->offset;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)((const char *)m + f->quantifier_offset);
			ProtobufCMessage *const *arr = *(ProtobufCMessage *const **)base;
			for (size_t k = 0; k < n; k++)
				pgn_walk(arr[k], visit, arg);
		} else {
			if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
				uint32_t which = *(const uint32_t *)((const char *)m + f->quantifier_offset);
				if (which != f->id)
					continue;
			}
			pgn_walk(*(ProtobufCMessage *const *)base, visit, arg);
		}
	}
}

bool pgn_equal(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	if (!a || !b)
		return a == b;
	if (a->descriptor != b->descriptor)
		return false;
	const ProtobufCMessageDescriptor *d = a->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (strcmp(f->name, "location") == 0)
			continue;
		const char *pa = (const char *)a + f->offset, *pb = (const char *)b + f->offset;
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t wa = *(const uint32_t *)((const char *)a + f->quantifier_offset);
			uint32_t wb = *(const uint32_t *)((const char *)b + f->quantifier_offset);
			if (wa != wb)
				return false;
			if (wa != f->id)
				continue;
		}
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t na = *(const size_t *)((const char *)a + f->quantifier_offset);
			size_t nb = *(const size_t *)((const char *)b + f->quantifier_offset);
			if (na != nb)
				return false;
			for (size_t k = 0; k < na; k++) {
				if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
					if (!pgn_equal((*(ProtobufCMessage *const **)pa)[k], (*(ProtobufCMessage *const **)pb)[k]))
						return false;
				} else if (f->type == PROTOBUF_C_TYPE_STRING) {
					if (strcmp((*(char *const **)pa)[k], (*(char *const **)pb)[k]) != 0)
						return false;
				} else {
					return false; /* repeated scalars do not occur in expressions */
				}
			}
			continue;
		}
		switch (f->type) {
		case PROTOBUF_C_TYPE_MESSAGE:
			if (!pgn_equal(*(ProtobufCMessage *const *)pa, *(ProtobufCMessage *const *)pb))
				return false;
			break;
		case PROTOBUF_C_TYPE_STRING: {
			const char *sa = *(char *const *)pa, *sb = *(char *const *)pb;
			if ((sa == NULL) != (sb == NULL) || (sa && strcmp(sa, sb) != 0))
				return false;
			break;
		}
		case PROTOBUF_C_TYPE_BOOL:
			if (*(const protobuf_c_boolean *)pa != *(const protobuf_c_boolean *)pb)
				return false;
			break;
		case PROTOBUF_C_TYPE_INT64:
		case PROTOBUF_C_TYPE_UINT64:
		case PROTOBUF_C_TYPE_DOUBLE:
			if (memcmp(pa, pb, 8) != 0)
				return false;
			break;
		default: /* 32-bit integers and enums */
			if (memcmp(pa, pb, 4) != 0)
				return false;
			break;
		}
	}
	return true;
}
