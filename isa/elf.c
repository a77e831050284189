/*
 * elf.c — ringsim images as ELF32 files: write them, parse them, look up
 * their symbols.
 *
 * An image is what a loader needs — segments: where each goes, how big it is,
 * its permissions and its bytes — plus the symbols the debugger shows.  On
 * disk it is an ordinary ELF32 little-endian executable, so the binutils a
 * student already knows (`readelf -a`, `readelf -s`) can inspect it:
 *
 *   ELF header | program headers | segment bytes ... |
 *   .symtab | .strtab | .shstrtab | section headers
 *
 * The program headers (PT_LOAD, one per segment) are what the machine loads;
 * the section headers only describe the same bytes again, by name, for tools.
 *
 * The one idea to hold: the parser trusts nothing.  Every offset and size read
 * from the file is checked against the file's length before it is used, with
 * 64-bit sums so that nothing can wrap, and the file is only ever copied out
 * of with memcpy, so a truncated or hostile file gives an error message —
 * never a crash.  The writer runs the same image checks before it writes, so
 * it never produces a file the parser would refuse.
 */
#include "isa.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The glibc structs are copied to and from the file byte for byte, which is
 * only right on a little-endian host — every machine this course uses. */
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "elf.c copies ELFDATA2LSB structs directly and needs a little-endian host"
#endif

#define IMAGE_MAX_FILE (256u << 20) /* refuse to read bigger files than this */

/* Formats "name: message" into err and returns false, so that every check
 * can be written `if (bad) return fail(...)`. */
static bool fail(char *err, size_t errlen, const char *name, const char *fmt, ...)
{
    if (err && errlen) {
        int n = snprintf(err, errlen, "%s: ", name);
        if (n >= 0 && (size_t)n < errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return false;
}

/* ---- checks shared by the writer and the parser ------------------------ */

/* One segment on its own: its file part fits in its memory part, and it
 * does not run off the top of the 32-bit address space. */
static bool check_segment(int i, uint32_t vaddr, uint32_t filesz, uint32_t memsz, const char *name,
                          char *err, size_t errlen)
{
    if (filesz > memsz)
        return fail(err, errlen, name, "segment %d filesz > memsz (0x%x > 0x%x)", i, filesz, memsz);
    if ((uint64_t)vaddr + memsz > 0x100000000ull)
        return fail(err, errlen, name, "segment %d (0x%x + 0x%x bytes) runs past the end of the 32-bit address space",
                    i, vaddr, memsz);
    return true;
}

struct span { uint64_t start, end; int index; };

static int span_cmp(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* The segments as a whole: no two overlap (each byte of memory has one
 * source), and the entry point is inside an executable segment. */
static bool check_layout(const struct isa_image *img, const char *name, char *err, size_t errlen)
{
    int n = img->nsegments;
    struct span *s = malloc(sizeof *s * (size_t)(n ? n : 1));
    if (!s) return fail(err, errlen, name, "out of memory");
    for (int i = 0; i < n; i++) {
        s[i].start = img->segments[i].vaddr;
        s[i].end = s[i].start + img->segments[i].memsz;
        s[i].index = i;
    }
    qsort(s, (size_t)n, sizeof *s, span_cmp); /* then only neighbours can overlap */
    for (int i = 1; i < n; i++) {
        if (s[i].start < s[i - 1].end) {
            int a = s[i - 1].index < s[i].index ? s[i - 1].index : s[i].index;
            int b = s[i - 1].index < s[i].index ? s[i].index : s[i - 1].index;
            free(s);
            return fail(err, errlen, name, "segments %d (0x%x..0x%x) and %d (0x%x..0x%x) overlap", a,
                        img->segments[a].vaddr, img->segments[a].vaddr + img->segments[a].memsz - 1, b,
                        img->segments[b].vaddr, img->segments[b].vaddr + img->segments[b].memsz - 1);
        }
    }
    free(s);
    for (int i = 0; i < n; i++) {
        const struct isa_segment *g = &img->segments[i];
        if ((g->flags & PF_X) && img->entry >= g->vaddr && (uint64_t)img->entry < (uint64_t)g->vaddr + g->memsz)
            return true;
    }
    return fail(err, errlen, name, "entry point 0x%x is not inside an executable segment", img->entry);
}

/* Everything the writer promises about an image it writes. */
static bool check_image(const struct isa_image *img, const char *name, char *err, size_t errlen)
{
    if (img->nsegments < 0 || img->nsymbols < 0 || (img->nsegments && !img->segments) ||
        (img->nsymbols && !img->symbols))
        return fail(err, errlen, name, "malformed image (negative count or missing array)");
    if (img->nsegments > 0xfff0) return fail(err, errlen, name, "too many segments (%d)", img->nsegments);
    for (int i = 0; i < img->nsegments; i++) {
        const struct isa_segment *g = &img->segments[i];
        if (g->memsz == 0) return fail(err, errlen, name, "segment %d is empty (memsz 0)", i);
        if (g->filesz && !g->data)
            return fail(err, errlen, name, "segment %d has filesz 0x%x but no data", i, g->filesz);
        if (!check_segment(i, g->vaddr, g->filesz, g->memsz, name, err, errlen)) return false;
    }
    for (int i = 0; i < img->nsymbols; i++)
        if (!img->symbols[i].name || !img->symbols[i].name[0])
            return fail(err, errlen, name, "symbol %d has no name", i);
    return check_layout(img, name, err, errlen);
}

/* ---- writing ------------------------------------------------------------ */

/* A growing byte buffer; on allocation failure it stops growing and sets oom. */
struct outbuf {
    uint8_t *p;
    size_t len, cap;
    bool oom;
};

/* Appends n bytes (zeros if src is NULL) and returns the offset they start at. */
static size_t out_put(struct outbuf *b, const void *src, size_t n)
{
    size_t at = b->len;
    if (b->oom) return at;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n) cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) { b->oom = true; return at; }
        b->p = p;
        b->cap = cap;
    }
    if (src) memcpy(b->p + b->len, src, n);
    else memset(b->p + b->len, 0, n);
    b->len += n;
    return at;
}

