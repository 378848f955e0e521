/* test_elf_imports.c: reading the imports of a shared object (src/registry/elf_imports.c).
 *
 * Real fixtures (tests/data/elf/, rebuilt by build.sh there) pin the exact import lists that real
 * linkers produce for ELF64/ELF32 in both byte orders. Hostile files are made by mutating copies
 * of those fixtures in memory, and by a small ELF writer here that lays out a minimal shared
 * object from a list of symbols (for limits no linker would produce). */
#include <elf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "registry/elf_imports.h"
#include "util/error.h"
#include "util/utf8.h"

/* ---- buffers and fields ---- */

typedef struct {
    unsigned char *d;
    size_t len;
    bool is64;
    bool be;
} elf_buf;

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0, r;
    unsigned char *buf = malloc(cap);
    assert_non_null(buf);
    while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static elf_buf fixture(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/elf/%s", WD_TEST_DATA, name);
    elf_buf b = {0};
    b.d = read_file(path, &b.len);
    if (!b.d)
        fail_msg("missing fixture %s", path);
    assert_true(b.len >= sizeof(Elf64_Ehdr));
    b.is64 = b.d[EI_CLASS] == ELFCLASS64;
    b.be = b.d[EI_DATA] == ELFDATA2MSB;
    return b;
}

static elf_buf copy_of(const elf_buf *b)
{
    elf_buf c = *b;
    c.d = malloc(b->len ? b->len : 1);
    assert_non_null(c.d);
    memcpy(c.d, b->d, b->len);
    return c;
}

static uint64_t get(const elf_buf *b, size_t off, size_t n)
{
    assert_true(off + n <= b->len);
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | b->d[off + (b->be ? i : n - 1 - i)];
    return v;
}

static void put(elf_buf *b, size_t off, size_t n, uint64_t v)
{
    assert_true(off + n <= b->len);
    for (size_t i = 0; i < n; i++) {
        b->d[off + (b->be ? n - 1 - i : i)] = (unsigned char)v;
        v >>= 8;
    }
}

/* Offset and size of a field of the ELF header, a section header or a symbol, by class. */
#define EH(b, m)                                                                                   \
    ((b)->is64 ? offsetof(Elf64_Ehdr, m) : offsetof(Elf32_Ehdr, m)),                               \
        ((b)->is64 ? sizeof(((Elf64_Ehdr *)0)->m) : sizeof(((Elf32_Ehdr *)0)->m))
#define SH(b, i, m)                                                                                \
    (shdr_at((b), (i)) + ((b)->is64 ? offsetof(Elf64_Shdr, m) : offsetof(Elf32_Shdr, m))),         \
        ((b)->is64 ? sizeof(((Elf64_Shdr *)0)->m) : sizeof(((Elf32_Shdr *)0)->m))
#define SYM(b, i, m)                                                                               \
    (sym_at((b), (i)) + ((b)->is64 ? offsetof(Elf64_Sym, m) : offsetof(Elf32_Sym, m))),            \
        ((b)->is64 ? sizeof(((Elf64_Sym *)0)->m) : sizeof(((Elf32_Sym *)0)->m))

static size_t shdr_at(const elf_buf *b, size_t i)
{
    return (size_t)get(b, EH(b, e_shoff)) + i * (size_t)get(b, EH(b, e_shentsize));
}

static size_t shnum(const elf_buf *b)
{
    return (size_t)get(b, EH(b, e_shnum));
}

/* Index of the first section of this type in a well-formed fixture. */
static size_t section_of_type(const elf_buf *b, uint32_t type)
{
    for (size_t i = 0; i < shnum(b); i++)
        if (get(b, SH(b, i, sh_type)) == type)
            return i;
    fail_msg("fixture has no section of type %u", type);
    return 0;
}

static size_t dynsym(const elf_buf *b)
{
    return section_of_type(b, SHT_DYNSYM);
}

static size_t dynstr(const elf_buf *b)
{
    return (size_t)get(b, SH(b, dynsym(b), sh_link));
}

static size_t sym_at(const elf_buf *b, size_t i)
{
    return (size_t)get(b, SH(b, dynsym(b), sh_offset)) +
           i * (size_t)get(b, SH(b, dynsym(b), sh_entsize));
}

static size_t sym_count(const elf_buf *b)
{
    return (size_t)(get(b, SH(b, dynsym(b), sh_size)) / get(b, SH(b, dynsym(b), sh_entsize)));
}

/* Index of the undefined symbol with this exact name in a fixture. */
static size_t sym_named(const elf_buf *b, const char *name)
{
    size_t strtab = (size_t)get(b, SH(b, dynstr(b), sh_offset));
    for (size_t i = 1; i < sym_count(b); i++) {
        size_t off = strtab + (size_t)get(b, SYM(b, i, st_name));
        if (strcmp((const char *)b->d + off, name) == 0)
            return i;
    }
    fail_msg("fixture has no symbol %s", name);
    return 0;
}

/* ---- checking results ---- */

/* What every successful result must satisfy, whatever the input. */
static void check_invariants(const wd_elf_imports *imp)
{
    assert_true(imp->elf_class == 32 || imp->elf_class == 64);
    assert_true(imp->big_endian == 0 || imp->big_endian == 1);
    assert_true(imp->count <= WD_ELF_MAX_SYMBOLS);
    if (imp->count == 0)
        assert_null(imp->names);
    for (size_t i = 0; i < imp->count; i++) {
        const char *s = imp->names[i];
        assert_non_null(s);
        size_t n = strlen(s);
        assert_true(n >= 1 && n <= WD_ELF_MAX_NAME);
        assert_null(strchr(s, '@'));
        for (size_t k = 0; k < n; k++)
            assert_true((unsigned char)s[k] >= 0x20 && s[k] != 0x7f);
        size_t bad;
        assert_true(wd_utf8_valid(s, n, &bad));
        if (i > 0)
            assert_true(strcmp(imp->names[i - 1], s) < 0);
    }
}

static bool has(const wd_elf_imports *imp, const char *name)
{
    for (size_t i = 0; i < imp->count; i++)
        if (strcmp(imp->names[i], name) == 0)
            return true;
    return false;
}

