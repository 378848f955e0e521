/* broker_int.h (internal): what broker.c (paths, environment, the Landlock plan), broker_net.c
 * (connects) and call.c (withdrawing a grant the audit log could not record) share. */
#ifndef WD_SANDBOX_BROKER_INT_H
#define WD_SANDBOX_BROKER_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "sandbox/broker.h"
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

#endif