/* Pads with zeros until the length is congruent to `want` modulo `align`. */
static void out_align(struct outbuf *b, size_t align, size_t want)
{
    size_t pad = (want - b->len) & (align - 1);
    out_put(b, NULL, pad);
}

/* Section name for a segment, by what it holds. */
static const char *segment_section_name(const struct isa_segment *g)
{
    if (g->filesz == 0) return ".bss";
    if (g->flags & PF_X) return ".text";
    if (g->flags & PF_W) return ".data";
    return ".rodata";
}

/* The section (1-based, as in the section header table) whose memory holds
 * addr; an address just past a section's end (an "end:" label) counts as in
 * it; SHN_ABS for an address that belongs to no segment. */
static uint16_t symbol_section(const struct isa_image *img, uint32_t addr)
{
    for (int i = 0; i < img->nsegments; i++) {
        const struct isa_segment *g = &img->segments[i];
        if (addr >= g->vaddr && (uint64_t)addr < (uint64_t)g->vaddr + g->memsz) return (uint16_t)(i + 1);
    }
    for (int i = 0; i < img->nsegments; i++) {
        const struct isa_segment *g = &img->segments[i];
        if ((uint64_t)addr == (uint64_t)g->vaddr + g->memsz) return (uint16_t)(i + 1);
    }
    return SHN_ABS;
}

/* Appends a NUL-terminated string to a string table; returns its offset. */
static uint32_t strtab_add(struct outbuf *t, const char *s)
{
    return (uint32_t)out_put(t, s, strlen(s) + 1);
}

/* ELF symbol table: the null symbol, then locals, then globals (ELF requires
 * locals first; sh_info says where the globals begin). */
