/* audit.h: the tamper-evident audit log (docs/audit-format.md is the format).
 *
 * Lifecycle, writer: wd_audit_keygen() once -> wd_audit_open() -> wd_audit_append() any number
 * of times, from any number of threads (and processes: appends take a file lock) ->
 * wd_audit_checkpoint() when wanted -> wd_audit_close(), which writes a final checkpoint.
 * Readers: wd_audit_verify() and wd_audit_query() work on a closed or a live log.
 *
 * The log is hash-chained; each record carries an HMAC under a key that ratchets forward after
 * every record (the old key is wiped from memory and from the writer's state file), and
 * checkpoints carry an Ed25519 signature. There are no built-in keys: without key files,
 * nothing is written. A writer that hits an I/O error stops accepting records (fail closed)
 * rather than leave a gap it cannot account for. */
#ifndef WARDEN_AUDIT_H
#define WARDEN_AUDIT_H

#include "common.h"
#include "diag.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wd_audit wd_audit;

typedef enum {
    WD_SEVERITY_LOW = 1,
    WD_SEVERITY_MEDIUM = 2,
    WD_SEVERITY_HIGH = 3,
    WD_SEVERITY_CRITICAL = 4
} wd_severity;

WD_EXPORT const char *wd_severity_name(wd_severity s);
WD_EXPORT int wd_severity_parse(const char *name, wd_severity *out);

/* Creates mac.key, signing.key (both 0600), signing.pub and writer.state in dir (created 0700
 * when missing). Refuses to overwrite existing keys. */
WD_EXPORT int wd_audit_keygen(const char *dir);

typedef enum {
    WD_DURABILITY_ALWAYS = 1, /* each append runs its own fdatasync before returning */
    WD_DURABILITY_BATCH = 2,  /* group commit: an append returns once an fdatasync covers it;
                                 one sync covers every record written while the previous one
                                 ran, and a sync starts as soon as none is running */
    WD_DURABILITY_NONE = 3    /* the kernel writes back when it likes */
} wd_durability;

typedef struct {
    unsigned version;
    wd_durability durability;
    unsigned batch_ms;         /* batch: the longest a record may wait for its sync to start
                              (default 10; group commit starts syncs at once) */
    unsigned batch_records;    /* reserved (default 1024) */
    uint64_t checkpoint_every; /* records between checkpoints; default 10000; 0 = never. The
                                  count lives in the writer state: it survives restarts */
    unsigned checkpoint_secs;  /* the heartbeat: records are sealed by a checkpoint at most this
                                  many seconds after the last one (or the open), even when no
                                  further append comes; default 10; 0 = never by time */
    uint64_t segment_bytes;    /* rotate past this size; default 64 MiB */
    int exclusive;             /* hold the file lock from open to close (one writer process) */
    int append_only;           /* set the append-only attribute on segments; default 1 */
    wd_diagnostics *notes;     /* optional: recovery and attribute notes (WD-A ids), added
                                  while wd_audit_open runs */
    /* version 2 */
    unsigned checkpoint_ms; /* when non-zero, the heartbeat interval in milliseconds instead of
                               checkpoint_secs */
} wd_audit_options;

/* Version 1 (without checkpoint_ms) is still accepted. */
#define WD_AUDIT_OPTIONS_VERSION 2
#define WD_AUDIT_OPTIONS_INIT                                                                      \
    {                                                                                              \
        WD_AUDIT_OPTIONS_VERSION, WD_DURABILITY_ALWAYS, 10, 1024, 10000, 10, 64u << 20, 0, 1,      \
            NULL, 0                                                                                \
    }

/* Opens (creating when missing) the log directory log_dir with the keys in keys_dir. Recovers
 * what a crash left: a torn last line is moved aside and a RECOVERY record continues the chain.
 * A log that ends before a record the writer state says was made durable was cut, not crashed:
 * a CRITICAL TAMPERING record continues the chain and the missing seqs stay a gap that
 * verification reports (WD-A016). Refuses loose key permissions, keys of another log, and a
 * log the state does not account for. Starts the writer's heartbeat thread (joined by
 * wd_audit_close). */
