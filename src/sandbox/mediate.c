/* mediate.c: a process plugin's mediated system calls (mediate.h). */
#include "sandbox/mediate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "sandbox/broker_fs.h"
#include "sandbox/broker_int.h"
#include "sandbox/dns_stub.h"
#include "sandbox/notify.h"
#include "util/path.h"

enum { PROC_PATH = 64, FDINFO_MAX = 512 };

int wd_mediator_init(wd_mediator *m)
{
    size_t resp;
    if (wd_notify_sizes(&m->notif_size, &resp) != 0)
        return -1;
    if (m->notif_size < sizeof(struct seccomp_notif))
        m->notif_size = sizeof(struct seccomp_notif);
    m->notif = calloc(1, m->notif_size);
    return m->notif ? 0 : -1;
}

void wd_mediator_free(wd_mediator *m)
{
    free(m->notif);
    m->notif = NULL;
}

/* ---- the plugin's view of paths ---------------------------------------------------------- */

/* Where dirfd (or the working directory) of thread tid is, as the kernel names it. */
static int base_of(pid_t tid, int dirfd, char *out, size_t size)
{
    char link[PROC_PATH];
    if (dirfd == AT_FDCWD)
        snprintf(link, sizeof(link), "/proc/%d/cwd", (int)tid);
    else if (dirfd >= 0)
        snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)tid, dirfd);
    else
        return EBADF;
    ssize_t n = readlink(link, out, size - 1);
    if (n < 0)
        return errno == ENOENT ? EBADF : EACCES;
    if ((size_t)n >= size - 1)
        return ENAMETOOLONG;
    out[n] = 0;
    /* "socket:[1]", "anon_inode:..." and the like are not directories. */
    if (out[0] != '/')
        return ENOTDIR;
    if (n > 10 && strcmp(out + n - 10, " (deleted)") == 0)
        return ENOENT;
    return 0;
}

/* The absolute, normalised path a call names: relative ones against dirfd or the working
 * directory of the calling thread. Returns 0 or an errno. */
static int absolute(pid_t tid, int dirfd, const char *path, char *out, size_t size)
{
    char joined[2 * WD_PATH_MAX];
    if (!path[0])
        return ENOENT;
    if (path[0] == '/') {
        snprintf(joined, sizeof(joined), "%s", path);
    } else {
        char base[WD_PATH_MAX];
        int e = base_of(tid, dirfd, base, sizeof(base));
        if (e)
            return e;
        snprintf(joined, sizeof(joined), "%s/%s", base, path);
    }
    bool escapes = false;
    if (wd_path_normalize(joined, out, size, &escapes) != 0)
        return ENAMETOOLONG;
    return escapes ? EACCES : 0;
}

/* ---- answers ----------------------------------------------------------------------------- */

/* Counts and records one decision; an allowed one that cannot be recorded becomes a refusal. */
static void note(wd_mediator *m, const char *op, uint64_t flags, wd_broker_answer *ans)
{
    if (ans->allowed && ans->runtime) {
        m->runtime++;
        return;
    }
    if (m->limit && m->requests >= m->limit) {
        /* Past the call's budget of records: refused, counted, not recorded one by one. */
        if (ans->allowed)
            wd_broker_refuse(ans, EACCES, "more than %u requests in one call", m->limit);
        m->denied++;
        return;
    }
    m->requests++;
    if (m->record && m->record(m->record_ctx, op, flags, ans) != 0 && ans->allowed)
        wd_broker_refuse(ans, EACCES, "the audit log cannot record it");
    if (!ans->allowed)
        m->denied++;
}

static void answer(wd_mediator *m, uint64_t id, const wd_broker_answer *ans, int64_t val)
{
    wd_notify_answer(m->listener, id, ans->allowed ? 0 : (ans->err ? ans->err : EACCES), val, 0);
}

static void refuse_now(wd_mediator *m, uint64_t id, const char *op, const char *target, int err,
                       const char *why)
{
    wd_broker_answer ans = {.fd = -1};
    snprintf(ans.target, sizeof(ans.target), "%s", target);
    wd_broker_refuse(&ans, err, "%s", why);
    snprintf(ans.what, sizeof(ans.what), "%s", op);
    note(m, op, 0, &ans);
    answer(m, id, &ans, 0);
}

