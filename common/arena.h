/*
 * arena.h - bump allocation for things that die together (a statement's
 * translation, a plan).  arena_reset() frees everything at once.
 */
#ifndef DOSQL_ARENA_H
#define DOSQL_ARENA_H

#include <stddef.h>

typedef struct ArenaBlock ArenaBlock;

typedef struct Arena {
	ArenaBlock *head; /* owned chain */
} Arena;

void arena_init(Arena *a);
/* Zeroed memory; aborts the process only when malloc fails. */
void *arena_alloc(Arena *a, size_t n);
char *arena_strdup(Arena *a, const char *s);
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_printf(Arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void arena_reset(Arena *a);

#endif
