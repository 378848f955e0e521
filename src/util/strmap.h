/* strmap.h (internal): an open-addressing map from (parent id, byte string) to a 32-bit value.
 * One map holds the edges of a whole trie (parent node + segment -> child node), which is
 * smaller and faster than a table per node. Keys are not copied: they must outlive the map
 * (the policy's arena owns them). Built once, then read concurrently without locks. */
#ifndef WD_UTIL_STRMAP_H
#define WD_UTIL_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t hash;
    const char *key;
    uint32_t len;
    uint32_t parent;
    uint32_t value;
    uint32_t used;
} wd_strmap_slot;

typedef struct {
    wd_strmap_slot *slots;
    size_t cap; /* a power of two, or 0 */
    size_t count;
} wd_strmap;

#define WD_STRMAP_INIT                                                                             \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

uint64_t wd_strmap_hash(uint32_t parent, const char *key, size_t len);
/* Inserts or, when the key exists, leaves the map as it is. *value receives the value now
 * stored (the existing one, or the new one). Returns 0, WD_ERANGE (key too long) or WD_ENOMEM. */
int wd_strmap_put(wd_strmap *map, uint32_t parent, const char *key, size_t len, uint32_t *value);
bool wd_strmap_get(const wd_strmap *map, uint32_t parent, const char *key, size_t len,
                   uint32_t *value);
size_t wd_strmap_memory(const wd_strmap *map);
void wd_strmap_free(wd_strmap *map);

#endif
