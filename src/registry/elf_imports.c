#include "registry/elf_imports.h"

#include <elf.h>

#ifndef DT_MIPS_SYMTABNO
#define DT_MIPS_SYMTABNO 0x70000011
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/utf8.h"

/* The file as the parser sees it. Every field is read byte by byte in the file's byte order,
 * never through a cast pointer: the buffer has no alignment guarantee and the host's order is
 * irrelevant. */
typedef struct {
    const unsigned char *data;
    size_t len;
    bool is64;
    bool big_endian;
    bool mips64le; /* MIPS64 little-endian: its own r_info layout */
} elf_file;

/* The fields of a section header the parser uses, widened to one shape for both classes. */
typedef struct {
    uint32_t type;
    uint32_t link;
    uint64_t addr;
    uint64_t offset;
    uint64_t size;
    uint64_t entsize;
} section;

typedef struct {
    const char *p;
    size_t n;
} name_ref;

/* True when [off, off + size) lies inside a buffer of len bytes. Written so that nothing can wrap:
 * a hostile offset near UINT64_MAX or a size that would overflow the sum are both refused. */
static bool span_ok(size_t len, uint64_t off, uint64_t size)
{
    return off <= (uint64_t)len && size <= (uint64_t)len - off;
}

/* n (1, 2, 4 or 8) bytes at p in the file's byte order. The caller has bounds-checked p[0..n). */
static uint64_t get(const elf_file *f, const unsigned char *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned b = f->big_endian ? p[i] : p[n - 1 - i];
        v = (v << 8) | b;
    }
    return v;
}

/* Field m of a record at p, whose layout is T32 or T64 depending on the class. */
#define FIELD(f, p, T32, T64, m)                                                                   \
    ((f)->is64 ? get((f), (p) + offsetof(T64, m), sizeof(((T64 *)0)->m))                           \
               : get((f), (p) + offsetof(T32, m), sizeof(((T32 *)0)->m)))

static size_t ehdr_size(const elf_file *f)
{
    return f->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
}

static size_t shdr_size(const elf_file *f)
{
    return f->is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
}

static size_t sym_size(const elf_file *f)
{
    return f->is64 ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym);
}

/* Section i of a table the caller has already checked to hold shnum entries at shoff. */
static section read_section(const elf_file *f, uint64_t shoff, uint64_t i)
{
    const unsigned char *p = f->data + (size_t)(shoff + i * shdr_size(f));
    section s;
    s.type = (uint32_t)FIELD(f, p, Elf32_Shdr, Elf64_Shdr, sh_type);
    s.link = (uint32_t)FIELD(f, p, Elf32_Shdr, Elf64_Shdr, sh_link);
    s.addr = FIELD(f, p, Elf32_Shdr, Elf64_Shdr, sh_addr);
    s.offset = FIELD(f, p, Elf32_Shdr, Elf64_Shdr, sh_offset);
    s.size = FIELD(f, p, Elf32_Shdr, Elf64_Shdr, sh_size);
    s.entsize = FIELD(f, p, Elf32_Shdr, Elf64_Shdr, sh_entsize);
    return s;
}

/* Checks the identification bytes and the ELF header, and finds the section header table:
 * *shnum = 0 when the file has none. */
