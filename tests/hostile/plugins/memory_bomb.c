/* memory_bomb: allocates and touches 1 MiB blocks until malloc() fails (RLIMIT_AS, from the
 * policy's limits.memory), then {"mode": "crash"} writes through the NULL it got (WD-S002) and
 * {"mode": "report"} frees everything and says how far it got (WD-S011). Bounded at 1 GiB so a
 * missing limit fails the test rather than the machine. */
#include "hostile.h"

#define BLOCK (1u << 20)
#define MAX_BLOCKS 1024

static int execute(wd_host *host, const char *input, size_t len, wd_output *out)
{
    (void)len;
    char mode[16] = "crash";
    hs_str(input, "mode", mode, sizeof(mode));
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
