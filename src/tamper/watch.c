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

struct wd_watch {
    int inotify;
    int stop[2]; /* a pipe: closing the write end ends the thread */
    pthread_t thread;
    bool running;
    char **paths;
    bool *dirs;
    int *wds; /* watch descriptor per path */
    size_t n;
    struct wd_audit *audit;
    _Atomic(const char *) reason; /* NULL while intact */
    char reason_buf[4400];
};

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
    if (name && *name)
        snprintf(w->reason_buf, sizeof(w->reason_buf), "lockdown: %.2000s/%.255s changed", path,
                 name);
    else
        snprintf(w->reason_buf, sizeof(w->reason_buf), "lockdown: %.4000s changed", path);
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
            else if (!(ev->mask & IN_IGNORED) || !atomic_load(&w->reason))
                lockdown(w, ev->wd, ev->len ? ev->name : NULL);
            q += sizeof(*ev) + ev->len;
        }
    }
}

int wd_watch_start(wd_watch **out, const char *manifest, const char *pubkey_path,
                   struct wd_audit *audit)
{
    *out = NULL;
    wd_baseline_result r;
    int rc = wd_baseline_verify(manifest, pubkey_path, &r, NULL, NULL);
    if (rc)
        return rc == WD_ESTATE ? wd_error_set(WD_ESTATE, WD_T_MISMATCH, manifest, 0, 0,
                                              "%zu files differ from the baseline: refusing to "
                                              "start (run warden integrity verify for the list)",
                                              r.problems)
                               : rc;
    wd_watch *w = calloc(1, sizeof(*w));
    if (!w)
        return wd_fail(WD_ENOMEM, "out of memory");
    w->stop[0] = w->stop[1] = -1;
    w->audit = audit;
    rc = wd_baseline_paths(manifest, pubkey_path, &w->paths, &w->dirs, &w->n);
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
        int e = pthread_create(&w->thread, NULL, run, w);
        if (e)
            rc = wd_error_set(WD_EIO, WD_T_IO, NULL, 0, 0, "cannot start the watcher: %s",
                              strerror(e));
        else
            w->running = true;
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
    free(w);
}