static void expect_names(const wd_elf_imports *imp, const char *const *want, size_t n)
{
    check_invariants(imp);
    for (size_t i = 0; i < imp->count && i < n; i++)
        assert_string_equal(imp->names[i], want[i]);
    assert_int_equal(imp->count, n);
}

#define EXPECT_NAMES(imp, ...)                                                                     \
    do {                                                                                           \
        static const char *const want_[] = {__VA_ARGS__};                                          \
        expect_names((imp), want_, sizeof(want_) / sizeof(want_[0]));                              \
    } while (0)

static wd_elf_imports read_ok(const elf_buf *b)
{
    wd_elf_imports imp;
    int rc = wd_elf_imports_read(b->d, b->len, &imp);
    if (rc != 0)
        fail_msg("read failed (%d): %s", rc, wd_error_last()->message);
    check_invariants(&imp);
    return imp;
}

/* A failed read: WD_EINVAL, the message recorded for the thread contains why, out is empty. */
static void expect_fail_raw(const unsigned char *d, size_t len, const char *why)
{
    wd_elf_imports imp;
    memset(&imp, 0xa5, sizeof(imp));
    wd_error_clear();
    int rc = wd_elf_imports_read(d, len, &imp);
    if (rc != WD_EINVAL)
        fail_msg("expected WD_EINVAL (%s), got %d", why, rc);
    const wd_error *e = wd_error_last();
    assert_int_equal(e->code, WD_EINVAL);
    if (!strstr(e->message, why))
        fail_msg("message \"%s\" does not contain \"%s\"", e->message, why);
    assert_null(strchr(e->message, '\n'));
    assert_null(imp.names);
    assert_int_equal(imp.count, 0);
    wd_elf_imports_free(&imp);
}

static void expect_fail(const elf_buf *b, const char *why)
{
    expect_fail_raw(b->d, b->len, why);
}

/* ---- the real fixtures ---- */

static void test_fixture_exec(void **state)
{
    (void)state;
    elf_buf b = fixture("libexec.so");
    wd_elf_imports imp = read_ok(&b);
    EXPECT_NAMES(&imp, "_ITM_deregisterTMCloneTable", "_ITM_registerTMCloneTable", "__cxa_finalize",
                 "__gmon_start__", "execve", "system");
    assert_int_equal(imp.elf_class, 64);
    assert_int_equal(imp.big_endian, 0);
    assert_int_equal(imp.machine, EM_X86_64);
    /* The plugin's own export is defined, so it is not an import. */
    assert_false(has(&imp, "plugin_run"));
    wd_elf_imports_free(&imp);
    assert_null(imp.names);
    assert_int_equal(imp.count, 0);
    wd_elf_imports_free(&imp); /* freeing twice is harmless */
    wd_elf_imports_free(NULL);
    free(b.d);
}

static void test_fixture_mem(void **state)
{
    (void)state;
    elf_buf b = fixture("libmem.so");
    wd_elf_imports imp = read_ok(&b);
    /* memcpy is memcpy@GLIBC_2.14 and strlen strlen@GLIBC_2.2.5 in the version tables: the
     * versions are not part of the names. */
    EXPECT_NAMES(&imp, "_ITM_deregisterTMCloneTable", "_ITM_registerTMCloneTable", "__cxa_finalize",
                 "__gmon_start__", "memcpy", "strlen");
    assert_false(has(&imp, "system"));
    assert_false(has(&imp, "execve"));
    wd_elf_imports_free(&imp);
    free(b.d);
}

static void test_fixture_none(void **state)
{
    (void)state;
    elf_buf b = fixture("libnone.so");
    wd_elf_imports imp = read_ok(&b);
    assert_int_equal(imp.count, 0);
    assert_null(imp.names);
    assert_int_equal(imp.elf_class, 64);
    assert_int_equal(imp.machine, EM_X86_64);
    wd_elf_imports_free(&imp);
    free(b.d);
}

static void test_fixture_foreign(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        int elf_class, big_endian;
        unsigned machine;
    } cases[] = {
        {"libforeign-i386.so", 32, 0, EM_386},
        {"libforeign-ppc64be.so", 64, 1, EM_PPC64},
        {"libforeign-mips32be.so", 32, 1, EM_MIPS},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        elf_buf b = fixture(cases[i].file);
        wd_elf_imports imp = read_ok(&b);
        EXPECT_NAMES(&imp, "fork", "ptrace", "system");
        assert_int_equal(imp.elf_class, cases[i].elf_class);
        assert_int_equal(imp.big_endian, cases[i].big_endian);
        assert_int_equal(imp.machine, cases[i].machine);
        wd_elf_imports_free(&imp);
        free(b.d);
    }
}

static void test_version_suffix_cut(void **state)
{
    (void)state;
    elf_buf b = fixture("libver.so");
    wd_elf_imports imp = read_ok(&b);
    EXPECT_NAMES(&imp, "system", "systemXGLIBC_2.2.5");
    wd_elf_imports_free(&imp);

    /* "systemXGLIBC_2.2.5" -> "system@GLIBC_2.2.5": cut at '@' and merged with "system". */
    size_t strtab = (size_t)get(&b, SH(&b, dynstr(&b), sh_offset));
    size_t name = strtab + (size_t)get(&b, SYM(&b, sym_named(&b, "systemXGLIBC_2.2.5"), st_name));
    b.d[name + 6] = '@';
    imp = read_ok(&b);
    EXPECT_NAMES(&imp, "system");
    wd_elf_imports_free(&imp);

    /* A name that is all suffix ("@GLIBC...") is unnamed: not an import. */
    b.d[name] = '@';
    imp = read_ok(&b);
    EXPECT_NAMES(&imp, "system");
    wd_elf_imports_free(&imp);
    free(b.d);
}

/* ---- a minimal ELF writer ---- */

typedef struct {
    const char *name; /* NULL: st_name 0 */
    unsigned char info;
    uint16_t shndx;
} sym_spec;

