/* lockdown_probe: asks the broker the same question until the answer changes, to show that a
 * lockdown beginning during a call reaches that call's next request. Also answers a table of
 * requests, to compare the broker's verdicts with a check's.
 *
 *   {"flag": F, "probe": P, "max_ms": N}  creates F through the broker (the test's signal that
 *                                         the call is under way), then opens P for reading
 *                                         every 2 ms until refused ("probe: refused: WHY") or
 *                                         N ms pass ("probe: never refused")
 *   {"table": "read /a,write /b,env K"}   one line per entry: "VERB TARGET: allow" or
 *                                         "VERB TARGET: deny: WHY" */
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "hostile.h"

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int probe(wd_host *host, const char *input, wd_output *out)
{
    char flag[1024], path[1024];
    if (hs_str(input, "flag", flag, sizeof(flag)) != 0 ||
        hs_str(input, "probe", path, sizeof(path)) != 0) {
        hs_out(host, out, "input: needs flag and probe");
        return 2;
    }
    int fd = wd_host_open(host, flag, O_WRONLY | O_CREAT | O_TRUNC);
    if (fd < 0) {
        hs_out(host, out, "flag: refused: %s", wd_host_error(host));
        return 2;
    }
    close(fd);
    long until = now_ms() + (long)hs_num(input, "max_ms", 4000);
    unsigned long allowed = 0;
    while (now_ms() < until) {
        fd = wd_host_open(host, path, O_RDONLY);
        if (fd < 0) {
            hs_out(host, out, "probe: allowed %lu times, then refused: %s", allowed,
                   wd_host_error(host));
            return 1;
        }
        close(fd);
        allowed++;
        struct timespec two = {0, 2000000};
        nanosleep(&two, NULL);
    }
    hs_out(host, out, "probe: never refused (%lu times allowed)", allowed);
    return 0;
}

static int table(wd_host *host, char *list, wd_output *out)
{
    for (char *save = NULL, *e = strtok_r(list, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
        char *target = strchr(e, ' ');
        if (!target)
            continue;
        *target++ = '\0';
        int ok;
        if (!strcmp(e, "env")) {
            ok = wd_host_getenv(host, target) != NULL;
        } else {
            int fd = wd_host_open(host, target, !strcmp(e, "write") ? O_WRONLY : O_RDONLY);
            ok = fd >= 0;
            if (ok)
                close(fd);
        }
        if (ok)
            hs_out(host, out, "%s %s: allow", e, target);
        else
            hs_out(host, out, "%s %s: deny: %s", e, target, wd_host_error(host));
    }
    return 0;
}

static int execute(wd_host *host, const char *input, size_t len, wd_output *out)
{
    (void)len;
    static char list[16384];
    if (hs_str(input, "table", list, sizeof(list)) == 0)
        return table(host, list, out);
    return probe(host, input, out);
}

HOSTILE_PLUGIN("lockdown_probe", "keep asking the broker while a lockdown begins", execute);
