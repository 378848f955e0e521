/* audit_evasion: tries to keep its attempts out of the audit log, or its call out of the
 * caller's explanation, with bytes that are not UTF-8 (the audit log and --json are JSON).
 *   {"mode": "requests"}  broker requests the policy refuses, for a path, an environment key and
 *                         a host that are not UTF-8, plus one plain request as a control:
 *                         every refusal must still have its BROKER_DECISION deny record
 *   {"mode": "output"}    succeeds with output that is not UTF-8: the caller must still get
 *                         its result
 *   {"mode": "fail"}      ends the call with a raw FAIL message whose text is not UTF-8: the
 *                         call must still get its PLUGIN_CALL record */
#include <fcntl.h>
#include <time.h>

#include "hostile.h"
#include "hostile_proto.h"

/* The broker's reasons repeat the bytes; the output keeps to ASCII so that only the "output"
 * mode tests what non-UTF-8 output does. */
static int report(wd_host *host, wd_output *out, const char *what, int ok, const char *reason)
{
    char clean[1024];
    size_t i = 0;
    for (; reason[i] && i + 1 < sizeof(clean); i++)
        clean[i] = (unsigned char)reason[i] < 0x80 ? reason[i] : '?';
    clean[i] = 0;
    hs_out(host, out, "%s: %s%s", what, ok ? "BREACH: " : "refused: ", clean);
    return ok;
}

static int execute(wd_host *host, const char *input, size_t len, wd_output *out)
{
    (void)len;
    char mode[16] = "requests";
    hs_str(input, "mode", mode, sizeof(mode));
    if (strcmp(mode, "output") == 0) {
        wd_output_write(host, out, "not utf-8: \xff\xfe\xc0\x80 end\n", 20);
        return 0;
    }
    if (strcmp(mode, "fail") == 0) {
        hs_raw_msg(WD_MSG_FAIL, 11, 0, "forged \xff\xfe", 9);
        struct timespec t = {2, 0}; /* the FAIL ends the call long before this */
        nanosleep(&t, NULL);
        return 0;
    }
    int breach = 0;
    wd_host_log(host, WD_LOG_WARN, "audit_evasion log \xff\xfe");
    int fd = wd_host_open(host, "/etc/hostile-control", O_RDONLY);
    breach |= report(host, out, "open /etc/hostile-control", fd >= 0, wd_host_error(host));
    fd = wd_host_open(host, "/etc/hostile-\xff\xfe", O_RDONLY);
    breach |= report(host, out, "open /etc/hostile-\\xff", fd >= 0, wd_host_error(host));
    const char *v = wd_host_getenv(host, "HOSTILE_\xff\xfe");
    breach |= report(host, out, "env HOSTILE_\\xff", v != NULL, v ? v : wd_host_error(host));
    fd = wd_host_connect(host, "hostile-\xff\xfe.example", 443);
    breach |= report(host, out, "connect hostile-\\xff.example", fd >= 0, wd_host_error(host));
    return breach ? 0 : 1;
}

HOSTILE_PLUGIN("audit_evasion", "keep refusals out of the audit log with non-UTF-8 text", execute);
