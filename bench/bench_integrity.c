/* bench_integrity.c: what tamper resistance and overrides cost (issue 6): signing and verifying
 * a baseline of 1,000 (and 10,000) files, the latency from a change to a baselined file until
 * the watcher is in lockdown, and one TOTP verification (three HMACs) per hash.
 *
 *   build/bench/bench_integrity [--quick] [--pin CPU] [--dir DIR] */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_util.h"
#include "warden/warden.h"

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void row(const char *what, uint64_t *v, size_t n, const char *note)
{
    qsort(v, n, sizeof(*v), cmp_u64);
    char p50[32], p99[32], max[32];
    bench_fmt_duration(p50, sizeof(p50), (double)v[n / 2]);
    bench_fmt_duration(p99, sizeof(p99), (double)v[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1]);
    bench_fmt_duration(max, sizeof(max), (double)v[n - 1]);
    printf("  %-46s %6zu %10s %10s %10s  %s\n", what, n, p50, p99, max, note);
}

static void write_file(const char *path, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        die("cannot create %s: %s", path, strerror(errno));
    char buf[4096];
    memset(buf, 'x', sizeof(buf));
    for (size_t done = 0; done < size;) {
        size_t n = size - done < sizeof(buf) ? size - done : sizeof(buf);
        if (write(fd, buf, n) != (ssize_t)n)
            die("cannot write %s", path);
        done += n;
    }
    close(fd);
}

static void baseline_rows(const char *root, const char *keys, const char *pub, size_t files,
                          unsigned runs)
{
    char tree[600], manifest[600], path[700];
    snprintf(tree, sizeof(tree), "%s/tree-%zu", root, files);
    snprintf(manifest, sizeof(manifest), "%s/tree-%zu.manifest", root, files);
    make_dir(tree);
    for (size_t d = 0; d < (files + 99) / 100; d++) {
        snprintf(path, sizeof(path), "%s/d%03zu", tree, d);
        make_dir(path);
        for (size_t f = 0; f < 100 && d * 100 + f < files; f++) {
            snprintf(path, sizeof(path), "%s/d%03zu/policy-%03zu.yaml", tree, d, f);
            write_file(path, 1024);
        }
    }
    uint64_t *create = xcalloc(runs, sizeof(uint64_t)), *verify = xcalloc(runs, sizeof(uint64_t));
    const char *paths[] = {tree};
    for (unsigned i = 0; i < runs; i++) {
        unlink(manifest);
        uint64_t t0 = now_ns();
        size_t count = 0;
        if (wd_baseline_create(paths, 1, keys, manifest, NULL, &count) != 0 || count != files)
            die("baseline: %s", wd_error_last()->message);
        create[i] = now_ns() - t0;
        t0 = now_ns();
        wd_baseline_result r;
        if (wd_baseline_verify(manifest, pub, &r, NULL, NULL) != 0 || r.files != files)
            die("verify: %s", wd_error_last()->message);
        verify[i] = now_ns() - t0;
    }
    char what[80];
    snprintf(what, sizeof(what), "baseline create, %zu files of 1 KiB", files);
    row(what, create, runs, "walk, hash, sign, write");
    snprintf(what, sizeof(what), "baseline verify, %zu files of 1 KiB", files);
    row(what, verify, runs, "signature, then every file (page cache warm)");
    free(create);
    free(verify);
    remove_tree(tree, true);
    unlink(manifest);
}

