/* race.c: a process plugin that races the broker. One thread flips a path (or an address) the
 * other thread's calls name, as fast as it can, between one the policy allows and one it
 * denies. A broker that read the argument twice (once to decide, once to act), or let the
 * kernel read it again after deciding, would sooner or later act on the denied one.
 *
 * Input (stdin, one line):
 *   open ALLOWED DENIED N         N opens of the flipping path, 16 bytes read from each
 *   connect PORT_OK PORT_NO N     N connects to 127.0.0.1 with the flipping port
 * Output: "opens=N denied_content=D allowed=A refused=R" (D: reads that returned what the
 * denied file holds, "SECRET"), or "connects=N denied=D allowed=A refused=R" (D: sockets whose
 * peer is PORT_NO). Exit 0 when the run completed, whatever it found: the test judges. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { PATH_BUF = 512, READ_LEN = 16 };

static atomic_int stop;
static char path_buf[PATH_BUF];
static char paths[2][PATH_BUF];
static struct sockaddr_in addr_buf;
static in_port_t ports[2];

/* Keeps every store: without the barrier the compiler may drop the first of two copies. */
#define BARRIER() __asm__ volatile("" ::: "memory")

static void *flip_path(void *arg)
{
    (void)arg;
    size_t len[2] = {strlen(paths[0]) + 1, strlen(paths[1]) + 1};
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        memcpy(path_buf, paths[0], len[0]);
        BARRIER();
        memcpy(path_buf, paths[1], len[1]);
        BARRIER();
    }
    return NULL;
}

static void *flip_port(void *arg)
{
    (void)arg;
    volatile in_port_t *p = &addr_buf.sin_port;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        *p = ports[0];
        *p = ports[1];
    }
    return NULL;
}

static int race_open(long n)
{
    long denied = 0, allowed = 0, refused = 0;
    for (long i = 0; i < n; i++) {
        int fd = open(path_buf, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            refused++;
            continue;
        }
        char got[READ_LEN + 1] = {0};
        ssize_t r = read(fd, got, READ_LEN);
        close(fd);
        if (r > 0 && strncmp(got, "SECRET", 6) == 0)
            denied++;
        else
            allowed++;
    }
    printf("opens=%ld denied_content=%ld allowed=%ld refused=%ld\n", n, denied, allowed, refused);
    return 0;
}

static int race_connect(long n)
{
    long denied = 0, allowed = 0, refused = 0;
    for (long i = 0; i < n; i++) {
        int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0) {
            fprintf(stderr, "socket: %s\n", strerror(errno));
            return 1;
        }
        if (connect(s, (const struct sockaddr *)&addr_buf, sizeof(addr_buf)) != 0) {
            refused++;
            close(s);
            continue;
        }
        struct sockaddr_in peer;
        socklen_t len = sizeof(peer);
        if (getpeername(s, (struct sockaddr *)&peer, &len) == 0 && peer.sin_port == ports[0])
            allowed++;
        else
            denied++; /* connected, and not to the one port the policy grants */
        close(s);
    }
    printf("connects=%ld denied=%ld allowed=%ld refused=%ld\n", n, denied, allowed, refused);
    return 0;
}

int main(void)
{
    char line[2 * PATH_BUF], mode[16];
    long n = 0;
    if (!fgets(line, sizeof(line), stdin)) {
        fprintf(stderr, "no input\n");
        return 2;
    }
    int rc = 2;
    pthread_t flipper;
    if (sscanf(line, "%15s", mode) == 1 && strcmp(mode, "open") == 0 &&
        sscanf(line, "%*s %511s %511s %ld", paths[0], paths[1], &n) == 3 && n > 0) {
        memcpy(path_buf, paths[0], strlen(paths[0]) + 1);
        if (pthread_create(&flipper, NULL, flip_path, NULL) != 0)
            return 2;
        rc = race_open(n);
    } else if (strcmp(mode, "connect") == 0) {
        unsigned ok = 0, no = 0;
        if (sscanf(line, "%*s %u %u %ld", &ok, &no, &n) != 3 || n <= 0 || !ok || !no ||
            ok > 65535 || no > 65535)
            return 2;
        ports[0] = htons((in_port_t)ok);
        ports[1] = htons((in_port_t)no);
        addr_buf = (struct sockaddr_in){
            .sin_family = AF_INET, .sin_port = ports[0], .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        if (pthread_create(&flipper, NULL, flip_port, NULL) != 0)
            return 2;
        rc = race_connect(n);
    } else {
        fprintf(stderr, "unknown input: %s", line);
        return 2;
    }
    atomic_store(&stop, 1);
    pthread_join(flipper, NULL);
    return rc;
}
