/* memory_bomb: allocates and touches 1 MiB blocks until malloc() fails (RLIMIT_AS, from the
 * policy's limits.memory), then {"mode": "crash"} writes through the NULL it got (the memory
 * limit, WD-S014, not a crash) and {"mode": "report"} frees everything and says how far it got
 * (WD-S011). Bounded at 1 GiB so a missing limit fails the test rather than the machine.
 *
 * {"mode": "huge"} asks malloc for 1 GiB at once, far past the limit, with the address space
 * nearly empty, and writes through the NULL (WD-S014). {"mode": "mmap"} reserves 1 MiB
 * mappings with mmap(2) itself, no malloc, until the kernel refuses, then writes through
 * MAP_FAILED (WD-S014: the address space is used up). */
#include <sys/mman.h>

#include "hostile.h"

#define BLOCK (1u << 20)
#define MAX_BLOCKS 1024

static int execute(wd_host *host, const char *input, size_t len, wd_output *out)
{
    (void)len;
    char mode[16] = "crash";
    hs_str(input, "mode", mode, sizeof(mode));
    if (strcmp(mode, "huge") == 0) {
        volatile char *huge = malloc((size_t)MAX_BLOCKS * BLOCK);
        if (huge) {
            hs_out(host, out, "huge: BREACH: 1 GiB granted");
            return 0;
        }
        huge[4096] = 1; /* as if malloc could not fail */
        return 1;
    }
    if (strcmp(mode, "mmap") == 0) {
        unsigned maps = 0;
        volatile char *m;
        while ((m = mmap(NULL, BLOCK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                         0)) != MAP_FAILED &&
               maps < MAX_BLOCKS)
            maps++;
        if (m != MAP_FAILED) {
            hs_out(host, out, "mmap: BREACH: %u MiB and counting", maps);
            return 0;
        }
        m[0] = 1; /* MAP_FAILED is (void *)-1 */
        return 1;
    }
    void **head = NULL;
    unsigned blocks = 0;
    char *p = NULL;
    while (blocks < MAX_BLOCKS && (p = malloc(BLOCK)) != NULL) {
        memset(p, 0xa5, BLOCK);
        *(void ***)(void *)p = head; /* keep every block reachable */
        head = (void **)(void *)p;
        blocks++;
    }
    if (p && blocks == MAX_BLOCKS) {
        hs_out(host, out, "malloc: BREACH: %u MiB and counting", blocks);
        return 0;
    }
    if (strcmp(mode, "crash") == 0) {
        volatile char *null = p;
        null[4096] = 1; /* keeps going as if malloc could not fail */
    }
    while (head) {
        void **next = *head;
        free(head);
        head = next;
    }
    hs_out(host, out, "malloc: failed after %u MiB", blocks);
    return 1;
}

HOSTILE_PLUGIN("memory_bomb", "allocate until malloc fails, then keep going", execute);
