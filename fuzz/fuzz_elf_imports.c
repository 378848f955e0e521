/* fuzz_elf_imports.c: the input as a shared object to wd_elf_imports_read(). Aborts when a promise
 * of registry/elf_imports.h breaks: a success lists sorted, unique, non-empty names of at most
 * WD_ELF_MAX_NAME bytes of UTF-8 without '@' or control characters; a failure is WD_EINVAL (or
 * WD_ENOMEM) with a one-line reason recorded and an empty result; reading twice gives the same
 * answer. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry/elf_imports.h"
#include "util/error.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_success(const wd_elf_imports *imp)
{
    if (imp->elf_class != 32 && imp->elf_class != 64)
        abort();
    if (imp->big_endian != 0 && imp->big_endian != 1)
        abort();
    if (imp->count > WD_ELF_MAX_SYMBOLS || (imp->count == 0) != (imp->names == NULL))
        abort();
    for (size_t i = 0; i < imp->count; i++) {
        const char *s = imp->names[i];
        size_t n = strlen(s);
        if (n == 0 || n > WD_ELF_MAX_NAME || memchr(s, '@', n))
            abort();
        for (size_t k = 0; k < n; k++)
            if ((unsigned char)s[k] < 0x20 || s[k] == 0x7f)
                abort();
        size_t bad;
        if (!wd_utf8_valid(s, n, &bad))
            abort();
        if (i > 0 && strcmp(imp->names[i - 1], s) >= 0)
            abort();
    }
}

static void check_failure(int rc, const wd_elf_imports *imp)
{
    if (rc != WD_EINVAL && rc != WD_ENOMEM)
        abort();
    const wd_error *e = wd_error_last();
    if (e->code != rc || e->message[0] == '\0' || strchr(e->message, '\n'))
        abort();
    if (imp->names != NULL || imp->count != 0)
        abort();
}

static bool same(const wd_elf_imports *a, const wd_elf_imports *b)
{
    if (a->count != b->count || a->elf_class != b->elf_class || a->big_endian != b->big_endian ||
        a->machine != b->machine)
        return false;
    for (size_t i = 0; i < a->count; i++)
        if (strcmp(a->names[i], b->names[i]) != 0)
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wd_elf_imports imp, again;
    int rc = wd_elf_imports_read(data, size, &imp);
    if (rc == 0)
        check_success(&imp);
    else
        check_failure(rc, &imp);

    int rc2 = wd_elf_imports_read(data, size, &again);
    /* Out of memory is the one answer allowed to differ between two reads. */
    if (rc != WD_ENOMEM && rc2 != WD_ENOMEM && (rc2 != rc || (rc == 0 && !same(&imp, &again))))
        abort();
    wd_elf_imports_free(&again);
    wd_elf_imports_free(&imp);
    if (imp.names != NULL || imp.count != 0)
        abort();
    return 0;
}