#define UNDEF_FUNC(n)                                                                              \
    {                                                                                              \
        (n), ELF64_ST_INFO(STB_GLOBAL, STT_FUNC), SHN_UNDEF                                        \
    }

/* A shared object with a .dynstr (section 1) and a .dynsym (section 2, symbol 0 null), section
 * headers last. Names equal to an earlier one share its string. */
static elf_buf build_elf(bool is64, bool be, const sym_spec *syms, size_t n)
{
    elf_buf b = {0};
    b.is64 = is64;
    b.be = be;
    size_t ehsize = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
    size_t shsize = is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
    size_t symsize = is64 ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym);

    size_t strsize = 1;
    for (size_t i = 0; i < n; i++)
        if (syms[i].name && (i == 0 || !syms[i - 1].name || strcmp(syms[i - 1].name, syms[i].name)))
            strsize += strlen(syms[i].name) + 1;
    size_t stroff = ehsize;
    size_t symoff = (stroff + strsize + 7) & ~(size_t)7;
    size_t shoff = symoff + (n + 1) * symsize;
    b.len = shoff + 3 * shsize;
    b.d = calloc(1, b.len);
    assert_non_null(b.d);

    memcpy(b.d, ELFMAG, SELFMAG);
    b.d[EI_CLASS] = is64 ? ELFCLASS64 : ELFCLASS32;
    b.d[EI_DATA] = be ? ELFDATA2MSB : ELFDATA2LSB;
    b.d[EI_VERSION] = EV_CURRENT;
    put(&b, EH(&b, e_type), ET_DYN);
    put(&b, EH(&b, e_machine), EM_X86_64);
    put(&b, EH(&b, e_version), EV_CURRENT);
    put(&b, EH(&b, e_ehsize), ehsize);
    put(&b, EH(&b, e_shoff), shoff);
    put(&b, EH(&b, e_shentsize), shsize);
    put(&b, EH(&b, e_shnum), 3);

    put(&b, SH(&b, 1, sh_type), SHT_STRTAB);
    put(&b, SH(&b, 1, sh_offset), stroff);
    put(&b, SH(&b, 1, sh_size), strsize);
    put(&b, SH(&b, 2, sh_type), SHT_DYNSYM);
    put(&b, SH(&b, 2, sh_offset), symoff);
    put(&b, SH(&b, 2, sh_size), (n + 1) * symsize);
    put(&b, SH(&b, 2, sh_entsize), symsize);
    put(&b, SH(&b, 2, sh_link), 1);

    size_t str = 1, last = 0;
    for (size_t i = 0; i < n; i++) {
        size_t name = 0;
        if (syms[i].name && i > 0 && syms[i - 1].name && !strcmp(syms[i - 1].name, syms[i].name)) {
            name = last;
        } else if (syms[i].name) {
            name = str;
            memcpy(b.d + stroff + str, syms[i].name, strlen(syms[i].name) + 1);
            str += strlen(syms[i].name) + 1;
        }
        last = name;
        put(&b, SYM(&b, i + 1, st_name), name);
        put(&b, SYM(&b, i + 1, st_info), syms[i].info);
        put(&b, SYM(&b, i + 1, st_shndx), syms[i].shndx);
    }
    return b;
}

static void test_synthetic_all_layouts(void **state)
{
    (void)state;
    const sym_spec syms[] = {
        UNDEF_FUNC("write"),
        {"defined_fn", ELF64_ST_INFO(STB_GLOBAL, STT_FUNC), 7},
        {"abs_value", ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT), SHN_ABS},
        {"common_value", ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT), SHN_COMMON},
        {"weak_import", ELF64_ST_INFO(STB_WEAK, STT_NOTYPE), SHN_UNDEF},
        {"a_section", ELF64_ST_INFO(STB_LOCAL, STT_SECTION), SHN_UNDEF},
        {"a_file.c", ELF64_ST_INFO(STB_LOCAL, STT_FILE), SHN_UNDEF},
        {NULL, ELF64_ST_INFO(STB_GLOBAL, STT_FUNC), SHN_UNDEF},
        UNDEF_FUNC("dlopen"),
        UNDEF_FUNC("write"),
        UNDEF_FUNC("write@GLIBC_2.2.5"),
        UNDEF_FUNC("@GLIBC_2.2.5"),
        {"errno_tls", ELF64_ST_INFO(STB_GLOBAL, STT_TLS), SHN_UNDEF},
        UNDEF_FUNC("Zeta"),
        UNDEF_FUNC("a"),
    };
    const size_t n = sizeof(syms) / sizeof(syms[0]);
    for (int layout = 0; layout < 4; layout++) {
        elf_buf b = build_elf(layout & 1, layout & 2, syms, n);
        wd_elf_imports imp = read_ok(&b);
        EXPECT_NAMES(&imp, "Zeta", "a", "dlopen", "errno_tls", "weak_import", "write");
        assert_int_equal(imp.elf_class, (layout & 1) ? 64 : 32);
        assert_int_equal(imp.big_endian, (layout & 2) ? 1 : 0);
        assert_int_equal(imp.machine, EM_X86_64);
        wd_elf_imports_free(&imp);

        /* Same bytes read in the other byte order: e_type is no longer ET_DYN. */
        b.d[EI_DATA] = (layout & 2) ? ELFDATA2LSB : ELFDATA2MSB;
        expect_fail(&b, "not a shared object");
        free(b.d);
    }
}

static void test_symbol_count_limit(void **state)
{
    (void)state;
    /* With the null symbol, WD_ELF_MAX_SYMBOLS entries exactly: accepted; one more: refused. */
    size_t n = WD_ELF_MAX_SYMBOLS;
    sym_spec *syms = malloc(n * sizeof(*syms));
    assert_non_null(syms);
    for (size_t i = 0; i < n; i++)
        syms[i] = (sym_spec)UNDEF_FUNC("fork");
    elf_buf b = build_elf(true, false, syms, n - 1);
    wd_elf_imports imp = read_ok(&b);
    EXPECT_NAMES(&imp, "fork");
    wd_elf_imports_free(&imp);
    free(b.d);

    b = build_elf(false, true, syms, n);
    expect_fail(&b, "more than 65536 dynamic symbols");
    free(b.d);
    free(syms);
}

