/* strmap.h (internal): an open-addressing map from (parent id, byte string) to a 32-bit value.
 * One map holds the edges of a whole trie (parent node + segment -> child node), which is
 * smaller and faster than a table per node. Keys are not copied: they must outlive the map
 * (the policy's arena owns them). Built once, then read concurrently without locks.
 *
 * The slot a key lands in is chosen by a 64-bit hash the caller may supply (the *_hashed
 * calls): the policy tries hash literal paths by a rolling hash of the whole prefix, which a
 * decision can compute from the request alone and so prefetch every level at once. Whatever
 * the hash, a hit still requires the parent and the bytes to be equal, so a colliding hash can
 * never make a different key match. */
#ifndef WD_UTIL_STRMAP_H
#define WD_UTIL_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define WD_STRMAP_INLINE 16

typedef struct {
    uint64_t hash;
    const char *key; /* the key; keys of up to WD_STRMAP_INLINE bytes are also copied inline,
                        so comparing them needs no second memory access */
    char inl[WD_STRMAP_INLINE];
    uint32_t len;
    uint32_t parent;
    uint32_t value;
    uint32_t tag; /* 0: empty slot; otherwise WD_STRMAP_USED plus bits the owner may set once
                     the map is built (the policy copies a node's walk flags here, so a lookup
                     that hits needs no second memory access) */
} wd_strmap_slot;

#define WD_STRMAP_USED 1u

typedef struct {
    wd_strmap_slot *slots;
    size_t cap; /* a power of two, or 0 */
    size_t count;
} wd_strmap;

#define WD_STRMAP_INIT                                                                             \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

static inline uint64_t wd_hash_mix(uint64_t h)
{
    h ^= h >> 32;
    h *= 0xD6E8FEB86659FD93ull;
    h ^= h >> 32;
    return h;
}

static inline uint64_t wd_load64(const char *p)
{
    uint64_t w;
    memcpy(&w, p, 8); /* a fixed-size copy compiles to one load */
    return w;
}

/* Hash of a short byte string: eight bytes per multiply, and the tail read with fixed-size
 * loads (no call into libc). */
static inline uint64_t wd_hash_bytes(const char *p, size_t len, uint64_t seed)
{
    const uint64_t m = 0x9E3779B97F4A7C15ull;
    uint64_t h = (seed ^ len) * m;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        h = (h ^ wd_load64(p + i)) * m;
        h ^= h >> 29;
    }
    size_t rest = len - i;
    uint64_t w = 0;
    if (rest >= 4) {
        uint32_t a, b;
        memcpy(&a, p + i, 4);
        memcpy(&b, p + i + rest - 4, 4);
        w = (uint64_t)a | (uint64_t)b << 32;
    } else if (rest) {
        w = (uint64_t)(unsigned char)p[i] | (uint64_t)(unsigned char)p[i + rest / 2] << 8 |
            (uint64_t)(unsigned char)p[i + rest - 1] << 16;
    }
    return wd_hash_mix((h ^ w) * m);
}

/* The next rolling prefix hash: the prefix's hash combined with one more segment. */
static inline uint64_t wd_hash_roll(uint64_t prefix, const char *seg, size_t len)
{
    return wd_hash_mix(wd_hash_bytes(seg, len, prefix) + 0x632BE59BD9B4E019ull);
}

static inline uint64_t wd_strmap_hash(uint32_t parent, const char *key, size_t len)
{
    return wd_hash_bytes(key, len, 0xcbf29ce484222325ull ^ ((uint64_t)parent << 17));
}

/* Inserts or, when the key exists, leaves the map as it is. *value receives the value now
 * stored (the existing one, or the new one). Returns 0, WD_ERANGE (key too long) or WD_ENOMEM. */
int wd_strmap_put(wd_strmap *map, uint32_t parent, const char *key, size_t len, uint32_t *value);
int wd_strmap_put_hashed(wd_strmap *map, uint64_t hash, uint32_t parent, const char *key,
                         size_t len, uint32_t *value);
/* The slot holding the key, or NULL. Inline: this is the innermost step of every decision. */
static inline const wd_strmap_slot *wd_strmap_find(const wd_strmap *map, uint64_t hash,
                                                   uint32_t parent, const char *key, size_t len)
{
    if (!map->cap)
        return NULL;
    size_t mask = map->cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        const wd_strmap_slot *s = &map->slots[i];
        if (!s->tag)
            return NULL;
        if (s->hash == hash && s->parent == parent && s->len == len &&
            !memcmp(len <= WD_STRMAP_INLINE ? s->inl : s->key, key, len))
            return s;
    }
}

static inline bool wd_strmap_get_hashed(const wd_strmap *map, uint64_t hash, uint32_t parent,
                                        const char *key, size_t len, uint32_t *value)
{
    const wd_strmap_slot *s = wd_strmap_find(map, hash, parent, key, len);
    if (s)
        *value = s->value;
    return s != NULL;
}

static inline bool wd_strmap_get(const wd_strmap *map, uint32_t parent, const char *key, size_t len,
                                 uint32_t *value)
{
    return wd_strmap_get_hashed(map, wd_strmap_hash(parent, key, len), parent, key, len, value);
}

/* Asks the CPU to start fetching the slot a hash lands in. */
static inline void wd_strmap_prefetch(const wd_strmap *map, uint64_t hash)
{
    if (map->cap)
        __builtin_prefetch(&map->slots[hash & (map->cap - 1)]);
}

size_t wd_strmap_memory(const wd_strmap *map);
void wd_strmap_free(wd_strmap *map);

#endif
