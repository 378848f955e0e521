#include "util/strmap.h"

#include <stdlib.h>

#include "warden/common.h"

static wd_strmap_slot *find(const wd_strmap *map, uint64_t hash, uint32_t parent, const char *key,
                            size_t len)
{
    size_t mask = map->cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        wd_strmap_slot *s = &map->slots[i];
        if (!s->tag)
            return s;
        if (s->hash == hash && s->parent == parent && s->len == len &&
            !memcmp(len <= WD_STRMAP_INLINE ? s->inl : s->key, key, len))
            return s;
    }
}

static int grow(wd_strmap *map)
{
    size_t cap = map->cap ? map->cap * 2 : 16;
    wd_strmap_slot *slots = calloc(cap, sizeof(*slots));
    if (!slots)
        return WD_ENOMEM;
    wd_strmap bigger = {slots, cap, map->count};
    for (size_t i = 0; i < map->cap; i++)
        if (map->slots[i].tag)
            *find(&bigger, map->slots[i].hash, map->slots[i].parent, map->slots[i].key,
                  map->slots[i].len) = map->slots[i];
    free(map->slots);
    *map = bigger;
    return 0;
}

int wd_strmap_put_hashed(wd_strmap *map, uint64_t hash, uint32_t parent, const char *key,
                         size_t len, uint32_t *value)
{
    if (len > UINT32_MAX)
        return WD_ERANGE;
    if ((map->count + 1) * 2 > map->cap) { /* load factor at most 1/2 */
        int rc = grow(map);
        if (rc)
            return rc;
    }
    wd_strmap_slot *s = find(map, hash, parent, key, len);
    if (s->tag) {
        *value = s->value;
        return 0;
    }
    *s = (wd_strmap_slot){.hash = hash,
                          .key = key,
                          .len = (uint32_t)len,
                          .parent = parent,
                          .value = *value,
                          .tag = WD_STRMAP_USED};
    if (len <= WD_STRMAP_INLINE)
        memcpy(s->inl, key, len);
    map->count++;
    return 0;
}

int wd_strmap_put(wd_strmap *map, uint32_t parent, const char *key, size_t len, uint32_t *value)
{
    return wd_strmap_put_hashed(map, wd_strmap_hash(parent, key, len), parent, key, len, value);
}

size_t wd_strmap_memory(const wd_strmap *map)
{
    return map->cap * sizeof(wd_strmap_slot);
}

void wd_strmap_free(wd_strmap *map)
{
    free(map->slots);
    *map = (wd_strmap)WD_STRMAP_INIT;
}