static int read_header(elf_file *f, unsigned *machine, uint64_t *shoff, uint64_t *shnum)
{
    const unsigned char *d = f->data;
    if (f->len < EI_NIDENT || memcmp(d, ELFMAG, SELFMAG) != 0)
        return wd_fail(WD_EINVAL, "not an ELF file");
    if (d[EI_CLASS] != ELFCLASS32 && d[EI_CLASS] != ELFCLASS64)
        return wd_fail(WD_EINVAL, "not an ELF file: unknown class %u", d[EI_CLASS]);
    if (d[EI_DATA] != ELFDATA2LSB && d[EI_DATA] != ELFDATA2MSB)
        return wd_fail(WD_EINVAL, "not an ELF file: unknown byte order %u", d[EI_DATA]);
    if (d[EI_VERSION] != EV_CURRENT)
        return wd_fail(WD_EINVAL, "not an ELF file: unknown version %u", d[EI_VERSION]);
    f->is64 = d[EI_CLASS] == ELFCLASS64;
    f->big_endian = d[EI_DATA] == ELFDATA2MSB;
    if (f->len < ehdr_size(f))
        return wd_fail(WD_EINVAL, "ELF header truncated");

    uint64_t type = FIELD(f, d, Elf32_Ehdr, Elf64_Ehdr, e_type);
    if (type != ET_DYN)
        return wd_fail(WD_EINVAL, "not a shared object (e_type %u)", (unsigned)type);
    *machine = (unsigned)FIELD(f, d, Elf32_Ehdr, Elf64_Ehdr, e_machine);
    f->mips64le = f->is64 && !f->big_endian && *machine == EM_MIPS;

    *shoff = FIELD(f, d, Elf32_Ehdr, Elf64_Ehdr, e_shoff);
    *shnum = FIELD(f, d, Elf32_Ehdr, Elf64_Ehdr, e_shnum);
    uint64_t shentsize = FIELD(f, d, Elf32_Ehdr, Elf64_Ehdr, e_shentsize);
    if (*shoff == 0) {
        if (*shnum != 0)
            return wd_fail(WD_EINVAL, "section header out of bounds: offset 0, %u entries",
                           (unsigned)*shnum);
        return 0; /* no section header table */
    }
    if (shentsize != shdr_size(f))
        return wd_fail(WD_EINVAL, "section header entry size is %u, expected %zu",
                       (unsigned)shentsize, shdr_size(f));
    if (!span_ok(f->len, *shoff, shentsize))
        return wd_fail(WD_EINVAL, "section header out of bounds: offset %llu, file size %zu",
                       (unsigned long long)*shoff, f->len);
    if (*shnum == 0) {
        /* Extended numbering (65280 sections or more): the count is section 0's sh_size. */
        *shnum = read_section(f, *shoff, 0).size;
        if (*shnum == 0)
            return wd_fail(WD_EINVAL, "section header count is 0 at a non-zero offset");
    }
    /* Divide rather than multiply: shnum * shentsize could wrap for a 64-bit sh_size. */
    if (*shnum > ((uint64_t)f->len - *shoff) / shentsize)
        return wd_fail(WD_EINVAL, "section header out of bounds: %llu entries at offset %llu",
                       (unsigned long long)*shnum, (unsigned long long)*shoff);
    return 0;
}

/* The dynamic symbol table and its string table, checked against the file; *found = false when
 * the object has no SHT_DYNSYM section. */
static int find_dynsym(const elf_file *f, uint64_t shoff, uint64_t shnum, section *symtab,
                       section *strtab, bool *found)
{
    *found = false;
    for (uint64_t i = 0; i < shnum; i++) {
        section s = read_section(f, shoff, i);
        if (s.type != SHT_DYNSYM)
            continue;
        /* The loader uses one table; two would let the inspected one differ from the used one. */
        if (*found)
            return wd_fail(WD_EINVAL, "more than one dynamic symbol table");
        *symtab = s;
        *found = true;
    }
    if (!*found)
        return 0;

    if (symtab->entsize != sym_size(f))
        return wd_fail(WD_EINVAL, "dynamic symbol entry size is %llu, expected %zu",
                       (unsigned long long)symtab->entsize, sym_size(f));
    if (!span_ok(f->len, symtab->offset, symtab->size))
        return wd_fail(WD_EINVAL, "dynamic symbol table out of bounds: offset %llu, size %llu",
                       (unsigned long long)symtab->offset, (unsigned long long)symtab->size);
    if (symtab->size % symtab->entsize != 0)
        return wd_fail(WD_EINVAL, "dynamic symbol table size %llu is not a multiple of %zu",
                       (unsigned long long)symtab->size, sym_size(f));
    if (symtab->size / symtab->entsize > WD_ELF_MAX_SYMBOLS)
        return wd_fail(WD_EINVAL, "more than %d dynamic symbols", WD_ELF_MAX_SYMBOLS);

    if (symtab->link == SHN_UNDEF || symtab->link >= shnum)
        return wd_fail(WD_EINVAL, "symbol string table index %u out of range", symtab->link);
    *strtab = read_section(f, shoff, symtab->link);
    if (strtab->type != SHT_STRTAB)
        return wd_fail(WD_EINVAL, "symbol string table has type %u, not SHT_STRTAB", strtab->type);
    if (!span_ok(f->len, strtab->offset, strtab->size))
        return wd_fail(WD_EINVAL, "symbol string table out of bounds: offset %llu, size %llu",
                       (unsigned long long)strtab->offset, (unsigned long long)strtab->size);
    return 0;
}