static void test_name_limits(void **state)
{
    (void)state;
    char *longest = malloc(WD_ELF_MAX_NAME + 2);
    assert_non_null(longest);
    memset(longest, 'x', WD_ELF_MAX_NAME + 1);
    longest[WD_ELF_MAX_NAME] = '\0';
    sym_spec syms[] = {UNDEF_FUNC("getpid"), UNDEF_FUNC(longest)};
    elf_buf b = build_elf(true, false, syms, 2);
    wd_elf_imports imp = read_ok(&b);
    assert_int_equal(imp.count, 2);
    assert_int_equal(strlen(imp.names[1]), WD_ELF_MAX_NAME);
    wd_elf_imports_free(&imp);
    free(b.d);

    longest[WD_ELF_MAX_NAME] = 'x';
    longest[WD_ELF_MAX_NAME + 1] = '\0';
    b = build_elf(false, false, syms, 2);
    expect_fail(&b, "name longer than 1024 bytes");
    free(b.d);

    /* Long but with a version suffix: the limit is on the name as stored. */
    longest[10] = '@';
    b = build_elf(false, false, syms, 2);
    expect_fail(&b, "name longer than 1024 bytes");
    free(b.d);

    /* A defined symbol's name is never read, whatever its length. */
    syms[1].shndx = 5;
    b = build_elf(true, true, syms, 2);
    imp = read_ok(&b);
    EXPECT_NAMES(&imp, "getpid");
    wd_elf_imports_free(&imp);
    free(b.d);
    free(longest);

    const char *control[] = {"evil\nsystem", "tab\tname", "del\x7f", "\x1b[31mred"};
    for (size_t i = 0; i < sizeof(control) / sizeof(control[0]); i++) {
        sym_spec one[] = {UNDEF_FUNC(control[i])};
        b = build_elf(true, false, one, 1);
        expect_fail(&b, "control character");
        free(b.d);
    }
    const char *not_utf8[] = {"caf\xc3", "\xff\xfe", "over\xc0\xaflong", "sur\xed\xa0\x80"};
    for (size_t i = 0; i < sizeof(not_utf8) / sizeof(not_utf8[0]); i++) {
        sym_spec one[] = {UNDEF_FUNC(not_utf8[i])};
        b = build_elf(false, true, one, 1);
        expect_fail(&b, "not valid UTF-8");
        free(b.d);
    }
    /* UTF-8 identifiers exist: bytes above 0x7f are fine when they are valid UTF-8. */
    sym_spec utf8[] = {UNDEF_FUNC("caf\xc3\xa9")};
    b = build_elf(true, false, utf8, 1);
    imp = read_ok(&b);
    EXPECT_NAMES(&imp, "caf\xc3\xa9");
    wd_elf_imports_free(&imp);
    free(b.d);
}

static void test_extended_section_numbering(void **state)
{
    (void)state;
    sym_spec syms[] = {UNDEF_FUNC("execve")};
    for (int is64 = 0; is64 < 2; is64++) {
        elf_buf b = build_elf(is64, !is64, syms, 1);
        /* e_shnum 0 at a non-zero e_shoff: the count is in section 0's sh_size. */
        put(&b, EH(&b, e_shnum), 0);
        put(&b, SH(&b, 0, sh_size), 3);
        wd_elf_imports imp = read_ok(&b);
        EXPECT_NAMES(&imp, "execve");
        wd_elf_imports_free(&imp);

        put(&b, SH(&b, 0, sh_size), 4);
        expect_fail(&b, "section header out of bounds");
        put(&b, SH(&b, 0, sh_size), is64 ? UINT64_MAX : UINT32_MAX);
        expect_fail(&b, "section header out of bounds");
        put(&b, SH(&b, 0, sh_size), 0);
        expect_fail(&b, "section header count is 0");
        free(b.d);
    }
}

/* ---- hostile mutations of real fixtures ---- */

static const char *const all_fixtures[] = {
    "libexec.so",
    "libmem.so",
    "libnone.so",
    "libver.so",
    "libforeign-i386.so",
    "libforeign-ppc64be.so",
    "libforeign-mips32be.so",
};

static void test_truncated_everywhere(void **state)
{
    (void)state;
    for (size_t f = 0; f < sizeof(all_fixtures) / sizeof(all_fixtures[0]); f++) {
        elf_buf b = fixture(all_fixtures[f]);
        wd_elf_imports full = read_ok(&b);
        for (size_t cut = 0; cut < b.len; cut += 16) {
            /* A copy of exactly cut bytes, so ASan sees any read past the end. */
            unsigned char *part = malloc(cut ? cut : 1);
            assert_non_null(part);
            memcpy(part, b.d, cut);
            wd_elf_imports imp;
            int rc = wd_elf_imports_read(part, cut, &imp);
            if (rc == 0) {
                check_invariants(&imp);
                for (size_t i = 0; i < imp.count; i++)
                    assert_true(has(&full, imp.names[i]));
            } else {
                assert_int_equal(rc, WD_EINVAL);
                assert_true(wd_error_last()->message[0] != '\0');
                assert_null(imp.names);
            }
            wd_elf_imports_free(&imp);
            free(part);
        }
        /* Section headers come last in every fixture: any cut loses them. */
        expect_fail_raw(b.d, b.len - 1, "section header out of bounds");
        wd_elf_imports_free(&full);
        free(b.d);
    }
}

