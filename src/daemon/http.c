/* http.c: the HTTP server — listeners, the connection front (front.h: bounds and the strict
 * head check), libmicrohttpd for the rest of each request, who the peer is, bounded bodies —
 * handing each complete request to wdd_api_handle() (http.h). One request per connection. */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <limits.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon/api_int.h"
#include "daemon/front.h"
#include "daemon/guard.h"
#include "daemon/http.h"
#include "util/timeutil.h"

enum { MAX_ARGS = 32 };

typedef struct wdd_server wdd_server;

typedef struct {
    wdd_server *srv;
    bool tcp;
} listener;

struct wdd_server {
    wdd_daemon *d;
    listener unix_l, tcp_l;
    struct MHD_Daemon *unix_mhd, *tcp_mhd;
    int unix_fd, tcp_fd;
    char *unix_path;
    size_t max_body;
    unsigned inflight; /* atomic: requests received whole and being handled */
    wdd_guard *guard;
    wdd_front *front;
};

/* What a connection libmicrohttpd runs carries: its front record and its deadline. */
typedef struct {
    wdd_front_conn *fc;
    wdd_guarded *g;
    bool big; /* a body or answer past BIG_REQUEST: give the memory back at the end */
} conn_ctx;

/* A request this large leaves freed memory behind in the allocator's arenas (a batch's body,
 * its parse, its answer): once its connection ends, free pages go back to the system, so a
 * burst of big batches does not leave the daemon at its peak for good. */
enum { BIG_REQUEST = 256 << 10 };

typedef struct {
    wd_buf body;
    bool too_large;
    bool counted;
} request_ctx;

__attribute__((format(printf, 2, 0))) static void log_mhd(void *cls, const char *fmt, va_list ap)
{
    const listener *l = cls;
    /* A connection handed over cannot tell libmicrohttpd it is a Unix socket: it tries TCP
     * options on each and says so. Nothing waits on Nagle there; the noise is dropped. */
    if (l && !l->tcp &&
        (strncmp(fmt, "Setting %s option", 17) == 0 ||
         strncmp(fmt, "Failed to push the data", 23) == 0))
        return;
    fputs("wardend: http: ", stderr);
    vfprintf(stderr, fmt, ap);
}

/* Queues r, handing its body to libmicrohttpd (which frees it): a batch's answer can be tens
 * of megabytes, not worth a copy. Every answer closes its connection: the front checked this
 * request's head, and no other head on the connection is ever parsed. */
static enum MHD_Result send_response(struct MHD_Connection *conn, wdd_response *r)
{
    struct MHD_Response *resp =
        r->body.data
            ? MHD_create_response_from_buffer(r->body.len, r->body.data, MHD_RESPMEM_MUST_FREE)
            : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    r->body = (wd_buf)WD_BUF_INIT;
    MHD_add_response_header(resp, "Content-Type", r->content_type);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    if (r->status == 405)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    if (r->status == 401)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                r->challenge ? r->challenge : "Bearer realm=\"warden\"");
    enum MHD_Result ok = MHD_queue_response(conn, r->status, resp);
    MHD_destroy_response(resp);
    return ok;
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    const char **args = cls;
    size_t n = 0;
    while (args[n])
        n += 2;
    if (n + 2 >= MAX_ARGS * 2)
        return MHD_NO;
    args[n] = key;
    args[n + 1] = value;
    return MHD_YES;
}

/* Who the peer says it is: the Unix socket's peer uid, or what the TCP Authorization holds
 * (the bearer token in *token). */
static wdd_peer peer_of(bool tcp, int fd, const char *auth, size_t auth_len, const char **token,
                        size_t *token_len)
{
    wdd_peer p = {.kind = WDD_PEER_UNKNOWN, .uid = -1};
    *token = NULL;
    *token_len = 0;
    if (!tcp) {
        struct ucred cred;
        socklen_t len = sizeof(cred);
        if (fd >= 0 && getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
            p.kind = WDD_PEER_UID;
            p.uid = (long)cred.uid;
        }
    } else if (!auth) {
        p.kind = WDD_PEER_NO_TOKEN;
    } else if (auth_len > 7 && strncmp(auth, "Bearer ", 7) == 0) {
        p.kind = WDD_PEER_TOKEN;
        *token = auth + 7;
        *token_len = auth_len - 7;
    } else {
        p.kind = WDD_PEER_NOT_BEARER;
    }
    return p;
}

