/* netns.h (internal): one empty network namespace per host process, shared by every runner.
 * Creating a namespace costs about half a millisecond and tearing it down more; entering an
 * existing one costs microseconds. Sharing is safe because a runner reaches no socket in it:
 * seccomp refuses connect, bind and every family but AF_UNIX, and Landlock (ABI 6) scopes
 * abstract sockets to each runner. */
#ifndef WD_SANDBOX_NETNS_H
#define WD_SANDBOX_NETNS_H

/* A descriptor of the shared namespace (owned here, never close it), or -1 when this process
 * cannot make one (not root): the runner then makes its own, inside a user namespace. */
int wd_netns_shared(void);

#endif