/* A read-only descriptor of its own (its own offset) onto a memory file. */
static int reopen_read(int fd)
{
    char proc[PROC_PATH];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    return open(proc, O_RDONLY | O_CLOEXEC);
}

/* ---- open -------------------------------------------------------------------------------- */

static const char *const synth_paths[WD_SYNTH_COUNT] = {"/etc/resolv.conf", "/etc/hosts",
                                                        "/etc/nsswitch.conf"};

/* Devices every program may use; anything else under /dev is decided like any path (and the
 * broker opens nothing but regular files and directories). */
static const char *const devices[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random",
                                      "/dev/urandom"};

/* Flags the broker honours, and those it drops because the injected descriptor gets them
 * another way (O_CLOEXEC) or they mean nothing for a descriptor opened here. */
#define OPEN_KEEP                                                                                  \
    (O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_APPEND | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK |   \
     O_PATH | O_SYNC | O_DSYNC)
#define OPEN_DROP (O_CLOEXEC | O_LARGEFILE | O_NOCTTY | O_NOATIME | O_ASYNC | O_DIRECT)

/* A file the broker serves from memory rather than the disk: the program's verified copy and
 * the synthetic resolver files. -1 when path is none of them. */
static int served_from_memory(const wd_mediator *m, const char *path, int accmode)
{
    int src = -1;
    if (m->program && strcmp(path, m->program) == 0)
        src = m->program_fd;
    for (int i = 0; src < 0 && i < WD_SYNTH_COUNT; i++)
        if (m->synth[i] >= 0 && strcmp(path, synth_paths[i]) == 0)
            src = m->synth[i];
    if (src < 0)
        return -1;
    if (accmode != O_RDONLY)
        return -2;
    return reopen_read(src);
}

static int open_device(const char *path, uint64_t flags)
{
    for (size_t i = 0; i < sizeof(devices) / sizeof(*devices); i++)
        if (strcmp(path, devices[i]) == 0)
            return open(path, (int)(flags & (O_ACCMODE | O_NONBLOCK)) | O_CLOEXEC | O_NOCTTY);
    return -1;
}

static void on_open(wd_mediator *m, uint64_t id, pid_t tid, const wd_op *op)
{
    char path[WD_PATH_MAX];
    wd_broker_answer ans = {.fd = -1};
    int e = absolute(tid, op->dirfd, op->path, path, sizeof(path));
    if (e) {
        refuse_now(m, id, "open", op->path, e, "cannot resolve the path");
        return;
    }
    if ((op->flags & __O_TMPFILE) == __O_TMPFILE) {
        refuse_now(m, id, "open", path, EOPNOTSUPP, "unnamed temporary files are not offered");
        return;
    }
    if (op->resolve) {
        refuse_now(m, id, "open", path, ENOSYS, "openat2 resolve flags are not offered");
        return;
    }
    int cloexec = (op->flags & O_CLOEXEC) != 0;
    int mem = served_from_memory(m, path, (int)(op->flags & O_ACCMODE));
    int dev = mem == -1 ? open_device(path, op->flags) : -1;
    if (mem >= 0 || dev >= 0) {
        m->runtime++;
        int fd = mem >= 0 ? mem : dev;
        wd_notify_send_fd(m->listener, id, fd, cloexec);
        close(fd);
        return;
    }
    if (mem == -2) {
        refuse_now(m, id, "write", path, EACCES, "a file warden serves read-only");
        return;
    }
    uint64_t unknown = op->flags & ~(uint64_t)(OPEN_KEEP | OPEN_DROP);
    if (unknown) {
        refuse_now(m, id, "open", path, EINVAL, "open flags the broker does not offer");
        return;
    }
    int flags = (int)(op->flags & OPEN_KEEP);
    /* The kernel cannot inject an O_PATH descriptor: the program gets the file opened for
     * reading, which is what an O_PATH open is decided as. */
    if (flags & O_PATH)
        flags = (flags & (O_DIRECTORY | O_NOFOLLOW)) | O_RDONLY;
    wd_broker_open_for(m->broker, path, flags, 0, &ans);
    note(m, "open", op->flags, &ans);
    if (!ans.allowed) {
        answer(m, id, &ans, 0);
        return;
    }
    if (wd_notify_send_fd(m->listener, id, ans.fd, cloexec) != 0 && errno != ENOENT)
        wd_notify_answer(m->listener, id, EMFILE, 0, 0);
    close(ans.fd);
}