static void build_symtab(const struct isa_image *img, struct outbuf *sym, struct outbuf *str,
                         uint32_t *first_global)
{
    Elf32_Sym null = {0};
    out_put(sym, &null, sizeof null);
    out_put(str, "", 1);
    for (int pass = 0; pass < 2; pass++) {
        bool want_global = pass == 1;
        if (want_global) *first_global = (uint32_t)(sym->len / sizeof(Elf32_Sym));
        for (int i = 0; i < img->nsymbols; i++) {
            const struct isa_symbol *s = &img->symbols[i];
            if (s->global != want_global) continue;
            Elf32_Sym e = {0};
            e.st_name = strtab_add(str, s->name);
            e.st_value = s->addr;
            e.st_info = ELF32_ST_INFO(s->global ? STB_GLOBAL : STB_LOCAL, STT_NOTYPE);
            e.st_shndx = symbol_section(img, s->addr);
            out_put(sym, &e, sizeof e);
        }
    }
}

/* Lays the whole file out in memory (see the picture at the top). */
static bool image_serialize(const struct isa_image *img, struct outbuf *f, const char *name, char *err,
                            size_t errlen)
{
    int n = img->nsegments;
    /* sections: null, one per segment, .symtab, .strtab, .shstrtab */
    int nsec = n + 4, sec_symtab = n + 1, sec_strtab = n + 2, sec_shstrtab = n + 3;
    Elf32_Shdr *sh = calloc((size_t)nsec, sizeof *sh);
    struct outbuf sym = {0}, str = {0}, shstr = {0};
    if (!sh) return fail(err, errlen, name, "out of memory");

    Elf32_Ehdr eh = {0};
    out_put(f, &eh, sizeof eh); /* filled in at the end */
    size_t phoff = out_put(f, NULL, sizeof(Elf32_Phdr) * (size_t)n);

    out_put(&shstr, "", 1);
    for (int i = 0; i < n; i++) {
        const struct isa_segment *g = &img->segments[i];
        /* p_align 4, not 4096: ringsim's loader copies segments rather than
         * mapping pages, so page-aligned file offsets would only waste space;
         * ELF asks that offset and vaddr agree modulo p_align */
        out_align(f, 4, g->vaddr);
        size_t off = out_put(f, g->data, g->filesz);
        Elf32_Phdr ph = {
            .p_type = PT_LOAD, .p_offset = (Elf32_Off)off, .p_vaddr = g->vaddr, .p_paddr = g->vaddr,
            .p_filesz = g->filesz, .p_memsz = g->memsz, .p_flags = g->flags & (PF_R | PF_W | PF_X),
            .p_align = 4,
        };
        if (!f->oom) memcpy(f->p + phoff + sizeof ph * (size_t)i, &ph, sizeof ph);

        Elf32_Shdr *s = &sh[i + 1];
        s->sh_name = strtab_add(&shstr, segment_section_name(g));
        s->sh_type = g->filesz ? SHT_PROGBITS : SHT_NOBITS;
        s->sh_flags = SHF_ALLOC | ((g->flags & PF_W) ? SHF_WRITE : 0) | ((g->flags & PF_X) ? SHF_EXECINSTR : 0);
        s->sh_addr = g->vaddr;
        s->sh_offset = (Elf32_Off)off;
        s->sh_size = g->filesz ? g->filesz : g->memsz;
        s->sh_addralign = g->vaddr % 4 ? 1 : 4;
    }

    uint32_t first_global = 1;
    build_symtab(img, &sym, &str, &first_global);
    out_align(f, 4, 0);
    sh[sec_symtab] = (Elf32_Shdr){
        .sh_name = strtab_add(&shstr, ".symtab"), .sh_type = SHT_SYMTAB,
        .sh_offset = (Elf32_Off)out_put(f, sym.p, sym.len), .sh_size = (Elf32_Word)sym.len,
        .sh_link = (Elf32_Word)sec_strtab, .sh_info = first_global, .sh_addralign = 4,
        .sh_entsize = sizeof(Elf32_Sym),
    };
    sh[sec_strtab] = (Elf32_Shdr){
        .sh_name = strtab_add(&shstr, ".strtab"), .sh_type = SHT_STRTAB,
        .sh_offset = (Elf32_Off)out_put(f, str.p, str.len), .sh_size = (Elf32_Word)str.len, .sh_addralign = 1,
    };
    sh[sec_shstrtab].sh_name = strtab_add(&shstr, ".shstrtab");
    sh[sec_shstrtab].sh_type = SHT_STRTAB;
    sh[sec_shstrtab].sh_offset = (Elf32_Off)out_put(f, shstr.p, shstr.len);
    sh[sec_shstrtab].sh_size = (Elf32_Word)shstr.len;
    sh[sec_shstrtab].sh_addralign = 1;
    out_align(f, 4, 0);
    size_t shoff = out_put(f, sh, sizeof *sh * (size_t)nsec);

    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS32;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
    eh.e_type = ET_EXEC;
    eh.e_machine = EM_RINGSIM;
    eh.e_version = EV_CURRENT;
    eh.e_entry = img->entry;
    eh.e_phoff = n ? (Elf32_Off)phoff : 0;
    eh.e_shoff = (Elf32_Off)shoff;
    eh.e_ehsize = sizeof(Elf32_Ehdr);
    eh.e_phentsize = sizeof(Elf32_Phdr);
    eh.e_phnum = (Elf32_Half)n;
    eh.e_shentsize = sizeof(Elf32_Shdr);
    eh.e_shnum = (Elf32_Half)nsec;
    eh.e_shstrndx = (Elf32_Half)sec_shstrtab;
    if (!f->oom) memcpy(f->p, &eh, sizeof eh);

    bool oom = f->oom || sym.oom || str.oom || shstr.oom;
    free(sh);
    free(sym.p);
    free(str.p);
    free(shstr.p);
    if (oom) return fail(err, errlen, name, "out of memory");
    if (f->len > UINT32_MAX) return fail(err, errlen, name, "image too large for ELF32");
    return true;
}

