/* keys.h (internal): the audit key files and the writer's ratchet state.
 *
 * Secret files (mac.key, signing.key, writer.state) are opened with O_NOFOLLOW and refused
 * unless they are regular files owned by the caller with no group or other permissions: a key
 * anyone else can read is no key. The state is one fixed-size text block with a SHA-256
 * checksum, rewritten in place after every record (pwrite), so the previous key is overwritten
 * on disk as well as in memory. Version 2 of the block adds what must survive a restart: how far
 * the log is known durable and where the last checkpoint is; a version-1 block still loads and
 * is rewritten as version 2 by the next store. */
#ifndef WD_AUDIT_KEYS_H
#define WD_AUDIT_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"

#define WD_AUDIT_MAC_KEY "mac.key"
#define WD_AUDIT_SIGNING_KEY "signing.key"
#define WD_AUDIT_PUBLIC_KEY "signing.pub"
#define WD_AUDIT_STATE "writer.state"

#define WD_MAC_KEY_HEADER "warden-audit-mac-key-v1"
#define WD_SIGNING_KEY_HEADER "warden-audit-signing-key-v1"
#define WD_PUBLIC_KEY_HEADER "warden-audit-public-key-v1"

typedef struct {
    uint8_t log_id[16];
    uint64_t seq;                 /* the sequence number the next record gets */
    uint32_t segment;             /* the segment the next record goes to */
    uint8_t key[WD_HMAC_KEY_LEN]; /* k_seq */
    uint8_t head[WD_SHA256_LEN];  /* chain hash of record seq - 1 (zeros before record 1) */
    /* Version 2. A version-1 block loads with these zero and v1 set: unknown, never guessed. */
    uint64_t durable; /* every record up to this seq was covered by a successful fdatasync */
    uint64_t cp_seq;  /* the last checkpoint's seq (0: none yet) */
    int64_t cp_ns;    /* its time, ns since the epoch (0: none or unknown) */
    bool v1;
} wd_audit_state;

/* Reads "HEADER\nHEX\n" into out (len bytes). secret: enforce the permission rules above. */
int wd_keyfile_read(const char *path, const char *header, bool secret, uint8_t *out, size_t len);
/* Creates the file (never replaces one) with mode, writes "HEADER\nHEX\n", fsyncs. */
int wd_keyfile_write(const char *path, const char *header, const uint8_t *key, size_t len,
                     unsigned mode);

/* Opens writer.state read-write under the secret-file rules. */
int wd_state_open(const char *path, int *fd);
int wd_state_load(int fd, wd_hasher *h, wd_audit_state *st, const char *path);
int wd_state_store(int fd, wd_hasher *h, const wd_audit_state *st);
/* k_next = SHA-256("warden-audit-ratchet-v1" || k); the caller wipes k. */
int wd_ratchet(wd_hasher *h, const uint8_t k[static WD_HMAC_KEY_LEN],
               uint8_t next[static WD_HMAC_KEY_LEN]);

/* Checks an already open secret file descriptor. */
int wd_secret_fd_check(int fd, const char *path);

#endif
