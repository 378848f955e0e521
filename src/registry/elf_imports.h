/* elf_imports.h (internal): the dynamic symbols a shared object imports (the undefined entries
 * of its .dynsym), read without loading it, so a registry can refuse a plugin that would link
 * against system(), execve(), dlopen() and the like before any of its code runs.
 *
 * The file is hostile input: every offset, size, count and string is checked against the
 * bytes actually present, nothing is trusted, nothing is mapped executable. Pure: works on a
 * buffer the caller read (the registry reads it from the same descriptor it hashes). */
#ifndef WD_REGISTRY_ELF_IMPORTS_H
#define WD_REGISTRY_ELF_IMPORTS_H

#include <stdbool.h>
#include <stddef.h>

#define WD_ELF_MAX_SYMBOLS 65536
#define WD_ELF_MAX_NAME 1024

typedef struct {
    char **names; /* undefined dynamic symbols, without version suffixes, sorted, unique */
    size_t count;
    int elf_class;    /* 32 or 64 */
    int big_endian;   /* 0 or 1 */
    unsigned machine; /* e_machine */
} wd_elf_imports;

/* Reads the imports of the ELF shared object in data[0..len). Accepts ELF32 and ELF64, either
 * byte order, type ET_DYN (a shared object); finds the dynamic symbol table through the section
 * headers (SHT_DYNSYM and its linked string table). Returns 0, or WD_EINVAL with a one-line
 * reason in wd_error_last() ("not an ELF file", "not a shared object", "section header out of
 * bounds", "symbol name not terminated", ...), or WD_ENOMEM. Symbols that are defined,
 * unnamed, or of type STT_SECTION/STT_FILE are not imports. More than WD_ELF_MAX_SYMBOLS symbols
 * or a name longer than WD_ELF_MAX_NAME is an error. */
int wd_elf_imports_read(const unsigned char *data, size_t len, wd_elf_imports *out);
void wd_elf_imports_free(wd_elf_imports *imports);

#endif
