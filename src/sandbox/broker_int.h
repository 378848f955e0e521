/* broker_int.h (internal): what broker.c (paths, environment, the Landlock plan) and
 * broker_net.c (connects) share. */
#ifndef WD_SANDBOX_BROKER_INT_H
#define WD_SANDBOX_BROKER_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "sandbox/broker.h"

/* Fills ans as a refusal with errno err and a reason; closes any descriptor it held. */
void wd_broker_refuse(wd_broker_answer *ans, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A policy's denial of operation (verb, target) that a human approved: the approval is used
 * (once) and true returned, with why saying so; otherwise why names the operation id. */
bool wd_broker_overridden(const wd_broker *b, const char *verb, const char *target,
                          wd_broker_answer *ans, char *why, size_t size);

#endif