WD_EXPORT int wd_audit_open(wd_audit **out, const char *log_dir, const char *keys_dir,
                            const wd_audit_options *opts);

typedef struct {
    const char *type; /* [A-Z][A-Z0-9_]*, at most 64 chars */
    wd_severity severity;
    const char *component;      /* may be NULL: "" */
    const char *correlation_id; /* may be NULL: a fresh UUIDv4 */
    const char *details;        /* a JSON object as text; NULL: {} */
} wd_audit_event;

/* Appends one record; *seq (may be NULL) receives its sequence number. Returns when the record
 * is as durable as the mode promises. */
WD_EXPORT int wd_audit_append(wd_audit *log, const wd_audit_event *event, uint64_t *seq);
/* Appends n records under one lock and (for ALWAYS and BATCH) one fdatasync. */
WD_EXPORT int wd_audit_append_many(wd_audit *log, const wd_audit_event *events, size_t n,
                                   uint64_t *first_seq);
/* The sequence number the next record will get (records so far + 1), and whether the log has
 * stopped accepting records after a write failure (then non-zero). Thread-safe.
 * A broken writer recovers by itself: the next append (or the heartbeat), at most once a
 * second (or once a heartbeat interval when that is shorter), reconciles log and state as an
 * open does and continues the chain with a RECOVERY record {"reason":"write_failed",
 * "failed_at",...}; only then does it accept records again and report not broken. */
WD_EXPORT uint64_t wd_audit_next_seq(wd_audit *log, int *broken);

typedef struct {
    uint64_t next_seq;
    int broken;              /* 0, or the WD_E* code of the failure: records are refused */
    int64_t broken_since_ns; /* when the writer stopped accepting records (0 when not broken) */
    char broken_reason[160]; /* "writing the audit log: No space left on device" */
    uint64_t refused;        /* appends refused since then */
    uint64_t recoveries;     /* times this writer recovered by itself since it was opened */
    int64_t recovered_ns;    /* the last such recovery (0: none) */
    uint64_t sealed_seq;     /* the last checkpoint (0: none) */
    int64_t sealed_ns;       /* its time (0: none or unknown) */
    uint64_t unsealed;       /* records after it */
    uint64_t durable_seq;    /* the writer state's mark: records up to here were synced */
} wd_audit_writer_status;

/* A consistent snapshot of the writer's health, for readiness probes and metrics.
 * Thread-safe. */
WD_EXPORT int wd_audit_status(wd_audit *log, wd_audit_writer_status *status);
/* The same records written without waiting for their sync; wd_audit_sync_to(last seq) then
 * returns once they are as durable as the mode promises. For a caller with many chunks to
 * write before it may answer any of them: one wait instead of one a chunk. */
WD_EXPORT int wd_audit_append_many_unsynced(wd_audit *log, const wd_audit_event *events, size_t n,
                                            uint64_t *first_seq);
WD_EXPORT int wd_audit_sync_to(wd_audit *log, uint64_t seq);
/* Writes a signed checkpoint now; with export_path, also writes it there as an anchor file. */
WD_EXPORT int wd_audit_checkpoint(wd_audit *log, const char *export_path);
/* Writes a final checkpoint, syncs, releases the lock and frees. Returns the first error. */
WD_EXPORT int wd_audit_close(wd_audit *log);

/* ---- verification --------------------------------------------------------------------- */

typedef enum {
    WD_AUDIT_OK = 0,
    WD_AUDIT_MALFORMED,      /* a line is not a canonical record */
    WD_AUDIT_MODIFIED,       /* a record's hash no longer matches the next record's prev */
    WD_AUDIT_BAD_MAC,        /* a record's MAC is wrong: modified or forged */
    WD_AUDIT_MISSING,        /* sequence numbers skipped */
    WD_AUDIT_INSERTED,       /* a record that does not belong */
    WD_AUDIT_REORDERED,      /* records out of order */
    WD_AUDIT_DUPLICATED,     /* the same record twice */
    WD_AUDIT_BAD_CHECKPOINT, /* wrong count/head, or a signature that does not verify */
    WD_AUDIT_TRUNCATED,      /* the log ends before an anchor's record */
    WD_AUDIT_TORN,           /* the last line was cut mid-write */
    WD_AUDIT_WRONG_KEY,      /* the log names another public key or log id */
    WD_AUDIT_STALE           /* with fresh_ns: not sealed recently enough */
} wd_audit_problem;