/* The name of symbol i as an import, or n = 0 when the symbol is not one. The name stays inside
 * the string table and is cut at '@': a version suffix must not hide "system@X" from a deny list.
 */
static int import_name(const elf_file *f, const unsigned char *sym, size_t i, const section *strtab,
                       name_ref *out)
{
    out->p = NULL;
    out->n = 0;
    uint64_t shndx = FIELD(f, sym, Elf32_Sym, Elf64_Sym, st_shndx);
    unsigned type = (unsigned)FIELD(f, sym, Elf32_Sym, Elf64_Sym, st_info) & 0xf;
    uint64_t name = FIELD(f, sym, Elf32_Sym, Elf64_Sym, st_name);
    if (shndx != SHN_UNDEF || type == STT_SECTION || type == STT_FILE || name == 0)
        return 0;
    if (name >= strtab->size)
        return wd_fail(WD_EINVAL, "symbol %zu: name offset %llu past the string table (%llu bytes)",
                       i, (unsigned long long)name, (unsigned long long)strtab->size);

    const char *s = (const char *)f->data + (size_t)(strtab->offset + name);
    size_t avail = (size_t)(strtab->size - name);
    size_t scan = avail < WD_ELF_MAX_NAME + 1 ? avail : WD_ELF_MAX_NAME + 1;
    const char *nul = memchr(s, '\0', scan);
    if (!nul) {
        if (avail > WD_ELF_MAX_NAME)
            return wd_fail(WD_EINVAL, "symbol %zu: name longer than %d bytes", i, WD_ELF_MAX_NAME);
        return wd_fail(WD_EINVAL, "symbol name not terminated (symbol %zu)", i);
    }
    size_t n = (size_t)(nul - s);
    /* Names end up in error messages, listings and JSON: a control character could forge a
     * line, and invalid UTF-8 cannot be put into a JSON string at all. */
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)s[k];
        if (c < 0x20 || c == 0x7f)
            return wd_fail(WD_EINVAL, "symbol %zu: control character 0x%02x in name", i, c);
    }
    size_t bad = 0;
    if (!wd_utf8_valid(s, n, &bad))
        return wd_fail(WD_EINVAL, "symbol %zu: name is not valid UTF-8 (byte %zu)", i, bad);
    const char *at = memchr(s, '@', n);
    out->p = s;
    out->n = at ? (size_t)(at - s) : n;
    return 0;
}

static int cmp_name(const void *a, const void *b)
{
    const name_ref *x = a, *y = b;
    int c = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);
    if (c != 0)
        return c;
    return (x->n > y->n) - (x->n < y->n);
}

/* Sorts refs, drops duplicates and copies the names into out. */
static int collect(name_ref *refs, size_t n, wd_elf_imports *out)
{
    if (n == 0)
        return 0;
    qsort(refs, n, sizeof(*refs), cmp_name);
    size_t unique = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || cmp_name(&refs[i - 1], &refs[i]) != 0)
            refs[unique++] = refs[i];

    char **names = calloc(unique, sizeof(*names));
    if (!names)
        return wd_fail(WD_ENOMEM, "out of memory listing ELF imports");
    for (size_t i = 0; i < unique; i++) {
        names[i] = malloc(refs[i].n + 1);
        if (!names[i]) {
            for (size_t k = 0; k < i; k++)
                free(names[k]);
            free(names);
            return wd_fail(WD_ENOMEM, "out of memory listing ELF imports");
        }
        memcpy(names[i], refs[i].p, refs[i].n);
        names[i][refs[i].n] = '\0';
    }
    out->names = names;
    out->count = unique;
    return 0;
}

/* The program headers, checked to lie in the file. */
typedef struct {
    uint64_t off, num;
    size_t size;
} phdrs;