/* The tenant p maps to in s (and its role), or NULL. */
static const wdd_tenant *client_of(const wdd_state *s, const wdd_peer *p, const char *token,
                                   size_t token_len, wdd_role *role)
{
    *role = 0;
    if (p->kind == WDD_PEER_UID)
        return wdd_config_by_uid(s->cfg, p->uid, role);
    if (p->kind == WDD_PEER_TOKEN)
        return wdd_config_by_token(s->cfg, token, token_len, role);
    return NULL;
}

/* Who is asking: the Unix peer's uid, or the TCP bearer token. */
static const char *identify(listener *l, struct MHD_Connection *conn, wdd_request *req,
                            wdd_state *s)
{
    const union MHD_ConnectionInfo *ci =
        l->tcp ? NULL : MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    const char *auth =
        l->tcp ? MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION)
               : NULL;
    const char *token;
    size_t token_len;
    req->peer = peer_of(l->tcp, ci ? ci->connect_fd : -1, auth, auth ? strlen(auth) : 0, &token,
                        &token_len);
    const wdd_tenant *t = client_of(s, &req->peer, token, token_len, &req->role);
    return t ? t->name : NULL;
}

static conn_ctx *ctx_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    listener *l = cls;
    wdd_server *srv = l->srv;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        conn_ctx *cc = ci ? calloc(1, sizeof(*cc)) : NULL;
        if (cc) {
            cc->fc = wdd_front_started(srv->front, ci->connect_fd);
            cc->g = wdd_guard_add(srv->guard, ci->connect_fd,
                                  cc->fc ? wdd_front_accepted_ns(cc->fc) : wd_time_mono_ns());
        }
        *socket_context = cc;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        conn_ctx *cc = *socket_context;
        bool big = cc && cc->big;
        if (cc) {
            wdd_guard_remove(srv->guard, cc->g);
            wdd_front_closed(srv->front, cc->fc);
            free(cc);
        }
        *socket_context = NULL;
        if (big)
            malloc_trim(0);
    }
}

/* The announced body length (the front let at most one, all digits, through); 0 when none. */
static unsigned long long announced(struct MHD_Connection *conn)
{
    const char *cl =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!cl)
        return 0;
    errno = 0;
    unsigned long long n = strtoull(cl, NULL, 10);
    return errno ? ULLONG_MAX : n;
}

/* Sends resp and lets go of its body (libmicrohttpd took it, unless the answer could not be
 * made). */
static enum MHD_Result respond(struct MHD_Connection *conn, wdd_response *resp)
{
    enum MHD_Result ok = send_response(conn, resp);
    wd_buf_free(&resp->body);
    return ok;
}

/* A request's first call: its context, and the body's room. A body announced larger than the
 * limit is refused before a byte of it is read (and before "100 Continue" invites it); one
 * within it is given its room at once, not grown by doubling. */
static enum MHD_Result begin(wdd_server *srv, struct MHD_Connection *conn, void **con_cls)
{
    request_ctx *rc = calloc(1, sizeof(*rc));
    if (!rc)
        return MHD_NO;
    *con_cls = rc;
    unsigned long long cl = announced(conn);
    if (cl <= srv->max_body) {
        if (cl)
            wd_buf_reserve(&rc->body, (size_t)cl);
        return MHD_YES;
    }
    wdd_response resp = {.status = 413, .content_type = "application/json", .body = WD_BUF_INIT};
    wdd_api_error(&resp, 413, WDD_E_TOO_LARGE, "the body is larger than %zu bytes", srv->max_body);
    return respond(conn, &resp);
}