static void test_bad_identification(void **state)
{
    (void)state;
    elf_buf orig = fixture("libexec.so");
    elf_buf b = copy_of(&orig);

    expect_fail_raw(b.d, 0, "not an ELF file");
    expect_fail_raw(b.d, 3, "not an ELF file");
    expect_fail_raw(b.d, EI_NIDENT, "ELF header truncated");
    expect_fail_raw(b.d, sizeof(Elf64_Ehdr) - 1, "ELF header truncated");
    b.d[0] = 0x7e;
    expect_fail(&b, "not an ELF file");
    b.d[0] = ELFMAG0;
    b.d[3] = 'f';
    expect_fail(&b, "not an ELF file");
    b.d[3] = ELFMAG3;
    b.d[EI_CLASS] = ELFCLASSNONE;
    expect_fail(&b, "unknown class");
    b.d[EI_CLASS] = 3;
    expect_fail(&b, "unknown class");
    b.d[EI_CLASS] = ELFCLASS64;
    b.d[EI_DATA] = 0;
    expect_fail(&b, "unknown byte order");
    b.d[EI_DATA] = ELFDATA2MSB; /* byte order flipped: e_type reads as 0x0300 */
    expect_fail(&b, "not a shared object");
    b.d[EI_DATA] = ELFDATA2LSB;
    b.d[EI_VERSION] = 2;
    expect_fail(&b, "unknown version");
    b.d[EI_VERSION] = EV_CURRENT;
    /* ELF64 bytes read as ELF32: the header no longer describes a valid section table. */
    b.d[EI_CLASS] = ELFCLASS32;
    wd_elf_imports imp;
    assert_int_equal(wd_elf_imports_read(b.d, b.len, &imp), WD_EINVAL);
    b.d[EI_CLASS] = ELFCLASS64;

    const uint16_t types[] = {ET_NONE, ET_REL, ET_EXEC, ET_CORE, 0xfe00, 0xffff};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        put(&b, EH(&b, e_type), types[i]);
        expect_fail(&b, "not a shared object");
    }
    put(&b, EH(&b, e_type), ET_DYN);
    imp = read_ok(&b);
    assert_true(has(&imp, "system"));
    wd_elf_imports_free(&imp);

    expect_fail_raw(NULL, 10, "no data");
    expect_fail_raw(NULL, 0, "not an ELF file");
    assert_int_equal(wd_elf_imports_read(b.d, b.len, NULL), WD_EINVAL);
    free(b.d);

    /* Big-endian fixture with its byte order flipped to little. */
    elf_buf be = fixture("libforeign-ppc64be.so");
    be.d[EI_DATA] = ELFDATA2LSB;
    expect_fail(&be, "not a shared object");
    free(be.d);
    free(orig.d);
}

/* The real libraries the damage tests start from: one per class, byte order and relocation
 * style (x86-64 RELA, i386 REL, ppc64 big-endian, MIPS32 big-endian through the GOT). */
static const char *const damage_fixtures[] = {"libexec.so", "libforeign-i386.so",
                                              "libforeign-ppc64be.so", "libforeign-mips32be.so"};
#define N_FIXTURES (sizeof(damage_fixtures) / sizeof(damage_fixtures[0]))

static void test_bad_section_table(void **state)
{
    (void)state;
    for (size_t f = 0; f < N_FIXTURES; f++) {
        elf_buf orig = fixture(damage_fixtures[f]);
        const uint64_t umax = orig.is64 ? UINT64_MAX : UINT32_MAX;
        uint64_t shoff = get(&orig, EH(&orig, e_shoff));
        elf_buf b = copy_of(&orig);

        put(&b, EH(&b, e_shoff), b.len);
        expect_fail(&b, "section header out of bounds");
        put(&b, EH(&b, e_shoff), b.len - 10);
        expect_fail(&b, "section header out of bounds");
        put(&b, EH(&b, e_shoff), umax);
        expect_fail(&b, "section header out of bounds");
        put(&b, EH(&b, e_shoff), umax - 7);
        expect_fail(&b, "section header out of bounds");
        put(&b, EH(&b, e_shoff), shoff + 1); /* in bounds for section 0, not for the rest */
        expect_fail(&b, "section header out of bounds");
        put(&b, EH(&b, e_shoff), 0);
        expect_fail(&b, "section header out of bounds: offset 0");
        put(&b, EH(&b, e_shoff), shoff);

        put(&b, EH(&b, e_shnum), 0xffff);
        expect_fail(&b, "section header out of bounds");
        put(&b, EH(&b, e_shnum), shnum(&orig) + 1);
        expect_fail(&b, "section header out of bounds");
        put(&b, EH(&b, e_shnum), shnum(&orig));

        const uint16_t entsizes[] = {0, 1, 39, 41, 63, 65, 0xffff};
        for (size_t i = 0; i < sizeof(entsizes) / sizeof(entsizes[0]); i++) {
            put(&b, EH(&b, e_shentsize), entsizes[i]);
            expect_fail(&b, "section header entry size");
        }
        put(&b, EH(&b, e_shentsize), get(&orig, EH(&orig, e_shentsize)));

        /* No section header table at all. The dynamic loader never reads section headers and
         * would load this file, system() and all: with a dynamic segment that names a symbol
         * table, "no .dynsym to inspect" means unverifiable, and it is refused. */
        put(&b, EH(&b, e_shoff), 0);
        put(&b, EH(&b, e_shnum), 0);
        expect_fail(&b, "imports cannot be verified");
        free(b.d);

        /* Fewer sections (the table is cut before .dynsym): the same trick, refused. */
        b = copy_of(&orig);
        put(&b, EH(&b, e_shnum), dynsym(&orig));
        expect_fail(&b, "imports cannot be verified");
        free(b.d);
        free(orig.d);
    }
}