static void lockdown_rows(const char *root, const char *keys, const char *pub, unsigned runs)
{
    char dir[600], file[700], manifest[600];
    snprintf(dir, sizeof(dir), "%s/watched", root);
    snprintf(file, sizeof(file), "%s/policy.yaml", dir);
    snprintf(manifest, sizeof(manifest), "%s/watched.manifest", root);
    make_dir(dir);
    uint64_t *lat = xcalloc(runs, sizeof(uint64_t));
    const char *paths[] = {dir};
    for (unsigned i = 0; i < runs; i++) {
        write_file(file, 512);
        unlink(manifest);
        if (wd_baseline_create(paths, 1, keys, manifest, NULL, NULL) != 0)
            die("baseline: %s", wd_error_last()->message);
        wd_watch *w;
        if (wd_watch_start(&w, manifest, pub, NULL) != 0)
            die("watch: %s", wd_error_last()->message);
        int fd = open(file, O_WRONLY | O_APPEND | O_CLOEXEC);
        uint64_t t0 = now_ns();
        if (fd < 0 || write(fd, "#\n", 2) != 2)
            die("cannot change the watched file");
        while (!wd_watch_lockdown(w)) {
            if (now_ns() - t0 > 5000000000ull)
                die("no lockdown within 5 s");
            sched_yield();
        }
        lat[i] = now_ns() - t0;
        close(fd);
        wd_watch_free(w);
    }
    row("change -> lockdown (write(2) to the flag)", lat, runs,
        "inotify event, watcher thread wakes, decisions deny from here");
    free(lat);
    remove_tree(dir, true);
    unlink(manifest);
}

static void totp_rows(unsigned calls)
{
    uint8_t secret[64];
    for (size_t i = 0; i < sizeof(secret); i++)
        secret[i] = (uint8_t)(i * 7 + 1);
    static const struct {
        wd_totp_alg alg;
        size_t len;
        const char *name;
    } algs[] = {{WD_TOTP_SHA1, 20, "SHA-1"},
                {WD_TOTP_SHA256, 32, "SHA-256"},
                {WD_TOTP_SHA512, 64, "SHA-512"}};
    uint64_t *v = xcalloc(calls, sizeof(uint64_t));
    for (size_t a = 0; a < 3; a++) {
        wd_totp_params p = {algs[a].alg, 6, 30};
        for (unsigned i = 0; i < calls; i++) {
            int64_t step;
            int64_t t = 1800000000 + (int64_t)i * 30;
            uint64_t t0 = now_ns();
            int rc = wd_totp_verify(secret, algs[a].len, "000000", t, &p, -1, &step);
            v[i] = now_ns() - t0;
            if (rc != WD_EPERM && rc != 0)
                die("verify: %s", wd_error_last()->message);
        }
        char what[80];
        snprintf(what, sizeof(what), "TOTP verify, HMAC-%s (3 candidates)", algs[a].name);
        row(what, v, calls, "constant-time over the +-1 step window");
    }
    free(v);
}

int main(int argc, char **argv)
{
    bench_set_name("bench_integrity");
    bool quick = false;
    int pin = -1;
    const char *base = "/tmp";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            quick = true;
        else if (!strcmp(argv[i], "--pin") && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 0 || v > 4095)
                die("--pin wants a CPU number, not %s", argv[i]);
            pin = (int)v;
        } else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            base = argv[++i];
        else
            die("usage: bench_integrity [--quick] [--pin CPU] [--dir DIR]");
    }
    if (pin >= 0) {
        cpu_set_t all;
        bench_pin_main_thread(pin, &all);
    }
    char root[512], keys[600], pub[700];
    snprintf(root, sizeof(root), "%s/bench_integrity.XXXXXX", base);
    if (!mkdtemp(root))
        die("mkdtemp: %s", strerror(errno));
    snprintf(keys, sizeof(keys), "%s/keys", root);
    snprintf(pub, sizeof(pub), "%s/signing.pub", keys);
    if (wd_audit_keygen(keys) != 0)
        die("keygen: %s", wd_error_last()->message);
    printf("bench_integrity: warden %s%s\n", WD_VERSION_STRING,
           pin >= 0 ? ", pinned (--pin; the watcher thread too)" : "");
    printf("  %-46s %6s %10s %10s %10s\n", "measurement", "n", "p50", "p99", "max");
    baseline_rows(root, keys, pub, 1000, quick ? 3 : 20);
    if (!quick)
        baseline_rows(root, keys, pub, 10000, 5);
    lockdown_rows(root, keys, pub, quick ? 20 : 200);
    totp_rows(quick ? 2000 : 100000);
    remove_tree(root, true);
    return 0;
}
