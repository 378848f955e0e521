#include "util/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { BLOCK_MIN = 4 * 1024, ALIGN = 16 };

struct wd_arena_block {
    wd_arena_block *next;
    size_t size;
    size_t used;
    _Alignas(16) unsigned char data[];
};

void *wd_arena_alloc(wd_arena *arena, size_t size)
{
    if (size > SIZE_MAX - ALIGN - sizeof(wd_arena_block))
        return NULL;
    size = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    wd_arena_block *b = arena->head;
    if (!b || b->size - b->used < size) {
        size_t cap = size > BLOCK_MIN ? size : BLOCK_MIN;
        /* Grow block size with the arena so big policies need few blocks. */
        if (arena->total / 4 > cap && arena->total / 4 < 4 * 1024 * 1024)
            cap = (arena->total / 4 + ALIGN - 1) & ~(size_t)(ALIGN - 1);
        b = malloc(sizeof(*b) + cap);
        if (!b)
            return NULL;
        b->size = cap;
        b->used = 0;
        b->next = arena->head;
        arena->head = b;
        arena->total += sizeof(*b) + cap;
    }
    void *p = b->data + b->used;
    b->used += size;
    memset(p, 0, size);
    return p;
}

void *wd_arena_array(wd_arena *arena, size_t count, size_t elem_size)
{
    if (elem_size && count > SIZE_MAX / elem_size)
        return NULL;
    return wd_arena_alloc(arena, count * elem_size);
}

char *wd_arena_strndup(wd_arena *arena, const char *s, size_t len)
{
    if (len == SIZE_MAX)
        return NULL;
    char *p = wd_arena_alloc(arena, len + 1);
    if (p && len)
        memcpy(p, s, len);
    return p;
}

char *wd_arena_strdup(wd_arena *arena, const char *s)
{
    return wd_arena_strndup(arena, s, strlen(s));
}

void wd_arena_free(wd_arena *arena)
{
    wd_arena_block *b = arena->head;
    while (b) {
        wd_arena_block *next = b->next;
        free(b);
        b = next;
    }
    arena->head = NULL;
    arena->total = 0;
}
