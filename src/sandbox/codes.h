/* codes.h (internal): stable ids of sandbox and plugin-call failures (docs/errors.md, WD-S).
 * The runner reports them by number in WD_MSG_FAIL; the host turns numbers into ids. */
#ifndef WD_SANDBOX_CODES_H
#define WD_SANDBOX_CODES_H

enum {
    WD_S_SETUP = 1,      /* the sandbox could not be set up, or the kernel lacks a protection
                            the configuration requires */
    WD_S_CRASH = 2,      /* the plugin crashed (a fatal signal) */
    WD_S_TIMEOUT = 3,    /* the call ran past its wall-clock timeout; the process tree was killed */
    WD_S_CPU = 4,        /* the plugin used up its CPU time */
    WD_S_SYSCALL = 5,    /* the plugin made a system call the sandbox forbids (killed) */
    WD_S_PROTOCOL = 6,   /* the plugin sent a malformed or unexpected broker message */
    WD_S_OUTPUT = 7,     /* the output exceeded its limit */
    WD_S_EXITED = 8,     /* the plugin exited or closed the broker connection mid-call */
    WD_S_DESCRIPTOR = 9, /* the library lacks a valid plugin descriptor, or cannot be loaded */
    WD_S_INIT = 10,      /* init() refused to start the instance */
    WD_S_FAILED = 11,    /* execute() returned an error */
    WD_S_INPUT = 12,     /* the input is not acceptable (too large) */
    WD_S_RUNNER = 13,    /* the runner executable could not be started */
    WD_S_MEMORY = 14,    /* the plugin reached its memory limit (an allocation failed, then it
                            died) */
    WD_S_UNSUPPORTED = 15, /* this kernel cannot mediate a process plugin (seccomp user
                              notification with descriptor injection, Linux 5.14) */
    WD_S_FAULT = 16,       /* reserved */
    WD_S_TOOL = 17,        /* the component's policy refuses the MCP tool asked for */
    WD_S_LOAD = 18,        /* a Python handler could not be loaded: its module raised on import,
                              the class or one of its methods is missing */
    WD_S_ASYNC = 19,       /* a Python handler method is async: warden runs sync handlers only */
    WD_S_LIMIT_COUNT = 20  /* one past the last */
};

/* The runner's exit status when the plugin died of a fatal signal (SIGSEGV, SIGBUS, SIGABRT)
 * right after an allocation failed or with its address space all but used up: the host
 * reports WD_S_MEMORY rather than a crash. The plugin shares the process and can exit with it
 * too, which only changes how its own failure is named. */
#define WD_RUNNER_EXIT_MEMORY 251

/* "WD-S001".. for a number above; "WD-S000" for anything else. */
const char *wd_sandbox_code_id(int code);

#endif