/* The file offset of [addr, addr + size) in the loader's view: inside one PT_LOAD's file bytes. */
static bool vaddr_to_off(const elf_file *f, const phdrs *ph, uint64_t addr, uint64_t size,
                         uint64_t *off)
{
    bool found = false;
    for (uint64_t i = 0; i < ph->num; i++) {
        const unsigned char *p = f->data + (size_t)(ph->off + i * ph->size);
        if (FIELD(f, p, Elf32_Phdr, Elf64_Phdr, p_type) != PT_LOAD)
            continue;
        uint64_t va = FIELD(f, p, Elf32_Phdr, Elf64_Phdr, p_vaddr);
        uint64_t fo = FIELD(f, p, Elf32_Phdr, Elf64_Phdr, p_offset);
        uint64_t fs = FIELD(f, p, Elf32_Phdr, Elf64_Phdr, p_filesz);
        if (addr < va || addr - va > fs || size > fs - (addr - va))
            continue;
        /* Two segments over one address: the loader maps both and the later one wins, so a
         * reader taking the first could be shown decoy bytes. Refuse the ambiguity. */
        if (found || fo > UINT64_MAX - (addr - va) || !span_ok(f->len, fo + (addr - va), size))
            return false;
        *off = fo + (addr - va);
        found = true;
    }
    return found;
}

/* Every relocation in the table at addr binds a symbol inside the inspected .dynsym: an index
 * past its end would be an import the reader never saw (a shortened .dynsym). */
static int check_relocs(const elf_file *f, const phdrs *ph, uint64_t addr, uint64_t size, bool rela,
                        uint64_t nsyms)
{
    if (size == 0)
        return 0;
    size_t ent = f->is64 ? (rela ? sizeof(Elf64_Rela) : sizeof(Elf64_Rel))
                         : (rela ? sizeof(Elf32_Rela) : sizeof(Elf32_Rel));
    uint64_t off;
    if (size % ent)
        return wd_fail(WD_EINVAL,
                       "a relocation table's size (%llu) is not a multiple of its "
                       "entry size (%zu): imports cannot be verified",
                       (unsigned long long)size, ent);
    if (!vaddr_to_off(f, ph, addr, size, &off))
        return wd_fail(WD_EINVAL, "the loader's relocations are not where the dynamic segment "
                                  "says: imports cannot be verified");
    for (uint64_t o = 0; o < size; o += ent) {
        const unsigned char *r = f->data + (size_t)(off + o);
        uint64_t info = rela ? FIELD(f, r, Elf32_Rela, Elf64_Rela, r_info)
                             : FIELD(f, r, Elf32_Rel, Elf64_Rel, r_info);
        /* MIPS64 stores r_info as r_sym (32 bits) then four type bytes, in file order: on a
         * little-endian file the symbol is the low half of the value read. */
        uint64_t sym = !f->is64 ? info >> 8 : f->mips64le ? info & 0xffffffffu : info >> 32;
        if (sym >= nsyms)
            return wd_fail(WD_EINVAL,
                           "a relocation binds symbol %llu, past the end of .dynsym "
                           "(%llu symbols): imports cannot be verified",
                           (unsigned long long)sym, (unsigned long long)nsyms);
    }
    return 0;
}

/* The sections are the linker's view; the loader finds symbols through PT_DYNAMIC (DT_SYMTAB,
 * DT_STRTAB) and never reads section headers. A hostile object could drop its section headers
 * or retype .dynsym, keep binding system(), and show no imports. So the loader's tables must be
 * exactly the ones inspected: a dynamic segment naming a symbol table that is not the .dynsym
 * section (or naming one when there is none) makes the imports unverifiable, and that is
 * refused. Fail closed: a file we cannot vouch for is not vouched for. */
