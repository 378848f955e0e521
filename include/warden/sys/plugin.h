/* warden/sys/plugin.h: the plugin ABI, for plugin authors (docs/plugins.md is the guide).
 *
 * A plugin is a shared object that exports one descriptor, WD_PLUGIN_SYMBOL, of type
 * wd_plugin_descriptor. warden loads it in a sandboxed child process (docs/sandbox.md) and calls:
 *
 *   init(host, config)            once per instance; config is the contract's operator config
 *                                 as compact JSON. Non-zero refuses the instance.
 *   execute(host, input, out)     once per call; input is the caller's JSON text; write the
 *                                 result with wd_output_write(). 0 is success; anything else is
 *                                 an error the caller sees (with what was written as message).
 *   describe()                    a static JSON object: {"description": ..., "input_schema": ...}
 *   shutdown()                    before a warm instance is retired (may be NULL).
 *
 * The plugin reaches nothing directly that its policy does not grant: the kernel refuses it.
 * Files, network connections and environment variables are asked for through the host services
 * below; each request is decided against the plugin's policy, audited, and either answered with
 * a descriptor or refused with a reason (wd_host_error()). The header needs nothing but libc and
 * a plugin links against nothing from warden: the services are reached through the host table. */
#ifndef WARDEN_SYS_PLUGIN_H
#define WARDEN_SYS_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any incompatible change to the structures below. */
#define WD_PLUGIN_ABI 1
/* The name of the exported descriptor. */
#define WD_PLUGIN_SYMBOL "wd_plugin_v1"

typedef enum { WD_LOG_DEBUG = 0, WD_LOG_INFO = 1, WD_LOG_WARN = 2, WD_LOG_ERROR = 3 } wd_log_level;

typedef struct wd_host wd_host;
typedef struct wd_output wd_output;

/* The services table the runner hands to every callback. Use the wrappers below. */
struct wd_host {
    uint32_t abi;  /* WD_PLUGIN_ABI */
    uint32_t size; /* sizeof(struct wd_host) of the runner; fields past it are absent */
    int (*open)(wd_host *host, const char *path, int flags);
    int (*connect)(wd_host *host, const char *name, unsigned port);
    const char *(*getenv)(wd_host *host, const char *key);
    void (*log)(wd_host *host, wd_log_level level, const char *message);
    const char *(*error)(wd_host *host);
    int (*write)(wd_output *out, const void *data, size_t len);
    void *runner; /* private */
};

typedef struct {
    uint32_t abi;  /* WD_PLUGIN_ABI */
    uint32_t size; /* sizeof(wd_plugin_descriptor) */
    const char *name;
    const char *version;
    int (*init)(wd_host *host, const char *config_json);
    int (*execute)(wd_host *host, const char *input, size_t input_len, wd_output *out);
    const char *(*describe)(void);
    void (*shutdown)(void);
} wd_plugin_descriptor;

/* Declares the descriptor with the right name and visibility:
 *   WD_PLUGIN_EXPORT = { WD_PLUGIN_ABI, sizeof(wd_plugin_descriptor), "name", "1.0.0", ... }; */
#define WD_PLUGIN_EXPORT                                                                           \
    __attribute__((visibility("default"))) const wd_plugin_descriptor wd_plugin_v1

/* Opens path (absolute) with open(2) flags O_RDONLY/O_WRONLY/O_RDWR and O_CREAT, O_TRUNC,
 * O_APPEND, O_EXCL, O_DIRECTORY, O_NOFOLLOW. Returns a descriptor (close it yourself), or -1
 * with the reason in wd_host_error(): the policy does not grant it, the path resolves (through
 * "..", symlinks or mounts) somewhere it does not grant, or it is one of warden's own files. */
static inline int wd_host_open(wd_host *host, const char *path, int flags)
{
    return host->open(host, path, flags);
}

/* Connects a TCP socket to name (a host name or IP literal) on port. Returns the connected
 * descriptor or -1 (wd_host_error() says why). A name that resolves to a loopback, link-local
 * or otherwise local address is refused unless the policy grants that address itself. */
static inline int wd_host_connect(wd_host *host, const char *name, unsigned port)
{
    return host->connect(host, name, port);
}

/* The value of an environment variable the policy grants, or NULL (wd_host_error() says why).
 * The string stays valid until the next host call. */
static inline const char *wd_host_getenv(wd_host *host, const char *key)
{
    return host->getenv(host, key);
}

/* Records a message in the host's log (bounded and rate-limited by the host). */
static inline void wd_host_log(wd_host *host, wd_log_level level, const char *message)
{
    host->log(host, level, message);
}

/* Why the last refused host call was refused ("" when none was). */
static inline const char *wd_host_error(wd_host *host)
{
    return host->error(host);
}

/* Appends to the call's output. Returns 0, or -1 once the output limit is reached (the call
 * then fails with WD-S007 whatever execute returns). */
static inline int wd_output_write(wd_host *host, wd_output *out, const void *data, size_t len)
{
    return host->write(out, data, len);
}

#ifdef __cplusplus
}
#endif
#endif
