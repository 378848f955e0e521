/* mediate.h (internal): the broker's side of a process plugin's seccomp listener. Each
 * notification is decoded once (notify.h), decided by the one verdict through the broker, and
 * performed by the broker itself: a file is opened here and its descriptor injected, a change
 * is made here, a connection is made here and its socket put in place of the plugin's. The
 * only calls let through to the kernel after their arguments were read are the ones Landlock
 * or the empty network namespace alone already bound (exec, and UDP to the plugin's own DNS
 * stub); docs/sandbox.md lists them and what a race there could reach. */
#ifndef WD_SANDBOX_MEDIATE_H
#define WD_SANDBOX_MEDIATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sandbox/broker.h"

struct wd_dns_stub;

/* Files a process plugin reads in place of the host's: the resolver's configuration pointing
 * at its DNS stub, a minimal hosts file and name-service switch. */
enum { WD_SYNTH_RESOLV, WD_SYNTH_HOSTS, WD_SYNTH_NSSWITCH, WD_SYNTH_COUNT };

typedef struct {
    const wd_broker *broker;
    int listener;
    int started;
    const char *program; /* the program's real path, served from program_fd; NULL: none */
    int program_fd;      /* the verified copy (a sealed memory file) */
    int synth[WD_SYNTH_COUNT];
    struct wd_dns_stub *stub; /* NULL: no names resolve */
    /* Test-only fault switch: answer every notification "continue" (the Landlock backstop
     * test shows nothing outside the granted roots is reachable then). Never set otherwise. */
    int continue_all;
    unsigned requests, denied, runtime, limit;
    /* Records one decision (op, flags, the answer); nonzero: it could not be recorded, and what
     * cannot be recorded is not granted. */
    int (*record)(void *ctx, const char *op, uint64_t flags, const wd_broker_answer *ans);
    void *record_ctx;
    void *notif;
    size_t notif_size;
} wd_mediator;

/* Allocates the notification buffer (the kernel says its size). 0, or -1 (errno). */
int wd_mediator_init(wd_mediator *m);
void wd_mediator_free(wd_mediator *m);

/* The listener is readable: takes one notification and answers it. Returns 0, or -1 when the
 * listener is gone (the plugin's processes all exited). */
int wd_mediate_one(wd_mediator *m);

/* Answers queries waiting at the stub, each name decided (and recorded) by the broker. */
void wd_mediate_dns(wd_mediator *m);

/* The three synthetic files for a stub at address (NULL: no stub), as sealed memory files. */
int wd_mediator_synth(wd_mediator *m, const char *stub_address);

#endif
