/* bypass.c: a process plugin that tries to get around the broker rather than past it: a
 * second seccomp filter (which could take the notifications over), io_uring (opens and
 * connects no filter sees), ptrace and process_vm_readv on its parent (the runner's side),
 * TIOCSTI, file handles, a new user and mount namespace, raw, packet and netlink sockets,
 * local sockets, and UDP to a public resolver. Each must fail with the errno the mediation
 * table gives, and the program must live on to say "alive".
 *
 * Input (stdin, one line): the path of a unix socket the test listens on. One line per
 * attempt: "NAME rc=R errno=E". */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#endif

static void report(const char *name, long rc)
{
    printf("%s rc=%ld errno=%d\n", name, rc, rc < 0 ? errno : 0);
    fflush(stdout);
}

static void filters(void)
{
    struct sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    struct sock_fprog prog = {.len = 1, .filter = allow};
    report("seccomp_filter", syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog));
    /* A listener of its own would receive the notifications its calls raise. */
    report("seccomp_listener",
           syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog));
    report("prctl_seccomp_filter", prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0));
    report("prctl_seccomp_strict", prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0));
}

static void processes(void)
{
    unsigned char params[120] = {0}; /* struct io_uring_params */
    report("io_uring_setup", syscall(SYS_io_uring_setup, 8, params));
    pid_t parent = getppid();
    report("ptrace_traceme", ptrace(PTRACE_TRACEME, 0, NULL, NULL));
    report("ptrace_attach_parent", ptrace(PTRACE_ATTACH, parent, NULL, NULL));
    report("ptrace_seize_parent", ptrace(PTRACE_SEIZE, parent, NULL, NULL));
    char buf[64];
    static char probe[64];
    struct iovec local = {buf, sizeof(buf)}, remote = {probe, sizeof(probe)};
    report("process_vm_readv_parent", process_vm_readv(parent, &local, 1, &remote, 1, 0));
    report("process_vm_writev_parent", process_vm_writev(parent, &local, 1, &remote, 1, 0));
    char c = 'x';
    report("ioctl_tiocsti", ioctl(0, TIOCSTI, &c));
    char h[sizeof(struct file_handle) + 128];
    struct file_handle *fh = (struct file_handle *)h;
    fh->handle_bytes = 128;
    int mount_id = 0;
    report("name_to_handle_at", name_to_handle_at(AT_FDCWD, "/etc/shadow", fh, &mount_id, 0));
    fh->handle_bytes = 8;
    fh->handle_type = 1;
    memset(fh->f_handle, 0, 8);
    report("open_by_handle_at", open_by_handle_at(AT_FDCWD, fh, O_RDONLY));
    report("unshare_user_mount", unshare(CLONE_NEWUSER | CLONE_NEWNS));
    report("mount_tmpfs", mount("none", "/tmp", "tmpfs", 0, NULL));
}

static void local_sockets(const char *path)
{
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    const char abstract[] = "\0warden-hostile-abstract";
    memcpy(un.sun_path, abstract, sizeof(abstract) - 1);
    report("connect_unix_abstract",
           connect(s, (struct sockaddr *)&un,
                   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + sizeof(abstract) - 1)));
    close(s);
    s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    un = (struct sockaddr_un){.sun_family = AF_UNIX};
    snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
    report("connect_unix_path", connect(s, (struct sockaddr *)&un, sizeof(un)));
    close(s);
}

static void sockets(const char *path)
{
    int s = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
    report("socket_raw", s);
    if (s >= 0)
        close(s);
    s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    report("socket_packet", s);
    if (s >= 0)
        close(s);
    s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0);
    report("socket_netlink", s);
    if (s >= 0)
        close(s);
    local_sockets(path);
    struct sockaddr_in dns = {.sin_family = AF_INET, .sin_port = htons(53)};
    inet_pton(AF_INET, "8.8.8.8", &dns.sin_addr);
    s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    report("udp_sendto_8888", sendto(s, "x", 1, 0, (struct sockaddr *)&dns, sizeof(dns)));
    report("udp_connect_8888", connect(s, (struct sockaddr *)&dns, sizeof(dns)));
    close(s);
}

int main(void)
{
    char path[128] = "";
    if (!fgets(path, sizeof(path), stdin))
        return 2;
    path[strcspn(path, "\n")] = 0;
    filters();
    processes();
    sockets(path);
    printf("alive\n");
    return 0;
}