/* Writes len bytes to path so that readers see either the old file or the
 * whole new one, never half: write a temporary file beside it, then rename()
 * it over path (rename is atomic within one directory). */
static bool write_atomically(const char *path, const uint8_t *data, size_t len, char *err, size_t errlen)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + sizeof ".tmp.XXXXXX");
    if (!tmp) return fail(err, errlen, path, "out of memory");
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return fail(err, errlen, path, "cannot create temporary file: %s", strerror(e));
    }
    const char *what = NULL;
    int e = 0;
    if (fchmod(fd, 0644) != 0) { what = "chmod"; e = errno; }
    for (size_t done = 0; !what && done < len;) {
        ssize_t w = write(fd, data + done, len - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) { what = "write"; e = w < 0 ? errno : EIO; break; }
        done += (size_t)w;
    }
    if (close(fd) != 0 && !what) { what = "close"; e = errno; }
    if (!what && rename(tmp, path) != 0) { what = "rename"; e = errno; }
    if (what) {
        unlink(tmp);
        free(tmp);
        return fail(err, errlen, path, "%s failed: %s", what, strerror(e));
    }
    free(tmp);
    return true;
}

bool isa_image_write(const char *path, const struct isa_image *img, char *err, size_t errlen)
{
    struct outbuf f = {0};
    if (!check_image(img, path, err, errlen)) return false;
    bool ok = image_serialize(img, &f, path, err, errlen) && write_atomically(path, f.p, f.len, err, errlen);
    free(f.p);
    return ok;
}

/* ---- parsing ------------------------------------------------------------ */

/* True when [off, off+size) lies inside a file of len bytes. */
static bool in_file(uint64_t off, uint64_t size, size_t len)
{
    return off <= len && size <= len - off;
}

