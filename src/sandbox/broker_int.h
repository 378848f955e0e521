/* broker_int.h (internal): what broker.c (paths, environment, the Landlock plan), broker_net.c
 * (connects) and call.c (withdrawing a grant the audit log could not record) share. */
#ifndef WD_SANDBOX_BROKER_INT_H
#define WD_SANDBOX_BROKER_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "sandbox/broker.h"
#include "util/path.h"
#include "verdict/verdict.h"

/* Fills ans as a refusal with errno err and a reason; closes any descriptor it held. */
void wd_broker_refuse(wd_broker_answer *ans, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The final verdict (verdict.h: lockdown > protected > policy > one-shot approval) on req,
 * under the broker's policy, watch, private and protected paths and overrides. verb and target
 * name the operation an approval is for (wd_operation_id). An approval this request already
 * used (ans->override_op) covers it again without being consumed twice. Returns 0 (out says
 * allow or deny, and why, without the target), WD_EINVAL for a malformed request, or the
 * error of consuming an approval (out then denies). */
int wd_broker_verdict(const wd_broker *b, wd_broker_answer *ans, const wd_request *req,
                      const char *verb, const char *target, wd_final *out);

/* Room wd_broker_parent needs for the real path: a directory and a last component. */
#define WD_BROKER_REAL_MAX (WD_PATH_MAX + 256)

/* Opens the parent directory of path (absolute, normalised: symbolic links on the way are
 * followed by the kernel, never magic ones). The caller has decided every access in need on
 * path as asked; when a symbolic link on the way makes what it really is differ, each is
 * decided again on that: the parent's real path with the last component (*base, pointing into
 * path) appended, into real either way. Returns the parent's O_PATH descriptor, or -1 with
 * ans refused. */
int wd_broker_parent(const wd_broker *b, const char *path, unsigned need, const char *what,
                     wd_broker_answer *ans, char *real, size_t real_size, const char **base);

/* Decides one storage access on a normalised path; on a denial fills ans and returns 0. */
int wd_broker_decide_path(const wd_broker *b, const char *path, unsigned access,
                          wd_broker_answer *ans);

#endif
