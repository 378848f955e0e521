/* arena.h (internal): a bump allocator. Everything a compiled policy owns lives in one arena,
 * so freeing the policy is one call and the memory it uses is one number. */
#ifndef WD_UTIL_ARENA_H
#define WD_UTIL_ARENA_H

#include <stddef.h>

typedef struct wd_arena_block wd_arena_block;

typedef struct {
    wd_arena_block *head;
    size_t total; /* bytes obtained from malloc, blocks included */
} wd_arena;

#define WD_ARENA_INIT                                                                              \
    {                                                                                              \
        NULL, 0                                                                                    \
    }

/* Zeroed, 16-byte aligned memory, or NULL when out of memory (or size overflowed). */
void *wd_arena_alloc(wd_arena *arena, size_t size);
void *wd_arena_array(wd_arena *arena, size_t count, size_t elem_size);
char *wd_arena_strndup(wd_arena *arena, const char *s, size_t len);
char *wd_arena_strdup(wd_arena *arena, const char *s);
void wd_arena_free(wd_arena *arena);

#endif