static const char *machine_name(unsigned m)
{
    switch (m) {
    case EM_NONE: return "none";
    case EM_386: return "x86";
    case EM_X86_64: return "x86-64";
    case EM_ARM: return "ARM";
    case EM_AARCH64: return "AArch64";
    case EM_RISCV: return "RISC-V";
    case EM_MIPS: return "MIPS";
    case EM_PPC: return "PowerPC";
    case EM_PPC64: return "PowerPC64";
    case EM_SPARC: return "SPARC";
    case EM_S390: return "s390";
    case EM_RINGSIM: return "ringsim";
    default: return "unknown machine";
    }
}

/* The ELF header: identity first (is this an ELF file, for us?), then the
 * fields the rest of the parser relies on. */
static bool parse_ehdr(const uint8_t *buf, size_t len, const char *name, Elf32_Ehdr *eh, char *err,
                       size_t errlen)
{
    if (len < SELFMAG || memcmp(buf, ELFMAG, SELFMAG) != 0) return fail(err, errlen, name, "not an ELF file");
    if (len < EI_NIDENT) return fail(err, errlen, name, "truncated ELF header (%zu bytes)", len);
    if (buf[EI_CLASS] != ELFCLASS32)
        return fail(err, errlen, name, "ELF class is %s, expected ELFCLASS32",
                    buf[EI_CLASS] == ELFCLASS64 ? "ELFCLASS64 (64-bit)" : "invalid");
    if (buf[EI_DATA] != ELFDATA2LSB)
        return fail(err, errlen, name, "data encoding is %s, expected ELFDATA2LSB (little-endian)",
                    buf[EI_DATA] == ELFDATA2MSB ? "ELFDATA2MSB (big-endian)" : "invalid");
    if (buf[EI_VERSION] != EV_CURRENT)
        return fail(err, errlen, name, "ELF version %u, expected %u", buf[EI_VERSION], EV_CURRENT);
    if (len < sizeof *eh)
        return fail(err, errlen, name, "truncated ELF header (%zu bytes, need %zu)", len, sizeof *eh);
    memcpy(eh, buf, sizeof *eh);
    if (eh->e_type != ET_EXEC)
        return fail(err, errlen, name, "e_type is %u, expected %u (ET_EXEC)", eh->e_type, ET_EXEC);
    if (eh->e_machine != EM_RINGSIM)
        return fail(err, errlen, name, "e_machine is 0x%x (%s), expected 0x%x (ringsim)", eh->e_machine,
                    machine_name(eh->e_machine), EM_RINGSIM);
    if (eh->e_version != EV_CURRENT)
        return fail(err, errlen, name, "e_version is %u, expected %u", eh->e_version, EV_CURRENT);
    if (eh->e_ehsize < sizeof *eh)
        return fail(err, errlen, name, "e_ehsize is %u, expected %zu", eh->e_ehsize, sizeof *eh);
    if (eh->e_phnum == 0) return fail(err, errlen, name, "no program headers");
    if (eh->e_phnum >= PN_XNUM) return fail(err, errlen, name, "too many program headers (%u)", eh->e_phnum);
    if (eh->e_phentsize != sizeof(Elf32_Phdr))
        return fail(err, errlen, name, "e_phentsize is %u, expected %zu", eh->e_phentsize, sizeof(Elf32_Phdr));
    if (!in_file(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf32_Phdr), len))
        return fail(err, errlen, name, "program header table (offset 0x%x, %u entries) extends past end of file",
                    eh->e_phoff, eh->e_phnum);
    return true;
}

/* The PT_LOAD program headers become segments (their bytes copied out);
 * other harmless kinds are skipped; dynamic linking is refused. */