/* Answers a whole request into resp. */
static void handle(listener *l, struct MHD_Connection *conn, request_ctx *rc, const char *method,
                   const char *url, wdd_response *resp)
{
    wdd_server *srv = l->srv;
    if (rc->too_large) {
        wdd_api_error(resp, 413, WDD_E_TOO_LARGE, "the body is larger than %zu bytes",
                      srv->max_body);
        return;
    }
    if (rc->body.oom) {
        wdd_api_error(resp, 500, WDD_E_INTERNAL, "out of memory");
        return;
    }
    const char *args[MAX_ARGS * 2 + 2] = {NULL};
    if (MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, args) > MAX_ARGS - 1) {
        wdd_api_error(resp, 400, WDD_E_FIELD, "at most %d query arguments", MAX_ARGS - 1);
        return;
    }
    wdd_state *s = wdd_state_acquire(srv->d);
    wdd_request req = {
        .method = method,
        .path = url,
        .args = args,
        .body = rc->body.data,
        .body_len = rc->body.len,
        .state = s,
    };
    req.tenant = identify(l, conn, &req, s);
    wdd_api_handle(srv->d, &req, resp);
    wdd_state_release(srv->d, s);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    listener *l = cls;
    wdd_server *srv = l->srv;
    request_ctx *rc = *con_cls;
    if (!rc)
        return begin(srv, conn, con_cls);
    if (*upload_data_size) {
        if (!rc->too_large && rc->body.len + *upload_data_size <= srv->max_body)
            wd_buf_append(&rc->body, upload_data, *upload_data_size);
        else
            rc->too_large = true;
        *upload_data_size = 0;
        return MHD_YES;
    }
    /* The request is whole: it is handled without a deadline, and counted for draining. */
    conn_ctx *cc = ctx_of(conn);
    wdd_guard_busy(cc ? cc->g : NULL);
    rc->counted = true;
    __atomic_add_fetch(&srv->inflight, 1, __ATOMIC_ACQ_REL);
    wdd_response resp = {.status = 500, .content_type = "application/json", .body = WD_BUF_INIT};
    handle(l, conn, rc, method, url, &resp);
    if (cc && (rc->body.len > BIG_REQUEST || resp.body.len > BIG_REQUEST))
        cc->big = true;
    wd_buf_free(&rc->body); /* not needed while the answer is sent; on_completed frees the rest */
    /* Released before the client can read the answer and open its next connection. */
    if (cc)
        wdd_front_done(srv->front, cc->fc);
    return respond(conn, &resp);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)toe;
    listener *l = cls;
    conn_ctx *cc = ctx_of(conn);
    if (cc) /* before libmicrohttpd closes the socket: the client's next connection fits */
        wdd_front_done(l->srv->front, cc->fc);
    request_ctx *rc = *con_cls;
    if (!rc)
        return;
    if (rc->counted)
        __atomic_sub_fetch(&l->srv->inflight, 1, __ATOMIC_ACQ_REL);
    wd_buf_free(&rc->body);
    free(rc);
    *con_cls = NULL;
}

enum { LISTEN_BACKLOG = 512 };

/* A file already at the socket's path: a stale socket (no one answers on it) is removed and fd,
 * which tried to connect, is replaced by a fresh socket; a live one means another wardend:
 * refuse rather than steal its clients. */
static int replace_stale(const wdd_config *cfg, const struct sockaddr_un *a, int *fd)
{
    struct stat st;
    if (lstat(cfg->unix_path, &st) != 0)
        return 0;
    if (!S_ISSOCK(st.st_mode))
        return wd_fail(WD_EBUSY, "%s exists and is not a socket", cfg->unix_path);
    if (connect(*fd, (const struct sockaddr *)a, sizeof(*a)) == 0)
        return wd_fail(WD_EBUSY, "another wardend is listening on %s", cfg->unix_path);
    close(*fd); /* the one this function replaces; bind_unix closes the other */
    unlink(cfg->unix_path);
    *fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    return *fd < 0 ? wd_fail(WD_EIO, "socket: %s", strerror(errno)) : 0;
}

/* Created with no access for anyone, then opened to the configured mode: no window in which
 * another user could connect. A socket file made here is removed again when a step fails. */
static int bind_private(const wdd_config *cfg, const struct sockaddr_un *a, int fd)
{
    mode_t old = umask(0777);
    int rc = bind(fd, (const struct sockaddr *)a, sizeof(*a));
    umask(old);
    if (rc != 0)
        return wd_fail(WD_EIO, "cannot bind %s: %s", cfg->unix_path, strerror(errno));
    struct group *g = cfg->unix_group ? getgrnam(cfg->unix_group) : NULL;
    if (cfg->unix_group && (!g || chown(cfg->unix_path, (uid_t)-1, g->gr_gid) != 0))
        rc = wd_fail(WD_EIO, "cannot give %s to group %s", cfg->unix_path, cfg->unix_group);
    else if (chmod(cfg->unix_path, cfg->unix_mode) != 0 || listen(fd, LISTEN_BACKLOG) != 0)
        rc = wd_fail(WD_EIO, "cannot listen on %s: %s", cfg->unix_path, strerror(errno));
    if (rc)
        unlink(cfg->unix_path);
    return rc;
}

