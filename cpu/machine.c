/*
 * machine.c — making, loading and throwing away a machine.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/decode.h"
#include "cpu/jit.h"

const char *const cycle_cause_name[CY_COUNT] = {
#define X(id, name, desc) [id] = name,
    CYCLE_CAUSES(X)
#undef X
};
const char *const cycle_cause_desc[CY_COUNT] = {
#define X(id, name, desc) [id] = desc,
    CYCLE_CAUSES(X)
#undef X
};
const char *const trace_kind_name[TR_COUNT] = {
#define X(id, name, desc) [id] = name,
    TRACE_KINDS(X)
#undef X
};
const char *const stop_reason_name[STOP_COUNT] = {
#define X(id, name, desc) [id] = name,
    STOP_REASONS(X)
#undef X
};

bool machine_init(struct machine *m, const struct machine_config *cfg, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    uint32_t memsize = cfg->memsize ? cfg->memsize : 16u << 20;
    if (memsize % 4096 || memsize < 65536 || memsize > (1u << 30)) {
        snprintf(err, errlen, "memory size %u: expected a multiple of 4096 between 64 KiB and 1 GiB",
                 memsize);
        return false;
    }
    m->memsize = memsize;
    m->isa = cfg->isa;
    m->levels = cfg->levels ? cfg->levels : 2;
    m->max_cycles = cfg->max_cycles;
    m->bt_chain = !cfg->no_bt_chain;
    m->jit = cfg->jit && cpu_jit_available();
    m->jit_threshold = cfg->jit_threshold ? cfg->jit_threshold : JIT_THRESHOLD;
    if (cfg->prof) m->prof = *cfg->prof;
    else profile_defaults(&m->prof);
    struct mmu_config mc = {m->levels, cfg->tlb_entries, cfg->tlb_ways, cfg->no_asid, cfg->pwc_entries,
                           cfg->ntlb_entries};
    if (!mmu_init(&m->mmu, &mc, err, errlen)) return false;
    m->mem = calloc(1, memsize);
    m->dpages = calloc(memsize >> 12, sizeof *m->dpages);
    m->code_page = calloc(memsize >> 12, 1);
    m->bt_pages = calloc(memsize >> 12, sizeof *m->bt_pages);
    if (!m->mem || !m->dpages || !m->code_page || !m->bt_pages) {
        machine_free(m);
        snprintf(err, errlen, "out of host memory for %u bytes of guest memory", memsize);
        return false;
    }
    m->con.out = stdout;
    m->vmx.cur = -1;
    m->cpu.r[ISA_REG_SP] = memsize;
    m->stop = STOP_NONE;
    return true;
}

void machine_stop(struct machine *m, enum stop_reason reason, const char *fmt, ...)
{
    m->stop = reason;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->stop_detail, sizeof m->stop_detail, fmt, ap);
    va_end(ap);
    cpu_trace(m, TR_STOP, reason, 0, 0, NULL);   /* with what the run spent after its last event */
}

void machine_free(struct machine *m)
{
    disk_detach(&m->disk);
    disk_journal_free(m->journal);
    m->journal = NULL;
    net_detach(&m->nic);
    free(m->netsw);
    m->netsw = NULL;
    if (m->dpages) {
        for (uint32_t i = 0; i < m->memsize >> 12; i++) {
            if (m->dpages[i]) jit_page_free(m, m->dpages[i]);
            free(m->dpages[i]);
        }
    }
    if (m->bt_pages) {
        for (uint32_t i = 0; i < m->memsize >> 12; i++) free(m->bt_pages[i]);
    }
    free(m->dpages);
    free(m->bt_pages);
    m->bt_pages = NULL;
    free(m->code_page);
    mmu_free(&m->mmu);
    free(m->mem);
    free(m->con.input);
    m->dpages = NULL;
    m->code_page = NULL;
    m->mem = NULL;
    m->con.input = NULL;
}

bool machine_load_image(struct machine *m, const struct isa_image *img, char *err, size_t errlen)
{
    for (int i = 0; i < img->nsegments; i++) {
        const struct isa_segment *s = &img->segments[i];
        if (s->memsz > m->memsize || s->vaddr > m->memsize - s->memsz) {
            snprintf(err, errlen,
                     "segment %d (0x%08x, %u bytes) does not fit in %u bytes of memory", i,
                     s->vaddr, s->memsz, m->memsize);
            return false;
        }
        if (s->filesz) memcpy(m->mem + s->vaddr, s->data, s->filesz);
        memset(m->mem + s->vaddr + s->filesz, 0, s->memsz - s->filesz);
        for (uint32_t p = s->vaddr >> 12; s->memsz && p <= (s->vaddr + s->memsz - 1) >> 12; p++)
            decode_invalidate_page(m, p);
    }
    m->cpu.pc = img->entry;
    return true;
}

void machine_set_input(struct machine *m, const char *data, uint32_t len)
{
    free(m->con.input);
    m->con.input = malloc(len ? len : 1);
    if (!m->con.input) len = 0;
    else memcpy(m->con.input, data, len);
    m->con.input_len = len;
    m->con.input_pos = 0;
}

void machine_set_boot_args(struct machine *m, const char *args)
{
    size_t n = strlen(args);
    if (n > BOOT_ARGS_MAX - 1) n = BOOT_ARGS_MAX - 1;
    memcpy(m->mem + BOOT_ARGS_ADDR, args, n);
    m->mem[BOOT_ARGS_ADDR + n] = 0;
    decode_invalidate_page(m, BOOT_ARGS_ADDR >> 12);
}