static void test_bad_dynsym(void **state)
{
    (void)state;
    for (size_t f = 0; f < N_FIXTURES; f++) {
        elf_buf orig = fixture(damage_fixtures[f]);
        const uint64_t umax = orig.is64 ? UINT64_MAX : UINT32_MAX;
        size_t ds = dynsym(&orig);
        uint64_t off = get(&orig, SH(&orig, ds, sh_offset));
        uint64_t size = get(&orig, SH(&orig, ds, sh_size));
        uint64_t entsize = get(&orig, SH(&orig, ds, sh_entsize));
        uint32_t link = (uint32_t)get(&orig, SH(&orig, ds, sh_link));
        elf_buf b = copy_of(&orig);

        put(&b, SH(&b, ds, sh_offset), umax - 8); /* offset + size wraps */
        expect_fail(&b, "dynamic symbol table out of bounds");
        put(&b, SH(&b, ds, sh_offset), b.len - entsize + 1);
        put(&b, SH(&b, ds, sh_size), entsize);
        expect_fail(&b, "dynamic symbol table out of bounds");
        put(&b, SH(&b, ds, sh_offset), off);
        put(&b, SH(&b, ds, sh_size), umax);
        expect_fail(&b, "dynamic symbol table out of bounds");
        put(&b, SH(&b, ds, sh_size), size - 1);
        expect_fail(&b, "not a multiple");
        put(&b, SH(&b, ds, sh_size), size);

        /* Including the other class's symbol size (16 for ELF32, 24 for ELF64). */
        const uint64_t bad_entsizes[] = {0, 1, orig.is64 ? 16 : 24, entsize - 1, entsize + 1, umax};
        for (size_t i = 0; i < sizeof(bad_entsizes) / sizeof(bad_entsizes[0]); i++) {
            put(&b, SH(&b, ds, sh_entsize), bad_entsizes[i]);
            expect_fail(&b, "dynamic symbol entry size");
        }
        put(&b, SH(&b, ds, sh_entsize), entsize);

        put(&b, SH(&b, ds, sh_link), shnum(&b));
        expect_fail(&b, "string table index");
        put(&b, SH(&b, ds, sh_link), 0xffffffffu);
        expect_fail(&b, "string table index");
        put(&b, SH(&b, ds, sh_link), 0);
        expect_fail(&b, "string table index");
        put(&b, SH(&b, ds, sh_link), ds); /* itself: SHT_DYNSYM, not a string table */
        expect_fail(&b, "not SHT_STRTAB");
        put(&b, SH(&b, ds, sh_link), link);

        /* A second SHT_DYNSYM: which one the reader picks must not be a choice. */
        size_t other = ds == 1 ? 2 : 1;
        put(&b, SH(&b, other, sh_type), SHT_DYNSYM);
        expect_fail(&b, "more than one dynamic symbol table");
        put(&b, SH(&b, other, sh_type), get(&orig, SH(&orig, other, sh_type)));

        /* .dynsym retyped while the loader still binds through DT_SYMTAB: refused, not read
         * as "no imports". */
        put(&b, SH(&b, ds, sh_type), SHT_PROGBITS);
        expect_fail(&b, "imports cannot be verified");
        put(&b, SH(&b, ds, sh_type), SHT_DYNSYM);

        /* An emptied .dynsym with the loader's table still there: refused too. */
        put(&b, SH(&b, ds, sh_size), 0);
        expect_fail(&b, "imports cannot be verified");
        put(&b, SH(&b, ds, sh_size), size);

        /* A .dynsym cut short while the loader's table goes on: the symbols past its end
         * (system and execve among them) would be bound but never listed. Refused. */
        put(&b, SH(&b, ds, sh_size), 2 * entsize);
        expect_fail(&b, "imports cannot be verified");
        put(&b, SH(&b, ds, sh_size), size - entsize);
        if (f == 0) { /* libexec: its last symbol is its own export, no import hides there */
            wd_elf_imports imp = read_ok(&b);
            assert_false(has(&imp, "plugin_run"));
            assert_true(has(&imp, "system"));
            wd_elf_imports_free(&imp);
        }
        put(&b, SH(&b, ds, sh_size), size);

        /* The section's address moved away from the loader's DT_SYMTAB: refused. */
        uint64_t addr = get(&orig, SH(&orig, ds, sh_addr));
        put(&b, SH(&b, ds, sh_addr), addr + entsize);
        expect_fail(&b, "imports cannot be verified");
        put(&b, SH(&b, ds, sh_addr), addr);

        /* Same address, other bytes: .dynsym read from a decoy offset while the loader maps
         * the real table at the address. Refused. */
        unsigned char *grown = realloc(b.d, b.len + size);
        assert_non_null(grown);
        b.d = grown;
        memcpy(b.d + b.len, b.d + off, size); /* an identical decoy, appended */
        put(&b, SH(&b, ds, sh_offset), b.len);
        b.len += size;
        expect_fail(&b, "not the ones the loader maps");
        b.len -= size;
        put(&b, SH(&b, ds, sh_offset), off);

        /* Two loadable segments over the table's address: the loader's later mapping wins,
         * so which bytes are inspected would be a guess. Refused. */
        size_t phoff = (size_t)get(&b, EH(&b, e_phoff)),
               phsz = (size_t)get(&b, EH(&b, e_phentsize));
        size_t phn = (size_t)get(&b, EH(&b, e_phnum)), first = SIZE_MAX, second = SIZE_MAX;
        for (size_t i = 0; i < phn; i++)
            if (get(&b, phoff + i * phsz, 4) == PT_LOAD) {
                if (first == SIZE_MAX)
                    first = i;
                else if (second == SIZE_MAX)
                    second = i;
            }
        assert_true(second != SIZE_MAX);
        size_t va = b.is64 ? offsetof(Elf64_Phdr, p_vaddr) : offsetof(Elf32_Phdr, p_vaddr);
        size_t fo = b.is64 ? offsetof(Elf64_Phdr, p_offset) : offsetof(Elf32_Phdr, p_offset);
        size_t fs = b.is64 ? offsetof(Elf64_Phdr, p_filesz) : offsetof(Elf32_Phdr, p_filesz);
        size_t w = b.is64 ? 8 : 4;
        for (size_t k = 0; k < 3; k++) {
            size_t m = k == 0 ? va : k == 1 ? fo : fs;
            put(&b, phoff + second * phsz + m, w, get(&b, phoff + first * phsz + m, w));
        }
        expect_fail(&b, "imports cannot be verified");
        memcpy(b.d, orig.d, b.len);

        assert_memory_equal(b.d, orig.d, b.len);
        free(b.d);
        free(orig.d);
    }
}

