#include "util/strmap.h"

#include <stdlib.h>
#include <string.h>

#include "warden/common.h"

uint64_t wd_strmap_hash(uint32_t parent, const char *key, size_t len)
{
    /* Eight bytes per multiply; the keys are short path segments and host labels. */
    const uint64_t m = 0x9E3779B97F4A7C15ull;
    uint64_t h = (0xcbf29ce484222325ull ^ parent) * m ^ len;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, key + i, 8);
        h = (h ^ w) * m;
        h ^= h >> 29;
    }
    uint64_t w = 0;
    if (i < len)
        memcpy(&w, key + i, len - i);
    h = (h ^ w) * m;
    h ^= h >> 32;
    h *= 0xD6E8FEB86659FD93ull;
    h ^= h >> 32;
    return h;
}

static wd_strmap_slot *find(const wd_strmap *map, uint64_t hash, uint32_t parent, const char *key,
                            size_t len)
{
    size_t mask = map->cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        wd_strmap_slot *s = &map->slots[i];
        if (!s->used)
            return s;
        if (s->hash == hash && s->parent == parent && s->len == len && !memcmp(s->key, key, len))
            return s;
    }
}

static int grow(wd_strmap *map)
{
    size_t cap = map->cap ? map->cap * 2 : 64;
    wd_strmap_slot *slots = calloc(cap, sizeof(*slots));
    if (!slots)
        return WD_ENOMEM;
    wd_strmap bigger = {slots, cap, map->count};
    for (size_t i = 0; i < map->cap; i++)
        if (map->slots[i].used)
            *find(&bigger, map->slots[i].hash, map->slots[i].parent, map->slots[i].key,
                  map->slots[i].len) = map->slots[i];
    free(map->slots);
    *map = bigger;
    return 0;
}

int wd_strmap_put(wd_strmap *map, uint32_t parent, const char *key, size_t len, uint32_t *value)
{
    if (len > UINT32_MAX)
        return WD_ERANGE;
    if ((map->count + 1) * 2 > map->cap) { /* load factor at most 1/2 */
        int rc = grow(map);
        if (rc)
            return rc;
    }
    uint64_t h = wd_strmap_hash(parent, key, len);
    wd_strmap_slot *s = find(map, h, parent, key, len);
    if (s->used) {
        *value = s->value;
        return 0;
    }
    *s = (wd_strmap_slot){h, key, (uint32_t)len, parent, *value, 1};
    map->count++;
    return 0;
}

bool wd_strmap_get(const wd_strmap *map, uint32_t parent, const char *key, size_t len,
                   uint32_t *value)
{
    if (!map->cap)
        return false;
    wd_strmap_slot *s = find(map, wd_strmap_hash(parent, key, len), parent, key, len);
    if (!s->used)
        return false;
    *value = s->value;
    return true;
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