/* ---- exec -------------------------------------------------------------------------------- */

/* The kernel runs an exec itself (a process image cannot be handed over). After deciding the
 * path, the call is let through: a thread that rewrote the path meanwhile can reach only what
 * Landlock lets the plugin execute (the runtime roots, the interpreter and grants with
 * execute), never more (docs/sandbox.md). */
static void on_exec(wd_mediator *m, uint64_t id, pid_t tid, const wd_op *op)
{
    if (!op->has_path) {
        refuse_now(m, id, "execute", "(a descriptor)", EACCES,
                   "executing a descriptor is not offered: name the program by path");
        return;
    }
    char path[WD_PATH_MAX];
    int e = absolute(tid, op->dirfd, op->path, path, sizeof(path));
    if (e) {
        refuse_now(m, id, "execute", op->path, e, "cannot resolve the path");
        return;
    }
    wd_broker_answer ans;
    wd_broker_open_for(m->broker, path,
                       O_PATH | ((op->flags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0),
                       WD_ACCESS_EXECUTE, &ans);
    if (ans.fd >= 0)
        close(ans.fd);
    ans.fd = -1;
    note(m, "execute", 0, &ans);
    if (ans.allowed)
        wd_notify_answer(m->listener, id, 0, 0, 1);
    else
        answer(m, id, &ans, 0);
}

/* ---- changes ----------------------------------------------------------------------------- */

static int times_of(const wd_op *op, struct timespec ts[2])
{
    if (!op->addr_len)
        return 0;
    if (op->nr == SYS_utimensat) {
        memcpy(ts, op->addr, 2 * sizeof(struct timespec));
        return 1;
    }
#ifdef SYS_utime
    if (op->nr == SYS_utime) {
        long v[2];
        memcpy(v, op->addr, sizeof(v));
        ts[0] = (struct timespec){.tv_sec = v[0]};
        ts[1] = (struct timespec){.tv_sec = v[1]};
        return 1;
    }
#endif
    struct timeval tv[2];
    memcpy(tv, op->addr, sizeof(tv));
    for (int i = 0; i < 2; i++)
        ts[i] = (struct timespec){.tv_sec = tv[i].tv_sec, .tv_nsec = tv[i].tv_usec * 1000};
    return 1;
}

static void truncate_path(const wd_broker *b, const char *path, uint64_t length,
                          wd_broker_answer *ans)
{
    wd_broker_open(b, path, O_WRONLY, ans);
    if (!ans->allowed)
        return;
    if (ftruncate(ans->fd, (off_t)length) != 0) {
        int e = errno;
        wd_broker_refuse(ans, e, "%s", strerror(e));
        snprintf(ans->what, sizeof(ans->what), "write");
    }
    if (ans->fd >= 0)
        close(ans->fd);
    ans->fd = -1;
}

static void on_change(wd_mediator *m, uint64_t id, pid_t tid, const wd_op *op)
{
    const char *name = wd_op_name(op->kind);
    if (op->kind == WD_OP_LINK || op->kind == WD_OP_CHOWN || op->kind == WD_OP_MKNOD) {
        refuse_now(m, id, name, op->path, EPERM,
                   op->kind == WD_OP_LINK    ? "hard links are not offered: a second name for a "
                                               "file would escape rules by path"
                   : op->kind == WD_OP_CHOWN ? "ownership is the host's"
                                             : "device and special files are not offered");
        return;
    }
    if (op->kind == WD_OP_UTIMES && !op->has_path) {
        /* futimens on a descriptor the plugin already holds: nothing is named. */
        wd_notify_answer(m->listener, id, 0, 0, 1);
        return;
    }
    char path[WD_PATH_MAX], path2[WD_PATH_MAX];
    int second = op->kind == WD_OP_RENAME || op->kind == WD_OP_SYMLINK;
    int e = op->kind == WD_OP_SYMLINK ? 0 : absolute(tid, op->dirfd, op->path, path, sizeof(path));
    if (!e && second)
        e = absolute(tid, op->dirfd2, op->path2, path2, sizeof(path2));
    if (e) {
        refuse_now(m, id, name, op->kind == WD_OP_SYMLINK ? op->path2 : op->path, e,
                   "cannot resolve the path");
        return;
    }
    wd_broker_answer ans;
    struct timespec ts[2];
    switch (op->kind) {
    case WD_OP_MKDIR:
        wd_broker_mkdir(m->broker, path, (unsigned)op->mode, &ans);
        break;
    case WD_OP_UNLINK:
    case WD_OP_RMDIR:
        wd_broker_unlink(m->broker, path, op->kind == WD_OP_RMDIR, &ans);
        break;
    case WD_OP_RENAME:
        wd_broker_rename(m->broker, path, path2, (unsigned)op->flags, &ans);
        break;
    case WD_OP_SYMLINK:
        wd_broker_symlink(m->broker, op->path, path2, &ans);
        break;
    case WD_OP_CHMOD:
        wd_broker_chmod(m->broker, path, (unsigned)op->mode, &ans);
        break;
    case WD_OP_UTIMES:
        wd_broker_utimes(m->broker, path, times_of(op, ts) ? ts : NULL, &ans);
        break;
    default: /* WD_OP_TRUNCATE */
        truncate_path(m->broker, path, op->length, &ans);
        break;
    }
    note(m, name, op->flags, &ans);
    answer(m, id, &ans, 0);
}

/* ---- network ----------------------------------------------------------------------------- */

/* The plugin's socket, duplicated into the host (same open file), and whether the plugin's
 * descriptor is close-on-exec. -1 when it cannot be had. */
static int borrow_socket(pid_t tid, int fd, int *cloexec)
{
    char path[PROC_PATH], buf[FDINFO_MAX];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
    FILE *f = fopen(path, "re");
    int tgid = -1;
    while (f && fgets(buf, sizeof(buf), f))
        if (sscanf(buf, "Tgid: %d", &tgid) == 1)
            break;
    if (f)
        fclose(f);
    if (tgid <= 0)
        return -1;
    snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)tid, fd);
    f = fopen(path, "re");
    unsigned long flags = 0;
    while (f && fgets(buf, sizeof(buf), f))
        if (sscanf(buf, "flags: %lo", &flags) == 1)
            break;
    if (f)
        fclose(f);
    *cloexec = (flags & O_CLOEXEC) != 0;
    int pidfd = (int)syscall(SYS_pidfd_open, tgid, 0);
    if (pidfd < 0)
        return -1;
    int dup = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
    close(pidfd);
    return dup;
}