static bool parse_segments(const uint8_t *buf, size_t len, const char *name, const Elf32_Ehdr *eh,
                           struct isa_image *img, char *err, size_t errlen)
{
    img->segments = calloc(eh->e_phnum, sizeof *img->segments);
    if (!img->segments) return fail(err, errlen, name, "out of memory");
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        Elf32_Phdr ph;
        memcpy(&ph, buf + eh->e_phoff + (size_t)i * sizeof ph, sizeof ph);
        if (ph.p_type == PT_DYNAMIC || ph.p_type == PT_INTERP)
            return fail(err, errlen, name, "program header %u asks for dynamic linking; ringsim images are static", i);
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
        if (!in_file(ph.p_offset, ph.p_filesz, len))
            return fail(err, errlen, name,
                        "program header %u extends past end of file (offset 0x%x + filesz 0x%x > 0x%zx)", i,
                        ph.p_offset, ph.p_filesz, len);
        if (!check_segment((int)i, ph.p_vaddr, ph.p_filesz, ph.p_memsz, name, err, errlen)) return false;
        struct isa_segment *g = &img->segments[img->nsegments];
        g->vaddr = ph.p_vaddr;
        g->filesz = ph.p_filesz;
        g->memsz = ph.p_memsz;
        g->flags = ph.p_flags & (PF_R | PF_W | PF_X);
        if (ph.p_filesz) {
            g->data = malloc(ph.p_filesz);
            if (!g->data) return fail(err, errlen, name, "out of memory");
            memcpy(g->data, buf + ph.p_offset, ph.p_filesz);
        }
        img->nsegments++;
    }
    if (img->nsegments == 0) return fail(err, errlen, name, "no loadable segments");
    return true;
}

/* Reads section header idx (already known to be inside the file). */
static Elf32_Shdr section_header(const uint8_t *buf, const Elf32_Ehdr *eh, unsigned idx)
{
    Elf32_Shdr s;
    memcpy(&s, buf + eh->e_shoff + (size_t)idx * sizeof s, sizeof s);
    return s;
}

/* One symbol table entry -> isa_symbol; *keep says whether it is worth
 * having (no section names, file names, undefined or nameless symbols). */
static bool parse_symbol(const Elf32_Sym *e, const char *strtab, size_t strsize, unsigned idx, const char *name,
                         struct isa_symbol *out, bool *keep, char *err, size_t errlen)
{
    unsigned type = ELF32_ST_TYPE(e->st_info), bind = ELF32_ST_BIND(e->st_info);
    *keep = false;
    if (type == STT_SECTION || type == STT_FILE || e->st_shndx == SHN_UNDEF) return true;
    if (e->st_name >= strsize || !memchr(strtab + e->st_name, 0, strsize - e->st_name))
        return fail(err, errlen, name, "symbol %u has a name outside .strtab", idx);
    if (!strtab[e->st_name]) return true;
    out->name = strdup(strtab + e->st_name);
    if (!out->name) return fail(err, errlen, name, "out of memory");
    out->addr = e->st_value;
    out->global = bind == STB_GLOBAL || bind == STB_WEAK;
    *keep = true;
    return true;
}

/* The symbol table, if the file has one.  Symbols are optional, but a
 * symbol table that is there must be well formed. */
