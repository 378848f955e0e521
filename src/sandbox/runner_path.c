/* runner_path.c: which warden-runner a warden program starts (see runner_path.h). */
#include "sandbox/runner_path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/file.h"

char *wd_runner_for_program(const char *installed, int up)
{
    const char *env = getenv("WARDEN_RUNNER");
    if (env && *env)
        return NULL;
    char *beside = wd_file_beside_self("warden-runner", up);
    if (beside || !installed || !*installed || installed[0] == '/')
        return beside;
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return NULL;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    char path[8192];
    int w = snprintf(path, sizeof(path), "%s/%s", self, installed);
    if (w < 0 || (size_t)w >= sizeof(path) || access(path, X_OK) != 0)
        return NULL;
    /* Without the "..": the path is also protected from change, and a policy glob has none. */
    return realpath(path, NULL);
}