/* The address as text for the broker ("1.2.3.4" or "2001:db8::1") and its port. */
static int address_text(const wd_op *op, char *host, size_t size, unsigned *port)
{
    sa_family_t family;
    if (op->addr_len < sizeof(family))
        return EINVAL;
    memcpy(&family, op->addr, sizeof(family));
    if (family == AF_INET && op->addr_len >= sizeof(struct sockaddr_in)) {
        struct sockaddr_in sin;
        memcpy(&sin, op->addr, sizeof(sin));
        inet_ntop(AF_INET, &sin.sin_addr, host, (socklen_t)size);
        *port = ntohs(sin.sin_port);
        return 0;
    }
    if (family == AF_INET6 && op->addr_len >= sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 sin6;
        memcpy(&sin6, op->addr, sizeof(sin6));
        inet_ntop(AF_INET6, &sin6.sin6_addr, host, (socklen_t)size);
        *port = ntohs(sin6.sin6_port);
        return 0;
    }
    return family == AF_UNIX ? EACCES : EAFNOSUPPORT;
}

/* Whether a datagram goes to the plugin's own DNS stub: let through, the empty network
 * namespace holds nothing else to reach. */
static bool to_stub(const wd_mediator *m, const char *host, unsigned port)
{
    return m->stub && port == 53 && strcmp(host, wd_dns_stub_address(m->stub)) == 0;
}