typedef struct {
    unsigned version;
    const char *mac_key_path; /* mac.key: check every MAC */
    const char *pubkey_path;  /* signing.pub: check every checkpoint signature */
    const char *anchor_path;  /* an exported anchor: the log must still contain it */
    /* version 2 */
    int64_t fresh_ns; /* > 0: the log must be sealed within this long before now: its last
                         checkpoint no older, and no record after it older (else STALE) */
    int64_t now_ns;   /* "now" for fresh_ns; 0: the current time */
} wd_audit_verify_options;

/* Version 1 (without fresh_ns and now_ns) is still accepted. */
#define WD_AUDIT_VERIFY_OPTIONS_VERSION 2
#define WD_AUDIT_VERIFY_OPTIONS_INIT                                                               \
    {                                                                                              \
        WD_AUDIT_VERIFY_OPTIONS_VERSION, NULL, NULL, NULL, 0, 0                                    \
    }

typedef struct {
    wd_audit_problem problem; /* WD_AUDIT_OK when intact */
    uint64_t seq;             /* the first bad record (or where the problem shows) */
    char message[256];        /* "seq 17: bad MAC (record modified or forged)" */
    uint64_t records;         /* records read */
    uint64_t checkpoints;     /* checkpoints verified */
    uint64_t last_seq;
    uint64_t unsealed;   /* records after the last checkpoint */
    uint64_t recoveries; /* RECOVERY records (declared crash damage) */
    int macs_checked, signatures_checked;
    /* How far the log is sealed (as far as it was read): the last valid checkpoint's seq and
     * time (0: none), the time of the first record after it (0: none) and of the last record. */
    uint64_t sealed_seq;
    int64_t sealed_ns, unsealed_since_ns, last_ns;
} wd_audit_verify_result;

WD_EXPORT const char *wd_audit_problem_name(wd_audit_problem p);
/* Returns 0 when verification ran (result->problem says whether the log is intact), or a
 * negative code when it could not run (unreadable log, bad key file). Needs at least one of
 * mac_key_path and pubkey_path. */
WD_EXPORT int wd_audit_verify(const char *log_dir, const wd_audit_verify_options *opts,
                              wd_audit_verify_result *result);

/* ---- query ---------------------------------------------------------------------------- */

typedef struct {
    uint64_t seq;
    int64_t ts_ns;
    const char *ts; /* as written */
    const char *type;
    wd_severity severity;
    const char *correlation_id;
    const char *component;
    const char *details; /* the JSON object as written */
    const char *line;    /* the whole record line, no newline */
} wd_audit_record;

typedef struct {
    unsigned version;
    const char *type;           /* NULL: any */
    wd_severity min_severity;   /* 0: any */
    const char *component;      /* NULL: any */
    int64_t since_ns, until_ns; /* 0: unbounded */
    uint64_t limit;             /* 0: no limit */
    int last;                   /* with limit: the last N matches instead of the first N */
} wd_audit_query;

#define WD_AUDIT_QUERY_VERSION 1
#define WD_AUDIT_QUERY_INIT                                                                        \
    {                                                                                              \
        WD_AUDIT_QUERY_VERSION, NULL, 0, NULL, 0, 0, 0, 0                                          \
    }

/* Calls fn for each matching record in order; fn returns non-zero to stop. Lines that are not
 * records are skipped (verification is the place to judge them). */
WD_EXPORT int wd_audit_query_run(const char *log_dir, const wd_audit_query *query,
                                 int (*fn)(const wd_audit_record *record, void *ctx), void *ctx);

#ifdef __cplusplus
}
#endif
#endif