/* Binds the Unix socket, replacing a stale socket file. */
static int bind_unix(const wdd_config *cfg, int *out)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(cfg->unix_path) >= sizeof(a.sun_path))
        return wd_fail(WD_EINVAL, "socket path too long: %s", cfg->unix_path);
    memcpy(a.sun_path, cfg->unix_path, strlen(cfg->unix_path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int rc = fd < 0 ? wd_fail(WD_EIO, "socket: %s", strerror(errno)) : 0;
    if (!rc)
        rc = replace_stale(cfg, &a, &fd);
    if (!rc)
        rc = bind_private(cfg, &a, fd);
    if (rc == 0)
        *out = fd;
    else if (fd >= 0)
        close(fd);
    return rc;
}

static int bind_tcp(const wdd_config *cfg, int *out)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    socklen_t len;
    int family;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, cfg->tcp_host, &v4->sin_addr) == 1) {
        family = v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)cfg->tcp_port);
        len = sizeof(*v4);
    } else if (inet_pton(AF_INET6, cfg->tcp_host, &v6->sin6_addr) == 1) {
        family = v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)cfg->tcp_port);
        len = sizeof(*v6);
    } else {
        return wd_fail(WD_EINVAL, "not an address: %s", cfg->tcp_host);
    }
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return wd_fail(WD_EIO, "cannot listen on %s:%u: %s", cfg->tcp_host, cfg->tcp_port,
                       strerror(e));
    }
    *out = fd;
    return 0;
}

static struct MHD_Daemon *start_mhd(wdd_server *srv, const wdd_config *cfg, bool tcp)
{
    listener *l = tcp ? &srv->tcp_l : &srv->unix_l;
    l->srv = srv;
    l->tcp = tcp;
    size_t memory = cfg->max_header < 8192 ? 8192 : cfg->max_header * 2;
    /* A thread per connection: a request may wait on the audit log's group commit or on a
     * plugin call without holding up anyone else's. The front accepts and bounds connections
     * and hands over each one whose head passed; poll(), not select(): descriptors may be
     * numbered past FD_SETSIZE. The front's bound is the only one: libmicrohttpd counts a closed
     * connection until its thread is joined, and when a connection handed to it finds its own
     * limit reached, 0.9.75 closes it without a word and keeps a lock it never releases (every
     * later connection then hangs). Its limit is therefore out of reach. */
    struct MHD_Daemon *mhd = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC |
            MHD_USE_POLL | MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG,
        0, NULL, NULL, on_request, l, MHD_OPTION_EXTERNAL_LOGGER, log_mhd, l,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->timeout_s, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)INT_MAX, MHD_OPTION_CONNECTION_MEMORY_LIMIT, memory, MHD_OPTION_STRICT_FOR_CLIENT,
        (int)1, MHD_OPTION_NOTIFY_COMPLETED, on_completed, l, MHD_OPTION_NOTIFY_CONNECTION,
        on_connection, l, MHD_OPTION_END);
    return mhd;
}

/* ---- the front's hooks ------------------------------------------------------------------- */

static bool hand_over(void *ctx, int which, int fd, const struct sockaddr *addr, socklen_t len)
{
    wdd_server *srv = ctx;
    struct MHD_Daemon *mhd = which == 1 ? srv->tcp_mhd : srv->unix_mhd;
    if (!mhd) {
        close(fd);
        return false;
    }
    return MHD_add_connection(mhd, fd, addr, len) == MHD_YES;
}

static bool is_client(void *ctx, int which, int fd, const char *auth, size_t auth_len, char *why,
                      size_t why_size, const char **challenge)
{
    wdd_server *srv = ctx;
    wdd_state *s = wdd_state_acquire(srv->d);
    wdd_role role;
    const char *token;
    size_t token_len;
    wdd_peer p = peer_of(which != 0, fd, auth, auth_len, &token, &token_len);
    const wdd_tenant *t = client_of(s, &p, token, token_len, &role);
    wdd_state_release(srv->d, s);
    if (!t)
        *challenge = wdd_api_unauthenticated(&p, why, why_size);
    return t != NULL;
}

