/* bench_common.h: small helpers every bench program shares. */
#ifndef WD_BENCH_COMMON_H
#define WD_BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>

static inline int bench_cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The value at quantile q of a sorted array (nearest rank). */
static inline uint32_t bench_quantile(const uint32_t *sorted, size_t n, double q)
{
    if (!n)
        return 0;
    size_t rank = (size_t)(q * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return sorted[rank - 1];
}

#endif
