/* watch.c: lockdown on any change to a baselined file (integrity.h). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "tamper/baseline_int.h"
#include "tamper/codes.h"
#include "util/error.h"
#include "warden/audit.h"
#include "warden/integrity.h"

/* A lockdown's reason quotes at most this much of the changed path (of its directory, when the
 * change is an entry's, then the whole entry name): quoted parts and words fit REASON_MAX. */
enum { REASON_MAX = 4400, PATH_QUOTED = 4000, DIR_QUOTED = 2000 };

struct wd_watch {
    int inotify;
    int stop[2]; /* a pipe: closing the write end ends the thread */
    pthread_t thread;
    bool running;
    char **paths;
    bool *dirs;
    int *wds; /* watch descriptor per path */
    size_t n;
    /* Directories above each baselined root, up to "/": only the one name on the way down
     * matters there (a parent renamed away swaps the whole tree). */
    struct ancestor {
        int wd;
        char name[NAME_MAX + 1];
        char path[PATH_MAX];
    } * anc;
    size_t nanc;
    int manifest_wd;
    char manifest[PATH_MAX];
    struct wd_audit *audit;
    _Atomic(const char *) reason; /* NULL while intact */
    /* wd_watch_on_lockdown: called once, by whoever sets reason or finds it set first. */
    pthread_mutex_t hook_mu;
    void (*hook)(void *ctx);
    void *hook_ctx;
    bool hook_called;
    char reason_buf[REASON_MAX];
};

static void call_hook(wd_watch *w)
{
    pthread_mutex_lock(&w->hook_mu);
    void (*fn)(void *) = w->hook_called ? NULL : w->hook;
    if (fn)
        w->hook_called = true;
    void *ctx = w->hook_ctx;
    pthread_mutex_unlock(&w->hook_mu);
    if (fn)
        fn(ctx);
}

void wd_watch_on_lockdown(wd_watch *w, void (*fn)(void *ctx), void *ctx)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->hook_mu);
    w->hook = fn;
    w->hook_ctx = ctx;
    pthread_mutex_unlock(&w->hook_mu);
    if (atomic_load(&w->reason))
        call_hook(w);
}

/* The path a watch descriptor belongs to (and for a directory event, the entry's name). */
static void lockdown(wd_watch *w, int wd, const char *name)
{
    if (atomic_load(&w->reason))
        return;
    const char *path = "?";
    for (size_t i = 0; i < w->n; i++)
        if (w->wds[i] == wd) {
            path = w->paths[i];
            break;
        }
    for (size_t i = 0; !strcmp(path, "?") && i < w->nanc; i++)
        if (w->anc[i].wd == wd)
            path = w->anc[i].path;
    if (wd >= 0 && wd == w->manifest_wd)
        path = w->manifest;
    if (name && *name)
        snprintf(w->reason_buf, sizeof(w->reason_buf), "lockdown: %.*s/%.*s changed",
                 (int)DIR_QUOTED, path, (int)NAME_MAX, name);
    else
        snprintf(w->reason_buf, sizeof(w->reason_buf), "lockdown: %.*s changed", (int)PATH_QUOTED,
                 path);
    atomic_store(&w->reason, w->reason_buf);
    if (w->audit) {
        json_t *d = json_pack("{s:s}", "reason", w->reason_buf);
        char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
        json_decref(d);
        wd_audit_event ev = {"INTEGRITY_LOCKDOWN", WD_SEVERITY_CRITICAL, "", NULL,
                             text ? text : "{}"};
        wd_audit_append(w->audit, &ev, NULL); /* the lockdown holds whether or not it is recorded */
        free(text);
    }
    call_hook(w);
}

/* Whether an event concerns the baseline: anything on a baselined file or directory or the
 * manifest; on an ancestor, only the ancestor itself going away or the one child on the way
 * down being moved or deleted. */
static bool relevant(const wd_watch *w, const struct inotify_event *ev)
{
    bool ancestor = false;
    for (size_t i = 0; i < w->nanc; i++) {
        if (w->anc[i].wd != ev->wd)
            continue;
        ancestor = true;
        if (ev->mask & (IN_MOVE_SELF | IN_DELETE_SELF | IN_UNMOUNT))
            return true;
        if (ev->len && !strcmp(ev->name, w->anc[i].name))
            return true;
    }
    if (!ancestor)
        return !(ev->mask & IN_IGNORED) || !atomic_load(&((wd_watch *)w)->reason);
    return false;
}

static void *run(void *arg)
{
    wd_watch *w = arg;
    char buf[16 * (sizeof(struct inotify_event) + NAME_MAX + 1)]
        __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        struct pollfd p[2] = {{w->inotify, POLLIN, 0}, {w->stop[0], POLLIN, 0}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            lockdown(w, -1, "(the watcher failed)");
            return NULL;
        }
        if (p[1].revents)
            return NULL;
        ssize_t n = read(w->inotify, buf, sizeof(buf));
        if (n <= 0)
            continue;
        for (char *q = buf; q < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)q;
            if (ev->mask & IN_Q_OVERFLOW)
                lockdown(w, -1, "(events were lost)");
            else if (relevant(w, ev))
                lockdown(w, ev->wd, ev->len ? ev->name : NULL);
            q += sizeof(*ev) + ev->len;
        }
    }
}

