/* fuzz_daemon.h: the daemon the wardend fuzz targets run against, made once per process: a
 * temporary directory with audit keys, a policy store and an override directory, one tenant
 * "demo" over the example plugins of this build (uid 0 admin), removed at exit. Decisions are
 * recorded only when denied and never synced, so a run costs decisions, not disk. */
#ifndef WD_FUZZ_DAEMON_H
#define WD_FUZZ_DAEMON_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon/daemon.h"
#include "warden/warden.h"

#ifndef WD_BINARY_DIR
#define WD_BINARY_DIR "."
#endif

static char wd_fuzz_dir[64];
static wdd_daemon *wd_fuzz_d;

static int wd_fuzz_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void wd_fuzz_cleanup(void)
{
    wdd_daemon_free(wd_fuzz_d);
    nftw(wd_fuzz_dir, wd_fuzz_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static wdd_daemon *wd_fuzz_daemon(void)
{
    if (wd_fuzz_d)
        return wd_fuzz_d;
    snprintf(wd_fuzz_dir, sizeof(wd_fuzz_dir), "/tmp/wd-fuzz-api.XXXXXX");
    if (!mkdtemp(wd_fuzz_dir))
        abort();
    char path[256], keys[128];
    snprintf(keys, sizeof(keys), "%s/keys", wd_fuzz_dir);
    if (wd_audit_keygen(keys) != 0)
        abort();
    snprintf(path, sizeof(path), "%s/warden.yaml", wd_fuzz_dir);
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fprintf(f,
            "version: 1\n"
            "listen: {unix: %s/sock}\n"
            "limits: {max_batch: 1000}\n"
            "tenants:\n"
            "  - name: demo\n"
            "    contracts: [%s/examples/plugins]\n"
            "    policies: policies\n"
            "    audit: {log: audit, keys: keys, durability: none, decisions: deny}\n"
            "    overrides: overrides\n"
            "    clients: [{uid: 0, role: admin}]\n",
            wd_fuzz_dir, WD_BINARY_DIR);
    fclose(f);
    if (wdd_daemon_new(&wd_fuzz_d, path, NULL, NULL) != 0) {
        fprintf(stderr, "fuzz: cannot start the daemon: %s\n", wd_error_last()->message);
        abort();
    }
    atexit(wd_fuzz_cleanup);
    return wd_fuzz_d;
}

#endif