static bool parse_symbols(const uint8_t *buf, size_t len, const char *name, const Elf32_Ehdr *eh,
                          struct isa_image *img, char *err, size_t errlen)
{
    if (eh->e_shoff == 0 || eh->e_shnum == 0) return true;
    if (eh->e_shentsize != sizeof(Elf32_Shdr))
        return fail(err, errlen, name, "e_shentsize is %u, expected %zu", eh->e_shentsize, sizeof(Elf32_Shdr));
    if (!in_file(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf32_Shdr), len))
        return fail(err, errlen, name, "section header table (offset 0x%x, %u entries) extends past end of file",
                    eh->e_shoff, eh->e_shnum);
    unsigned isym = 0;
    for (unsigned i = 1; i < eh->e_shnum && !isym; i++)
        if (section_header(buf, eh, i).sh_type == SHT_SYMTAB) isym = i;
    if (!isym) return true;

    Elf32_Shdr sym = section_header(buf, eh, isym);
    if (sym.sh_entsize != sizeof(Elf32_Sym))
        return fail(err, errlen, name, ".symtab entry size is %u, expected %zu", sym.sh_entsize, sizeof(Elf32_Sym));
    if (!in_file(sym.sh_offset, sym.sh_size, len))
        return fail(err, errlen, name, ".symtab (section %u) extends past end of file", isym);
    if (sym.sh_link == 0 || sym.sh_link >= eh->e_shnum)
        return fail(err, errlen, name, ".symtab links to section %u, which does not exist", sym.sh_link);
    Elf32_Shdr str = section_header(buf, eh, sym.sh_link);
    if (str.sh_type != SHT_STRTAB)
        return fail(err, errlen, name, ".symtab links to section %u, which is not a string table", sym.sh_link);
    if (!in_file(str.sh_offset, str.sh_size, len))
        return fail(err, errlen, name, ".strtab (section %u) extends past end of file", sym.sh_link);

    /* n is bounded by the file (in_file above), and so is what the names
     * copy out of .strtab: every symbol may point at the same long name, so
     * without a bound on their sum a 1 MB file could ask for gigabytes.  A
     * file ringsim writes stores each name once, so its names never add up
     * to more than the file. */
    size_t n = sym.sh_size / sizeof(Elf32_Sym), name_bytes = 0;
    img->symbols = calloc(n ? n : 1, sizeof *img->symbols);
    if (!img->symbols) return fail(err, errlen, name, "out of memory");
    for (size_t i = 1; i < n; i++) { /* entry 0 is the null symbol */
        Elf32_Sym e;
        bool keep;
        memcpy(&e, buf + sym.sh_offset + i * sizeof e, sizeof e);
        if (!parse_symbol(&e, (const char *)buf + str.sh_offset, str.sh_size, (unsigned)i, name,
                          &img->symbols[img->nsymbols], &keep, err, errlen))
            return false;
        if (!keep) continue;
        name_bytes += strlen(img->symbols[img->nsymbols++].name) + 1;
        if (name_bytes > len)
            return fail(err, errlen, name,
                        "symbol %zu: the symbol names add up to more than the file's %zu bytes "
                        "(a string table shared between symbols this much is not an image ringsim writes)",
                        i, len);
    }
    return true;
}

bool isa_image_parse(const uint8_t *buf, size_t len, const char *name, struct isa_image *img, char *err,
                     size_t errlen)
{
    Elf32_Ehdr eh;
    memset(img, 0, sizeof *img);
    if (!buf) len = 0;
    bool ok = parse_ehdr(buf, len, name, &eh, err, errlen) &&
              parse_segments(buf, len, name, &eh, img, err, errlen) &&
              parse_symbols(buf, len, name, &eh, img, err, errlen);
    if (ok) {
        img->entry = eh.e_entry;
        ok = check_layout(img, name, err, errlen);
    }
    if (!ok) isa_image_free(img);
    return ok;
}

/* What a file that is not a regular one is, for the message refusing it. */
static const char *file_kind(mode_t mode)
{
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISFIFO(mode)) return "a pipe";
    if (S_ISSOCK(mode)) return "a socket";
    return "a special file";
}

