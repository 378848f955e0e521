/* landlock.h (internal): the Landlock system calls and access bits, defined here because
 * Debian 12's kernel headers (6.1) stop at ABI 2. The values are kernel ABI. Used by the runner
 * to confine itself and by the host to plan the rules (which directory gets which bits). */
#ifndef WD_SANDBOX_LANDLOCK_H
#define WD_SANDBOX_LANDLOCK_H

#include <stdint.h>

#define WD_LL_EXECUTE (1ULL << 0)
#define WD_LL_WRITE_FILE (1ULL << 1)
#define WD_LL_READ_FILE (1ULL << 2)
#define WD_LL_READ_DIR (1ULL << 3)
#define WD_LL_REMOVE_DIR (1ULL << 4)
#define WD_LL_REMOVE_FILE (1ULL << 5)
#define WD_LL_MAKE_CHAR (1ULL << 6)
#define WD_LL_MAKE_DIR (1ULL << 7)
#define WD_LL_MAKE_REG (1ULL << 8)
#define WD_LL_MAKE_SOCK (1ULL << 9)
#define WD_LL_MAKE_FIFO (1ULL << 10)
#define WD_LL_MAKE_BLOCK (1ULL << 11)
#define WD_LL_MAKE_SYM (1ULL << 12)
#define WD_LL_REFER (1ULL << 13)     /* ABI 2 */
#define WD_LL_TRUNCATE (1ULL << 14)  /* ABI 3 */
#define WD_LL_IOCTL_DEV (1ULL << 15) /* ABI 5 */
/* Accesses that make sense on a file rather than a directory. */
#define WD_LL_FILE_ACCESS                                                                          \
    (WD_LL_EXECUTE | WD_LL_WRITE_FILE | WD_LL_READ_FILE | WD_LL_TRUNCATE | WD_LL_IOCTL_DEV)

/* The highest ABI the kernel offers, 0 when none. */
int wd_landlock_abi(void);
/* A ruleset handling every filesystem access the ABI knows, TCP bind and connect (ABI 4) and
 * signal and abstract-socket scoping (ABI 6). *handled gets the filesystem bits. A descriptor
 * or -1 (errno set). */
int wd_landlock_create(int abi, uint64_t *handled);
int wd_landlock_add_path(int ruleset, int fd, uint64_t access);
int wd_landlock_restrict(int ruleset);

#endif
