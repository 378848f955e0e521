/* runner_path.h (internal): which warden-runner a warden program (the CLI, wardend) starts. */
#ifndef WD_SANDBOX_RUNNER_PATH_H
#define WD_SANDBOX_RUNNER_PATH_H

/* The runner for this program, as a malloc'd path, or NULL to leave the choice to the library
 * (wd_sandbox_options.runner_path NULL: $WARDEN_RUNNER, else the configured prefix's libexec).
 * NULL when $WARDEN_RUNNER names one; else the runner beside this program or in one of up to
 * `up` directories above it (a build tree); else the installed one at `installed`, a path
 * relative to this program's directory (bindir or sbindir to libexecdir/warden; returned
 * canonical, without ".."), so a tree installed with another prefix, or moved, finds its own
 * runner; else NULL. */
char *wd_runner_for_program(const char *installed, int up);

#endif