/* Writes the reason into err and returns false. */
static bool refuse(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool refuse(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return false;
}

bool isa_read_file(const char *path, size_t max, char **data, size_t *outlen, char *err, size_t errlen)
{
    *data = NULL;
    *outlen = 0;
    /* O_NONBLOCK: opening a FIFO without a writer would otherwise wait
     * forever, before fstat could say it is not a regular file */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return refuse(err, errlen, "%s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return refuse(err, errlen, "%s", strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return refuse(err, errlen, "%s", strerror(EISDIR));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return refuse(err, errlen, "not a regular file (%s)", file_kind(st.st_mode));
    }
    if ((uint64_t)st.st_size > max) {
        close(fd);
        return refuse(err, errlen, "%s (%lld bytes, at most %zu)", strerror(EFBIG), (long long)st.st_size, max);
    }
    /* one byte more than the size, to notice a file that grew meanwhile */
    size_t cap = (size_t)st.st_size + 1, done = 0;
    char *buf = malloc(cap + 1);
    if (!buf) {
        close(fd);
        return refuse(err, errlen, "%s", strerror(ENOMEM));
    }
    for (;;) {
        if (done == cap) {
            if (cap > max) break;                   /* grew past max: refused below */
            size_t ncap = cap > max / 2 ? max + 1 : cap * 2;
            char *nb = realloc(buf, ncap + 1);
            if (!nb) {
                free(buf);
                close(fd);
                return refuse(err, errlen, "%s", strerror(ENOMEM));
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + done, cap - done);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            close(fd);
            return refuse(err, errlen, "%s", strerror(e));
        }
        if (r == 0) break;
        done += (size_t)r;
    }
    close(fd);
    if (done > max) {
        free(buf);
        return refuse(err, errlen, "%s (more than %zu bytes)", strerror(EFBIG), max);
    }
    buf[done] = 0;
    *data = buf;
    *outlen = done;
    return true;
}

bool isa_image_load(const char *path, struct isa_image *img, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    memset(img, 0, sizeof *img);
    char why[256];
    if (!isa_read_file(path, IMAGE_MAX_FILE, &buf, &len, why, sizeof why))
        return fail(err, errlen, path, "cannot open: %s", why);
    bool ok = isa_image_parse((const uint8_t *)buf, len, path, img, err, errlen);
    free(buf);
    return ok;
}

void isa_image_free(struct isa_image *img)
{
    if (!img) return;
    for (int i = 0; i < img->nsegments; i++) free(img->segments[i].data);
    for (int i = 0; i < img->nsymbols; i++) free(img->symbols[i].name);
    free(img->segments);
    free(img->symbols);
    memset(img, 0, sizeof *img);
}

/* ---- symbol lookup ------------------------------------------------------ */

/* Of two symbols at one address, which should be shown: a global over a
 * local, then the alphabetically first, so the answer never depends on the
 * order of the symbol table. */
static bool symbol_better(const struct isa_symbol *a, const struct isa_symbol *b)
{
    if (!b) return true;
    if (a->global != b->global) return a->global;
    return strcmp(a->name, b->name) < 0;
}

const char *isa_image_symbol_at(const struct isa_image *img, uint32_t addr)
{
    const struct isa_symbol *best = NULL;
    for (int i = 0; i < img->nsymbols; i++)
        if (img->symbols[i].addr == addr && symbol_better(&img->symbols[i], best)) best = &img->symbols[i];
    return best ? best->name : NULL;
}

const char *isa_image_symbol_near(const struct isa_image *img, uint32_t addr, uint32_t *off)
{
    const struct isa_symbol *best = NULL;
    for (int i = 0; i < img->nsymbols; i++) {
        const struct isa_symbol *s = &img->symbols[i];
        if (s->addr > addr) continue;
        if (!best || s->addr > best->addr || (s->addr == best->addr && symbol_better(s, best))) best = s;
    }
    if (!best) return NULL;
    if (off) *off = addr - best->addr;
    return best->name;
}

/* A global wins over locals of the same name (two files may each have a
 * local "loop"); among locals, the first in the table. */
bool isa_image_symbol_addr(const struct isa_image *img, const char *name, uint32_t *addr)
{
    const struct isa_symbol *found = NULL;
    for (int i = 0; i < img->nsymbols; i++) {
        const struct isa_symbol *s = &img->symbols[i];
        if (strcmp(s->name, name) == 0 && (!found || (s->global && !found->global))) found = s;
    }
    if (found && addr) *addr = found->addr;
    return found != NULL;
}