static void on_connect(wd_mediator *m, uint64_t id, const wd_op *op, int type, int cloexec,
                       int sock)
{
    char host[INET6_ADDRSTRLEN + 2];
    unsigned port = 0;
    int e = address_text(op, host, sizeof(host), &port);
    if (e) {
        refuse_now(m, id, "connect", "(a local socket)", e,
                   e == EACCES ? "local (unix) sockets are not offered" : "address family");
        return;
    }
    if (type == SOCK_DGRAM) {
        if (to_stub(m, host, port)) {
            /* Connected here, on the socket the broker holds, to its own copy of the address:
             * letting the kernel do it would read the address and the descriptor again. */
            int rc = connect(sock, (const struct sockaddr *)op->addr, op->addr_len);
            wd_notify_answer(m->listener, id, rc == 0 ? 0 : errno, 0, 0);
            return;
        }
        char target[sizeof(host) + 8];
        snprintf(target, sizeof(target), "%s:%u", host, port);
        refuse_now(m, id, "connect", target, EACCES, "UDP reaches only the plugin's own DNS stub");
        return;
    }
    if (type != SOCK_STREAM) {
        refuse_now(m, id, "connect", host, EPROTOTYPE, "only TCP connections are offered");
        return;
    }
    const char *name = m->stub ? wd_dns_stub_name_of(m->stub, op->addr, op->addr_len) : NULL;
    wd_broker_answer ans;
    wd_broker_connect(m->broker, name ? name : host, port, &ans);
    note(m, "connect", 0, &ans);
    if (!ans.allowed) {
        answer(m, id, &ans, 0);
        return;
    }
    /* The host's connected socket takes the plugin's descriptor number; the plugin's own
     * socket (in its empty namespace) is closed by that. Its blocking mode is the plugin's. */
    int fl = fcntl(sock, F_GETFL);
    if (fl >= 0 && (fl & O_NONBLOCK))
        fcntl(ans.fd, F_SETFL, fcntl(ans.fd, F_GETFL) | O_NONBLOCK);
    if (wd_notify_set_fd(m->listener, id, ans.fd, op->fd, cloexec) == 0)
        wd_notify_answer(m->listener, id, 0, 0, 0);
    close(ans.fd);
}

/* A datagram to the plugin's own stub, sent by the broker on the socket it holds, with its own
 * copies of the payload and the address (a query is at most 512 bytes; a datagram at most
 * 65,507). */
static void send_to_stub(wd_mediator *m, uint64_t id, pid_t tid, const wd_op *op, int sock)
{
    enum { DATAGRAM_MAX = 65507 };
    static _Thread_local uint8_t payload[DATAGRAM_MAX];
    if (op->length > DATAGRAM_MAX) {
        wd_notify_answer(m->listener, id, EMSGSIZE, 0, 0);
        return;
    }
    size_t len = (size_t)op->length;
    if (len && wd_notify_read_mem(&tid, op->buf, payload, len) != (long)len) {
        wd_notify_answer(m->listener, id, EFAULT, 0, 0);
        return;
    }
    if (!wd_notify_valid(m->listener, id))
        return;
    ssize_t n = sendto(sock, payload, len, MSG_DONTWAIT | MSG_NOSIGNAL,
                       (const struct sockaddr *)op->addr, op->addr_len);
    wd_notify_answer(m->listener, id, n < 0 ? errno : 0, n < 0 ? 0 : n, 0);
}

static void on_net(wd_mediator *m, uint64_t id, pid_t tid, const wd_op *op)
{
    int cloexec = 0;
    int sock = borrow_socket(tid, op->fd, &cloexec);
    int type = 0;
    socklen_t len = sizeof(type);
    if (sock < 0 || getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &len) != 0) {
        if (sock >= 0)
            close(sock);
        wd_notify_answer(m->listener, id, ENOTSOCK, 0, 0);
        return;
    }
    char host[INET6_ADDRSTRLEN + 2] = "(unknown)";
    unsigned port = 0;
    if (op->kind == WD_OP_CONNECT) {
        on_connect(m, id, op, type, cloexec, sock);
    } else if (op->kind == WD_OP_SENDTO && type == SOCK_DGRAM &&
               address_text(op, host, sizeof(host), &port) == 0 && to_stub(m, host, port)) {
        send_to_stub(m, id, tid, op, sock);
    } else {
        char target[sizeof(host) + 8];
        address_text(op, host, sizeof(host), &port);
        snprintf(target, sizeof(target), "%s:%u", host, port);
        refuse_now(m, id, op->kind == WD_OP_BIND ? "bind" : "send", target,
                   op->kind == WD_OP_BIND ? EACCES
                   : type == SOCK_DGRAM   ? EACCES
                                          : EISCONN,
                   op->kind == WD_OP_BIND ? "plugins do not listen: binding is not offered"
                                          : "datagrams reach only the plugin's own DNS stub");
    }
    close(sock);
}