/* Watches each directory above a baselined root for that root's name. */
static int watch_ancestors(wd_watch *w)
{
    for (size_t i = 0; i < w->n; i++) {
        char parent[PATH_MAX];
        snprintf(parent, sizeof(parent), "%s", w->paths[i]);
        char *slash = strrchr(parent, '/');
        if (!slash || slash == parent)
            continue;
        *slash = 0;
        bool root = true; /* a root: its parent is not in the baseline */
        for (size_t j = 0; j < w->n && root; j++)
            root = strcmp(w->paths[j], parent) != 0;
        if (!root)
            continue;
        char child[PATH_MAX];
        snprintf(child, sizeof(child), "%s", w->paths[i]);
        while ((slash = strrchr(child, '/')) != NULL) {
            char dir[PATH_MAX];
            snprintf(dir, sizeof(dir), "%.*s", slash == child ? 1 : (int)(slash - child), child);
            struct ancestor *a = realloc(w->anc, (w->nanc + 1) * sizeof(*a));
            if (!a)
                return wd_fail(WD_ENOMEM, "out of memory");
            w->anc = a;
            a = &w->anc[w->nanc];
            a->wd = inotify_add_watch(w->inotify, dir,
                                      IN_MOVED_FROM | IN_DELETE | IN_MOVE_SELF | IN_DELETE_SELF |
                                          IN_ONLYDIR | IN_MASK_ADD);
            if (a->wd < 0)
                return wd_error_set(WD_EIO, WD_T_IO, dir, 0, 0, "cannot watch: %s",
                                    strerror(errno));
            snprintf(a->name, sizeof(a->name), "%s", slash + 1);
            snprintf(a->path, sizeof(a->path), "%s", dir);
            w->nanc++;
            if (slash == child)
                break;
            *slash = 0;
        }
    }
    return 0;
}

int wd_watch_start(wd_watch **out, const char *manifest, const char *pubkey_path,
                   struct wd_audit *audit)
{
    *out = NULL;
    wd_watch *w = calloc(1, sizeof(*w));
    if (!w)
        return wd_fail(WD_ENOMEM, "out of memory");
    w->stop[0] = w->stop[1] = -1;
    w->manifest_wd = -1;
    w->audit = audit;
    pthread_mutex_init(&w->hook_mu, NULL);
    snprintf(w->manifest, sizeof(w->manifest), "%s", manifest);
    /* Watch first, verify second: a change at any moment after the files were read for
     * verification is an event, and one during it a lockdown before start-up ends. */
    int rc = wd_baseline_paths(manifest, pubkey_path, &w->paths, &w->dirs, &w->n);
    w->inotify = rc ? -1 : inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (!rc && (w->inotify < 0 || pipe2(w->stop, O_CLOEXEC) != 0))
        rc = wd_error_set(WD_EIO, WD_T_IO, NULL, 0, 0, "cannot watch: %s", strerror(errno));
    if (!rc && !(w->wds = calloc(w->n ? w->n : 1, sizeof(int))))
        rc = wd_fail(WD_ENOMEM, "out of memory");
    const uint32_t file_events =
        IN_MODIFY | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF | IN_CLOSE_WRITE | IN_DONT_FOLLOW;
    const uint32_t dir_events =
        file_events | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR;
    for (size_t i = 0; !rc && i < w->n; i++) {
        w->wds[i] =
            inotify_add_watch(w->inotify, w->paths[i], w->dirs[i] ? dir_events : file_events);
        if (w->wds[i] < 0)
            rc = wd_error_set(WD_EIO, WD_T_IO, w->paths[i], 0, 0,
                              "cannot watch: %s (fs.inotify.max_user_watches?)", strerror(errno));
    }
    if (!rc) {
        /* The manifest too: another validly signed one swapped in between the reads. */
        w->manifest_wd = inotify_add_watch(w->inotify, manifest, file_events);
        if (w->manifest_wd < 0)
            rc = wd_error_set(WD_EIO, WD_T_IO, manifest, 0, 0, "cannot watch: %s", strerror(errno));
    }
    if (!rc)
        rc = watch_ancestors(w);
    if (!rc) {
        int e = pthread_create(&w->thread, NULL, run, w);
        if (e)
            rc = wd_error_set(WD_EIO, WD_T_IO, NULL, 0, 0, "cannot start the watcher: %s",
                              strerror(e));
        else
            w->running = true;
    }
    wd_baseline_result r = {0};
    if (!rc) {
        rc = wd_baseline_verify(manifest, pubkey_path, &r, NULL, NULL);
        if (rc == WD_ESTATE)
            rc = wd_error_set(WD_ESTATE, WD_T_MISMATCH, manifest, 0, 0,
                              "%zu files differ from the baseline: refusing to start (run "
                              "warden integrity verify for the list)",
                              r.problems);
    }
    if (rc) {
        wd_watch_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

const char *wd_watch_lockdown(const wd_watch *w)
{
    return w ? atomic_load(&((wd_watch *)w)->reason) : NULL;
}

void wd_watch_free(wd_watch *w)
{
    if (!w)
        return;
    if (w->stop[1] >= 0)
        close(w->stop[1]);
    if (w->running)
        pthread_join(w->thread, NULL);
    if (w->stop[0] >= 0)
        close(w->stop[0]);
    if (w->inotify >= 0)
        close(w->inotify);
    for (size_t i = 0; i < w->n; i++)
        free(w->paths[i]);
    free(w->paths);
    free(w->dirs);
    free(w->wds);
    free(w->anc);
    pthread_mutex_destroy(&w->hook_mu);
    free(w);
}
