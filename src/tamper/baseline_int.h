/* baseline_int.h (internal): what the watcher needs of a verified baseline. */
#ifndef WD_TAMPER_BASELINE_INT_H
#define WD_TAMPER_BASELINE_INT_H

#include <stdbool.h>
#include <stddef.h>

/* The signature checked, the entries' paths (malloc'd array of malloc'd strings) and whether
 * each is a directory. */
int wd_baseline_paths(const char *manifest, const char *pubkey_path, char ***paths, bool **dirs,
                      size_t *n);

#endif