/* ---- one notification -------------------------------------------------------------------- */

int wd_mediate_one(wd_mediator *m)
{
    struct seccomp_notif *n = m->notif;
    memset(n, 0, m->notif_size);
    if (ioctl(m->listener, SECCOMP_IOCTL_NOTIF_RECV, n) != 0)
        return errno == EINTR || errno == ENOENT ? 0 : -1;
    if (m->continue_all) {
        wd_notify_answer(m->listener, n->id, 0, 0, 1);
        return 0;
    }
    static _Thread_local wd_op op;
    pid_t tid = (pid_t)n->pid;
    if (!m->started && n->data.nr == SYS_execveat && (n->data.args[4] & AT_EMPTY_PATH)) {
        /* The runner starting the program from the descriptor the host gave it: the filter
         * holds that one process, whose only call it notifies before the exec is this one, so
         * no plugin code has run yet, and nothing of its memory needs reading (an ordinary
         * user's host could not: the runner made itself undumpable). */
        m->started = 1;
        wd_notify_answer(m->listener, n->id, 0, 0, 1);
        return 0;
    }
    uint64_t args[6];
    for (int i = 0; i < 6; i++)
        args[i] = n->data.args[i];
    int e = wd_op_decode(n->data.nr, args, wd_notify_read_mem, &tid, &op);
    /* What was read is only the plugin's if the thread is still waiting in that call: else
     * the pid may be another process's by now. */
    if (!wd_notify_valid(m->listener, n->id))
        return 0;
    if (e) {
        wd_notify_answer(m->listener, n->id, e, 0, 0);
        return 0;
    }
    switch (op.kind) {
    case WD_OP_OPEN:
        on_open(m, n->id, tid, &op);
        break;
    case WD_OP_EXEC:
        on_exec(m, n->id, tid, &op);
        break;
    case WD_OP_CONNECT:
    case WD_OP_BIND:
    case WD_OP_SENDTO:
        on_net(m, n->id, tid, &op);
        break;
    default:
        on_change(m, n->id, tid, &op);
        break;
    }
    return 0;
}

/* ---- names ------------------------------------------------------------------------------- */

static int decide_name(void *ctx, const char *name, uint16_t qtype)
{
    (void)qtype;
    wd_mediator *m = ctx;
    wd_broker_answer ans;
    wd_broker_name(m->broker, name, &ans);
    note(m, "resolve", 0, &ans);
    return ans.allowed;
}

void wd_mediate_dns(wd_mediator *m)
{
    if (m->stub)
        wd_dns_stub_serve(m->stub, decide_name, m);
}

static int memory_file(const char *name, const char *text)
{
    int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    size_t len = strlen(text);
    if (fd < 0)
        return -1;
    if (write(fd, text, len) != (ssize_t)len ||
        fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int wd_mediator_synth(wd_mediator *m, const char *stub_address)
{
    char resolv[128];
    snprintf(resolv, sizeof(resolv), "nameserver %s\noptions attempts:2 timeout:2\n",
             stub_address ? stub_address : "127.0.0.1");
    m->synth[WD_SYNTH_RESOLV] = memory_file("warden-resolv.conf", resolv);
    /* Every name, localhost included, goes through the stub and so through the policy: the
     * plugin's own loopback is an empty namespace's, never the host's. */
    m->synth[WD_SYNTH_HOSTS] =
        memory_file("warden-hosts", "# names resolve through warden's DNS stub\n");
    m->synth[WD_SYNTH_NSSWITCH] =
        memory_file("warden-nsswitch.conf", "passwd: files\ngroup: files\nhosts: files dns\n");
    for (int i = 0; i < WD_SYNTH_COUNT; i++)
        if (m->synth[i] < 0)
            return -1;
    return 0;
}