static int check_loader_view(const elf_file *f, bool found, const section *symtab,
                             const section *strtab)
{
    const unsigned char *d = f->data;
    uint64_t phoff = FIELD(f, d, Elf32_Ehdr, Elf64_Ehdr, e_phoff);
    uint64_t phnum = FIELD(f, d, Elf32_Ehdr, Elf64_Ehdr, e_phnum);
    uint64_t phentsize = FIELD(f, d, Elf32_Ehdr, Elf64_Ehdr, e_phentsize);
    size_t want = f->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
    if (phnum == 0)
        return 0; /* nothing for a loader to map: nothing it can bind */
    if (phentsize != want || !span_ok(f->len, phoff, 0) ||
        phnum > ((uint64_t)f->len - phoff) / want)
        return wd_fail(WD_EINVAL, "program headers out of bounds");
    uint64_t dyn_off = 0, dyn_size = 0;
    bool have_dynamic = false;
    for (uint64_t i = 0; i < phnum; i++) {
        const unsigned char *ph = d + (size_t)(phoff + i * want);
        if (FIELD(f, ph, Elf32_Phdr, Elf64_Phdr, p_type) != PT_DYNAMIC)
            continue;
        if (have_dynamic)
            return wd_fail(WD_EINVAL, "more than one dynamic segment");
        have_dynamic = true;
        dyn_off = FIELD(f, ph, Elf32_Phdr, Elf64_Phdr, p_offset);
        dyn_size = FIELD(f, ph, Elf32_Phdr, Elf64_Phdr, p_filesz);
    }
    if (!have_dynamic)
        return 0;
    if (!span_ok(f->len, dyn_off, dyn_size))
        return wd_fail(WD_EINVAL, "dynamic segment out of bounds");
    size_t dsz = f->is64 ? sizeof(Elf64_Dyn) : sizeof(Elf32_Dyn);
    uint64_t dt_symtab = 0, dt_strtab = 0;
    uint64_t rela = 0, relasz = 0, rel = 0, relsz = 0, jmprel = 0, pltrelsz = 0, pltrel = 0;
    uint64_t hash = 0, mips_symtabno = 0;
    bool has_symtab = false, has_strtab = false, has_rela = false, has_rel = false,
         has_jmprel = false, has_hash = false;
    for (uint64_t o = 0; o + dsz <= dyn_size; o += dsz) {
        const unsigned char *e = d + (size_t)(dyn_off + o);
        uint64_t tag = FIELD(f, e, Elf32_Dyn, Elf64_Dyn, d_tag);
        uint64_t val = FIELD(f, e, Elf32_Dyn, Elf64_Dyn, d_un.d_val);
        if (tag == DT_NULL)
            break;
        if (tag == DT_SYMTAB)
            dt_symtab = val, has_symtab = true;
        else if (tag == DT_STRTAB)
            dt_strtab = val, has_strtab = true;
        else if (tag == DT_RELA)
            rela = val, has_rela = true;
        else if (tag == DT_RELASZ)
            relasz = val;
        else if (tag == DT_REL)
            rel = val, has_rel = true;
        else if (tag == DT_RELSZ)
            relsz = val;
        else if (tag == DT_JMPREL)
            jmprel = val, has_jmprel = true;
        else if (tag == DT_PLTRELSZ)
            pltrelsz = val;
        else if (tag == DT_PLTREL)
            pltrel = val;
        else if (tag == DT_HASH)
            hash = val, has_hash = true;
        else if (tag == DT_MIPS_SYMTABNO &&
                 FIELD(f, d, Elf32_Ehdr, Elf64_Ehdr, e_machine) == EM_MIPS)
            mips_symtabno = val;
    }
    if (!has_symtab)
        return 0; /* the loader has no symbols to bind */
    if (!found)
        return wd_fail(WD_EINVAL, "the loader's symbol table (DT_SYMTAB) has no .dynsym section "
                                  "to inspect: imports cannot be verified");
    if (symtab->size == 0)
        return wd_fail(WD_EINVAL, "the loader has a symbol table but .dynsym is empty: imports "
                                  "cannot be verified");
    if (dt_symtab != symtab->addr || !has_strtab || dt_strtab != strtab->addr)
        return wd_fail(WD_EINVAL, "the loader's symbol tables (DT_SYMTAB, DT_STRTAB) are not the "
                                  ".dynsym section and its strings: imports cannot be verified");
    /* Imports are bound through relocations, which index DT_SYMTAB with no bound of their own:
     * a .dynsym section cut short would hide every symbol past its end. */
    if (has_jmprel && pltrel != DT_RELA && pltrel != DT_REL)
        return wd_fail(WD_EINVAL, "the PLT relocation type (DT_PLTREL) is neither REL nor RELA: "
                                  "imports cannot be verified");
    phdrs ph = {phoff, phnum, want};
    /* Same address is not enough: the reader reads the sections at their file offsets, the
     * loader at their addresses through the segments. They must be the same bytes, or a decoy
     * copy of .dynstr or .dynsym could be what gets inspected. */
    uint64_t sym_off, str_off;
    if (!vaddr_to_off(f, &ph, symtab->addr, symtab->size, &sym_off) || sym_off != symtab->offset ||
        !vaddr_to_off(f, &ph, strtab->addr, strtab->size, &str_off) || str_off != strtab->offset)
        return wd_fail(WD_EINVAL, "the .dynsym or .dynstr bytes are not the ones the loader maps "
                                  "at their addresses: imports cannot be verified");
    uint64_t nsyms = symtab->size / symtab->entsize;
    /* The loader's own symbol counts: DT_HASH's nchain, and on MIPS (whose imports are bound
     * through the GOT, not relocations) DT_MIPS_SYMTABNO. */
    uint64_t hoff;
    if (has_hash && !vaddr_to_off(f, &ph, hash, 8, &hoff))
        return wd_fail(WD_EINVAL, "the loader's hash table (DT_HASH) is not in the file: imports "
                                  "cannot be verified");
    uint64_t loader_count = has_hash ? get(f, f->data + (size_t)hoff + 4, 4) : 0;
    if (mips_symtabno > loader_count)
        loader_count = mips_symtabno;
    if (loader_count > nsyms)
        return wd_fail(WD_EINVAL,
                       "the loader sees %llu symbols but .dynsym holds %llu: imports "
                       "cannot be verified",
                       (unsigned long long)loader_count, (unsigned long long)nsyms);
    int rc = has_rela ? check_relocs(f, &ph, rela, relasz, true, nsyms) : 0;
    if (rc == 0 && has_rel)
        rc = check_relocs(f, &ph, rel, relsz, false, nsyms);
    if (rc == 0 && has_jmprel)
        rc = check_relocs(f, &ph, jmprel, pltrelsz, pltrel == DT_RELA, nsyms);
    return rc;
}
int wd_elf_imports_read(const unsigned char *data, size_t len, wd_elf_imports *out)
{
    if (!out)
        return wd_fail(WD_EINVAL, "no output for the ELF imports");
    memset(out, 0, sizeof(*out));
    if (!data && len > 0)
        return wd_fail(WD_EINVAL, "no data for the ELF imports");
    if (!data)
        return wd_fail(WD_EINVAL, "not an ELF file");

    elf_file f = {data, len, false, false, false};
    unsigned machine = 0;
    uint64_t shoff = 0, shnum = 0;
    int rc = read_header(&f, &machine, &shoff, &shnum);
    if (rc != 0)
        return rc;

    section symtab = {0}, strtab = {0};
    bool found = false;
    rc = find_dynsym(&f, shoff, shnum, &symtab, &strtab, &found);
    if (rc == 0)
        rc = check_loader_view(&f, found, &symtab, &strtab);
    if (rc != 0)
        return rc;

    wd_elf_imports result = {NULL, 0, f.is64 ? 64 : 32, f.big_endian ? 1 : 0, machine};
    /* A missing .dynsym is a fully static object: it imports nothing. */
    size_t count = found ? (size_t)(symtab.size / symtab.entsize) : 0;
    if (count > 0) {
        name_ref *refs = malloc(count * sizeof(*refs));
        if (!refs)
            return wd_fail(WD_ENOMEM, "out of memory listing ELF imports");
        size_t n = 0;
        const unsigned char *base = data + (size_t)symtab.offset;
        for (size_t i = 0; i < count && rc == 0; i++) {
            name_ref r;
            rc = import_name(&f, base + i * sym_size(&f), i, &strtab, &r);
            if (rc == 0 && r.n > 0)
                refs[n++] = r;
        }
        if (rc == 0)
            rc = collect(refs, n, &result);
        free(refs);
        if (rc != 0)
            return rc;
    }
    *out = result;
    return 0;
}

void wd_elf_imports_free(wd_elf_imports *imports)
{
    if (!imports)
        return;
    for (size_t i = 0; i < imports->count; i++)
        free(imports->names[i]);
    free(imports->names);
    memset(imports, 0, sizeof(*imports));
}