/* The file offset of the value of the first dynamic entry with tag, or SIZE_MAX. */
static size_t dyn_val_at(const elf_buf *b, uint64_t tag)
{
    size_t phoff = (size_t)get(b, EH(b, e_phoff)), phsz = (size_t)get(b, EH(b, e_phentsize));
    size_t w = b->is64 ? 8 : 4;
    for (size_t i = 0; i < (size_t)get(b, EH(b, e_phnum)); i++) {
        size_t ph = phoff + i * phsz;
        if (get(b, ph, 4) != PT_DYNAMIC)
            continue;
        size_t off = (size_t)get(
            b, ph + (b->is64 ? offsetof(Elf64_Phdr, p_offset) : offsetof(Elf32_Phdr, p_offset)), w);
        size_t size = (size_t)get(
            b, ph + (b->is64 ? offsetof(Elf64_Phdr, p_filesz) : offsetof(Elf32_Phdr, p_filesz)), w);
        for (size_t e = off; e + 2 * w <= off + size; e += 2 * w) {
            uint64_t t = get(b, e, w);
            if (t == tag)
                return e + w;
            if (t == DT_NULL)
                break;
        }
    }
    return SIZE_MAX;
}

/* The loader's relocation and hash tables, damaged: each is refused as unverifiable. */
static void test_bad_loader_tables(void **state)
{
    (void)state;
    size_t tried = 0;
    for (size_t f = 0; f < N_FIXTURES; f++) {
        elf_buf orig = fixture(damage_fixtures[f]);
        elf_buf b = copy_of(&orig);
        size_t w = b.is64 ? 8 : 4, at;
        if ((at = dyn_val_at(&b, DT_PLTREL)) != SIZE_MAX) {
            put(&b, at, w, 99);
            expect_fail(&b, "DT_PLTREL");
            memcpy(b.d, orig.d, b.len);
            tried++;
        }
        if ((at = dyn_val_at(&b, DT_PLTRELSZ)) != SIZE_MAX) {
            put(&b, at, w, get(&b, at, w) + 1);
            expect_fail(&b, "not a multiple of its entry size");
            memcpy(b.d, orig.d, b.len);
            tried++;
        }
        uint64_t tags[] = {DT_JMPREL, DT_RELA, DT_REL};
        for (size_t t = 0; t < 3; t++)
            if ((at = dyn_val_at(&b, tags[t])) != SIZE_MAX) {
                put(&b, at, w, b.is64 ? 0x7ffffff00000ull : 0x7fff0000u); /* nowhere mapped */
                expect_fail(&b, "relocations are not where the dynamic segment says");
                memcpy(b.d, orig.d, b.len);
                tried++;
            }
        uint64_t nsyms = sym_count(&b);
        if ((at = dyn_val_at(&b, DT_HASH)) != SIZE_MAX) {
            /* nchain, the loader's symbol count, above .dynsym's (the first PT_LOAD of these
             * fixtures maps the file from offset 0 at address 0) */
            size_t nchain = (size_t)get(&b, at, w) + 4;
            assert_int_equal(get(&b, nchain, 4), nsyms);
            put(&b, nchain, 4, nsyms + 1);
            expect_fail(&b, "the loader sees");
            put(&b, nchain, 4, nsyms);
            put(&b, at, w, b.is64 ? 0x7ffffff00000ull : 0x7fff0000u);
            expect_fail(&b, "DT_HASH");
            memcpy(b.d, orig.d, b.len);
            tried += 2;
        }
        if ((at = dyn_val_at(&b, DT_MIPS_SYMTABNO)) != SIZE_MAX) {
            put(&b, at, w, nsyms + 1);
            expect_fail(&b, "the loader sees");
            memcpy(b.d, orig.d, b.len);
            tried++;
        }
        assert_memory_equal(b.d, orig.d, b.len);
        free(b.d);
        free(orig.d);
    }
    assert_true(tried >= 15); /* the fixtures do have these tables */
}

static void test_bad_strtab(void **state)
{
    (void)state;
    for (size_t f = 0; f < N_FIXTURES; f++) {
        elf_buf orig = fixture(damage_fixtures[f]);
        const uint64_t umax = orig.is64 ? UINT64_MAX : UINT32_MAX;
        size_t ss = dynstr(&orig);
        uint64_t off = get(&orig, SH(&orig, ss, sh_offset));
        uint64_t size = get(&orig, SH(&orig, ss, sh_size));
        size_t sys = sym_named(&orig, "system");
        uint64_t sys_name = get(&orig, SYM(&orig, sys, st_name));
        elf_buf b = copy_of(&orig);

        put(&b, SH(&b, ss, sh_offset), umax - 4); /* offset + size wraps */
        expect_fail(&b, "string table out of bounds");
        put(&b, SH(&b, ss, sh_offset), off);
        put(&b, SH(&b, ss, sh_size), umax);
        expect_fail(&b, "string table out of bounds");
        put(&b, SH(&b, ss, sh_size), b.len - off + 1);
        expect_fail(&b, "string table out of bounds");

        /* The table ends inside "system": its terminator is outside the table. */
        put(&b, SH(&b, ss, sh_size), sys_name + 3);
        expect_fail(&b, "symbol name not terminated");
        /* The table ends right at "system": the offset is past it. */
        put(&b, SH(&b, ss, sh_size), sys_name);
        expect_fail(&b, "past the string table");
        put(&b, SH(&b, ss, sh_size), 0);
        expect_fail(&b, "past the string table");
        put(&b, SH(&b, ss, sh_size), size);

        /* The name's NUL overwritten: the name runs into the next string, which is read as part
         * of it, or, when "system" is the table's last string, is not terminated at all. */
        size_t at = (size_t)(off + sys_name);
        b.d[at + 6] = 'X';
        wd_elf_imports imp;
        if (at + 7 == off + size) {
            expect_fail(&b, "symbol name not terminated");
        } else {
            imp = read_ok(&b);
            assert_false(has(&imp, "system"));
            wd_elf_imports_free(&imp);
        }
        b.d[at + 6] = '\0';

        /* The table's last byte not NUL: only matters if a name reaches it. */
        b.d[off + size - 1] = 'Z';
        int rc = wd_elf_imports_read(b.d, b.len, &imp);
        assert_true(rc == 0 || rc == WD_EINVAL);
        if (rc == 0)
            assert_true(has(&imp, "system"));
        wd_elf_imports_free(&imp);
        b.d[off + size - 1] = '\0';

        put(&b, SYM(&b, sys, st_name), 0xffffffffu);
        expect_fail(&b, "past the string table");
        put(&b, SYM(&b, sys, st_name), size);
        expect_fail(&b, "past the string table");
        put(&b, SYM(&b, sys, st_name), size - 1); /* the final NUL: an empty name */
        imp = read_ok(&b);
        assert_false(has(&imp, "system"));
        wd_elf_imports_free(&imp);
        put(&b, SYM(&b, sys, st_name), 0); /* unnamed */
        imp = read_ok(&b);
        assert_false(has(&imp, "system"));
        wd_elf_imports_free(&imp);
        put(&b, SYM(&b, sys, st_name), sys_name);

        /* Defined, or a section/file symbol: not an import any more. */
        put(&b, SYM(&b, sys, st_shndx), 1);
        imp = read_ok(&b);
        assert_false(has(&imp, "system"));
        wd_elf_imports_free(&imp);
        put(&b, SYM(&b, sys, st_shndx), SHN_UNDEF);
        put(&b, SYM(&b, sys, st_info), ELF64_ST_INFO(STB_LOCAL, STT_SECTION));
        imp = read_ok(&b);
        assert_false(has(&imp, "system"));
        wd_elf_imports_free(&imp);
        put(&b, SYM(&b, sys, st_info), get(&orig, SYM(&orig, sys, st_info)));

        /* A decoy .dynstr (system renamed) read at another offset while the loader maps the
         * real strings at the address: refused, never read as "no system". */
        unsigned char *grown = realloc(b.d, b.len + size);
        assert_non_null(grown);
        b.d = grown;
        memcpy(b.d + b.len, b.d + off, size); /* appended, so nothing else moves */
        b.d[b.len + sys_name + 3] = 'x';
        put(&b, SH(&b, ss, sh_offset), b.len);
        b.len += size;
        expect_fail(&b, "not the ones the loader maps");
        b.len -= size;
        memcpy(b.d, orig.d, b.len);

        assert_memory_equal(b.d, orig.d, b.len);
        free(b.d);
        free(orig.d);
    }
}