static void answered(void *ctx, wdd_front_outcome what, unsigned status)
{
    wdd_server *srv = ctx;
    wdd_metrics_http(srv->d->metrics, status);
    wdd_metrics_front(srv->d->metrics, (int)what);
}

int wdd_server_start(wdd_server **out, wdd_daemon *d)
{
    *out = NULL;
    wdd_server *srv = calloc(1, sizeof(*srv));
    if (!srv)
        return wd_fail(WD_ENOMEM, "out of memory");
    srv->d = d;
    srv->unix_fd = srv->tcp_fd = -1;
    wdd_state *s = wdd_state_acquire(d);
    const wdd_config *cfg = s->cfg;
    srv->max_body = cfg->max_body;
    int rc = wdd_guard_start(&srv->guard, (uint64_t)cfg->timeout_s * 1000u) == 0
                 ? 0
                 : wd_fail(WD_ENOMEM, "cannot start the connection guard");
    if (!rc)
        rc = bind_unix(cfg, &srv->unix_fd);
    if (!rc && !(srv->unix_path = strdup(cfg->unix_path)))
        rc = wd_fail(WD_ENOMEM, "out of memory");
    if (!rc && !(srv->unix_mhd = start_mhd(srv, cfg, false)))
        rc = wd_fail(WD_EIO, "cannot start the HTTP server on %s", cfg->unix_path);
    if (!rc && cfg->tcp_host) {
        rc = bind_tcp(cfg, &srv->tcp_fd);
        if (!rc && !(srv->tcp_mhd = start_mhd(srv, cfg, true)))
            rc = wd_fail(WD_EIO, "cannot start the HTTP server on %s:%u", cfg->tcp_host,
                         cfg->tcp_port);
    }
    if (!rc) {
        /* A head never takes longer than the whole request may. */
        uint64_t head_ms = cfg->head_timeout_ms < (uint64_t)cfg->timeout_s * 1000u
                               ? cfg->head_timeout_ms
                               : (uint64_t)cfg->timeout_s * 1000u;
        wdd_front_limits lim = {.max_header = cfg->max_header,
                                .head_timeout_ms = head_ms,
                                .max_connections = cfg->max_connections,
                                .max_per_peer = cfg->max_connections_per_peer};
        wdd_front_hooks hooks = {
            .ctx = srv, .hand_over = hand_over, .is_client = is_client, .answered = answered};
        int fds[WDD_FRONT_LISTENERS] = {srv->unix_fd, srv->tcp_fd};
        bool tcp[WDD_FRONT_LISTENERS] = {false, true};
        if (wdd_front_start(&srv->front, &lim, fds, tcp, WDD_FRONT_LISTENERS, &hooks) != 0)
            rc = wd_fail(WD_ENOMEM, "cannot start the connection front");
    }
    wdd_state_release(d, s);
    if (rc) {
        wdd_server_stop(srv, 0);
        return rc;
    }
    *out = srv;
    return 0;
}

static void stop_mhd(struct MHD_Daemon *mhd)
{
    if (mhd)
        MHD_stop_daemon(mhd);
}

void wdd_server_stop(wdd_server *srv, unsigned drain_ms)
{
    if (!srv)
        return;
    /* Stop accepting (and drop what waits for its head), then let what is in flight finish
     * (bounded), then close. */
    wdd_front_quiesce(srv->front);
    for (unsigned waited = 0;
         waited < drain_ms && __atomic_load_n(&srv->inflight, __ATOMIC_ACQUIRE) > 0; waited += 5)
        nanosleep(&(struct timespec){0, 5000000}, NULL);
    stop_mhd(srv->unix_mhd);
    stop_mhd(srv->tcp_mhd);
    wdd_front_free(srv->front);
    wdd_guard_stop(srv->guard);
    if (srv->unix_fd >= 0)
        close(srv->unix_fd);
    if (srv->tcp_fd >= 0)
        close(srv->tcp_fd);
    if (srv->unix_path)
        unlink(srv->unix_path);
    free(srv->unix_path);
    free(srv);
}

unsigned wdd_server_inflight(const wdd_server *srv)
{
    return __atomic_load_n(&srv->inflight, __ATOMIC_ACQUIRE);
}