/* Random byte and field damage with a fixed seed: never a crash, a leak or a broken promise. */
static void test_random_damage(void **state)
{
    (void)state;
    uint64_t seed = 0x9e3779b97f4a7c15u;
    for (size_t f = 0; f < sizeof(all_fixtures) / sizeof(all_fixtures[0]); f++) {
        elf_buf orig = fixture(all_fixtures[f]);
        for (int round = 0; round < 3000; round++) {
            elf_buf b = copy_of(&orig);
            int edits = 1 + round % 4;
            for (int e = 0; e < edits; e++) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                /* Most edits hit the header, the section table or the symbols: the interesting
                 * bytes, rather than code nobody reads. */
                size_t pos;
                switch (seed % 3) {
                case 0:
                    pos = (size_t)(seed >> 8) % 64;
                    break;
                case 1:
                    pos = shdr_at(&orig, 0) + (size_t)(seed >> 8) % (b.len - shdr_at(&orig, 0));
                    break;
                default:
                    pos = (size_t)(seed >> 8) % b.len;
                    break;
                }
                b.d[pos] = (unsigned char)(seed >> 40);
            }
            wd_elf_imports imp;
            int rc = wd_elf_imports_read(b.d, b.len, &imp);
            if (rc == 0)
                check_invariants(&imp);
            else
                assert_int_equal(rc, WD_EINVAL);
            wd_elf_imports_free(&imp);
            free(b.d);
        }
        free(orig.d);
    }
}

/* ---- real files on this machine ---- */

static void test_system_files(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        const char *must_import; /* or NULL */
    } files[] = {
        {"/bin/true", "__libc_start_main"},
        {"/usr/lib/x86_64-linux-gnu/libc.so.6", NULL},
        {"/lib/x86_64-linux-gnu/libcrypto.so.3", "malloc"},
        {"/usr/lib/x86_64-linux-gnu/libcrypto.so.3", "malloc"},
    };
    size_t seen = 0;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        size_t len = 0;
        unsigned char *d = read_file(files[i].path, &len);
        if (!d)
            continue;
        if (len >= EI_NIDENT + 2 && memcmp(d, ELFMAG, SELFMAG) == 0 && d[16] == ET_EXEC &&
            d[17] == 0) {
            expect_fail_raw(d, len, "not a shared object"); /* a non-PIE executable */
            free(d);
            continue;
        }
        wd_elf_imports imp;
        int rc = wd_elf_imports_read(d, len, &imp);
        if (rc != 0)
            fail_msg("%s: %s", files[i].path, wd_error_last()->message);
        check_invariants(&imp);
        if (files[i].must_import)
            assert_true(has(&imp, files[i].must_import));
        assert_false(has(&imp, "system") && strstr(files[i].path, "libc.so"));
        /* Reading twice gives the same list. */
        wd_elf_imports again;
        assert_int_equal(wd_elf_imports_read(d, len, &again), 0);
        assert_int_equal(again.count, imp.count);
        for (size_t k = 0; k < imp.count; k++)
            assert_string_equal(again.names[k], imp.names[k]);
        wd_elf_imports_free(&again);
        wd_elf_imports_free(&imp);
        free(d);
        seen++;
    }
    if (seen == 0)
        skip();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_exec),
        cmocka_unit_test(test_fixture_mem),
        cmocka_unit_test(test_fixture_none),
        cmocka_unit_test(test_fixture_foreign),
        cmocka_unit_test(test_version_suffix_cut),
        cmocka_unit_test(test_synthetic_all_layouts),
        cmocka_unit_test(test_symbol_count_limit),
        cmocka_unit_test(test_name_limits),
        cmocka_unit_test(test_extended_section_numbering),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_bad_identification),
        cmocka_unit_test(test_bad_section_table),
        cmocka_unit_test(test_bad_dynsym),
        cmocka_unit_test(test_bad_strtab),
        cmocka_unit_test(test_bad_loader_tables),
        cmocka_unit_test(test_random_damage),
        cmocka_unit_test(test_system_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
