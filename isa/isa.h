/*
 * isa.h — the architecture of the ringsim machine, as data.
 *
 * This header is the interface of isa/: the instruction set (from
 * isa_table.h), the encodings, the control registers, the trap causes, the
 * I/O ports, paging's PTE and fault bits, the VM exit reasons, and the
 * three tools built on them — the assembler, the
 * disassembler and the ELF32 image reader/writer.  The one idea to hold:
 * every fact about an instruction lives in one line of isa_table.h; code here
 * and elsewhere asks the table (isa_info) rather than listing opcodes again.
 */
#ifndef RINGSIM_ISA_H
#define RINGSIM_ISA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- instruction formats ------------------------------------------------
 * Every encoding is 32 bits: bits 31..24 are the opcode; the rest is split
 * into fields a (23..20), b (19..16), c (15..12), imm16 (15..0), imm20 (19..0).
 * A format says which fields an instruction uses and how they are written.  */
#define ISA_FORMATS(X)                                                                       \
    X(FMT_R,   "rd, rs1, rs2",   "a=rd b=rs1 c=rs2")                                         \
    X(FMT_I,   "rd, rs1, simm16", "a=rd b=rs1 imm=signed 16-bit")                            \
    X(FMT_IU,  "rd, rs1, uimm16", "a=rd b=rs1 imm=unsigned 16-bit")                          \
    X(FMT_SH,  "rd, rs1, shamt",  "a=rd b=rs1 imm=shift amount 0..31")                       \
    X(FMT_LUI, "rd, uimm16",      "a=rd imm=unsigned 16-bit")                                \
    X(FMT_LD,  "rd, simm16(rs1)", "a=rd b=rs1 imm=signed 16-bit offset")                     \
    X(FMT_ST,  "rs2, simm16(rs1)", "a=rs2 (value) b=rs1 (base) imm=signed 16-bit offset")    \
    X(FMT_B,   "rs1, rs2, label", "a=rs1 b=rs2 imm=signed 16-bit word offset from this insn") \
    X(FMT_J,   "rd, label",       "a=rd imm20=signed 20-bit word offset from this insn")     \
    X(FMT_JR,  "rd, rs1, simm16", "a=rd b=rs1 imm=signed 16-bit")                            \
    X(FMT_N,   "",                "no operands; all other bits zero")                        \
    X(FMT_RD,  "rd",              "a=rd")                                                    \
    X(FMT_RS,  "rs",              "a=rs")                                                    \
    X(FMT_CRW, "cr, rs",          "a=rs imm=control register number")                        \
    X(FMT_CRR, "rd, cr",          "a=rd imm=control register number")                        \
    X(FMT_IN,  "rd, port",        "a=rd imm=port number")                                    \
    X(FMT_OUT, "port, rs",        "a=rs imm=port number")

enum isa_fmt {
#define X(id, ops, fields) id,
    ISA_FORMATS(X)
#undef X
    FMT_COUNT
};

/* ---- cost classes: an instruction's base cycles come from its class, and a
 * class's cycles come from the machine profile (profiles/NAME.ini, [class]). */
#define ISA_CLASSES(X)                                               \
    X(CL_ALU,    "alu",    1,  "integer arithmetic and logic")       \
    X(CL_MUL,    "mul",    3,  "multiplication")                     \
    X(CL_DIV,    "div",    20, "division and remainder")             \
    X(CL_LOAD,   "load",   1,  "loads (plus one memory reference)")  \
    X(CL_STORE,  "store",  1,  "stores (plus one memory reference)") \
    X(CL_BRANCH, "branch", 1,  "conditional branches")               \
    X(CL_JUMP,   "jump",   1,  "jumps and calls")                    \
    X(CL_SYSTEM, "system", 2,  "unprivileged system instructions")   \
    X(CL_PRIV,   "priv",   5,  "privileged control instructions")    \
    X(CL_IO,     "io",     20, "port I/O")

enum isa_class {
#define X(id, name, cyc, desc) id,
    ISA_CLASSES(X)
#undef X
    CL_COUNT
};

/* ---- opcodes ---------------------------------------------------------- */
enum isa_op {
    OP_INVALID = 0,
#define INSN(id, mn, opc, fmt, cls, pv, sn, sem) OP_##id,
#include "isa_table.h"
#undef INSN
    OP_COUNT
};

struct isa_info {
    const char *mnemonic;
    uint8_t opcode;
    enum isa_fmt format;
    enum isa_class cls;
    bool privileged;  /* faults outside ring 0 on every ISA variant */
    bool sensitive;   /* touches privileged state */
    const char *semantics;
};

/* Which ISA: classic keeps the red pills (sensitive but unprivileged), strict
 * makes every sensitive instruction privileged (Popek–Goldberg compliant). */
enum isa_variant { ISA_CLASSIC, ISA_STRICT };

extern const struct isa_info isa_info[OP_COUNT];
extern const char *const isa_format_operands[FMT_COUNT];
extern const char *const isa_format_fields[FMT_COUNT];
extern const char *const isa_class_name[CL_COUNT];
extern const char *const isa_class_desc[CL_COUNT];
extern const int isa_class_default_cycles[CL_COUNT];

/* The opcode byte -> enum isa_op map (OP_INVALID where nothing is defined). */
enum isa_op isa_op_of_opcode(uint8_t opcode);
/* The instruction with this mnemonic, or OP_INVALID. */
enum isa_op isa_op_by_mnemonic(const char *mnemonic);
/* True when the instruction faults outside ring 0 on this variant. */
bool isa_is_privileged(enum isa_op op, enum isa_variant v);
const char *isa_variant_name(enum isa_variant v);
bool isa_variant_parse(const char *s, enum isa_variant *out);

/* ---- registers ----------------------------------------------------------
 * r0 always reads 0 (writes are discarded); r14 is the stack pointer sp,
 * r15 the link register lr.  Calling convention (guests/README): arguments
 * and results in r1..r6, r1..r7 caller-saved, r8..r13 callee-saved. */
#define ISA_NREGS 16
#define ISA_REG_SP 14
#define ISA_REG_LR 15
/* Register number for "r7", "sp", "lr", "zero" (case-insensitive); -1 if none. */
int isa_reg_parse(const char *name);
const char *isa_reg_name(int reg);

/* ---- status register SR ------------------------------------------------ */
#define SR_IE        0x1u   /* interrupts enabled */
#define SR_RING_SHIFT 1
#define SR_RING_MASK 0x6u   /* bits 2..1: current ring 0..3 */
#define SR_RING(sr)  (((sr) & SR_RING_MASK) >> SR_RING_SHIFT)

/* ---- control registers (mtcr/mfcr) ------------------------------------- */
#define ISA_CREGS(X)                                                                             \
    X(CR_SR,      0,  "sr",      1, "status register: bit 0 IE, bits 2..1 ring")                \
    X(CR_VBR,     1,  "vbr",     1, "vector-table base: 16 words, one handler address per cause") \
    X(CR_EPC,     2,  "epc",     1, "PC saved by the last trap")                                  \
    X(CR_ESR,     3,  "esr",     1, "SR saved by the last trap")                                  \
    X(CR_CAUSE,   4,  "cause",   1, "cause number of the last trap")                              \
    X(CR_BADADDR, 5,  "badaddr", 1, "faulting address of the last memory fault")                  \
    X(CR_KSP,     6,  "ksp",     1, "kernel stack pointer loaded into sp on a trap from ring > 0") \
    X(CR_USP,     7,  "usp",     1, "sp saved by a trap from ring > 0, restored by iret")         \
    X(CR_SCRATCH, 8,  "scratch", 1, "free for the kernel")                                        \
    X(CR_PTB,     9,  "ptb",     1, "page-table base (physical address of the root table)")       \
    X(CR_ASID,    10, "asid",    1, "address-space id tagging TLB entries")                       \
    X(CR_MMU,     11, "mmu",     1, "bit 0: paging enabled")                                      \
    X(CR_LEVELS,  12, "levels",  0, "read-only: number of page-table levels")                     \
    X(CR_FAULT,   13, "fault",   1, "page-fault reason bits of the last page fault (only a page fault or mtcr changes it)")              \
    X(CR_MEMSIZE, 14, "memsize", 0, "read-only: bytes of physical memory")                        \
    X(CR_CYCLE,   15, "cycle",   0, "read-only: low 32 bits of the cycle counter")

enum isa_creg {
#define X(id, num, name, wr, desc) id = num,
    ISA_CREGS(X)
#undef X
    CR_COUNT
};
extern const char *const isa_creg_name[CR_COUNT];
extern const char *const isa_creg_desc[CR_COUNT];
extern const bool isa_creg_writable[CR_COUNT];
int isa_creg_parse(const char *name);

/* ---- trap causes = vector numbers -------------------------------------- */
#define ISA_CAUSES(X)                                                                     \
    X(CAUSE_ILLEGAL,    0,  "illegal",    "undefined instruction word (or vmcall in ring 0 or 3 outside a VM)") \
    X(CAUSE_PROTECTION, 1,  "protection", "privileged instruction outside ring 0")         \
    X(CAUSE_PAGE_FAULT, 2,  "page_fault", "translation failed: BADADDR and FAULT say where and why") \
    X(CAUSE_DIVIDE,     3,  "divide",     "division or remainder by zero")                 \
    X(CAUSE_BREAKPOINT, 4,  "breakpoint", "brk instruction")                               \
    X(CAUSE_SYSCALL,    5,  "syscall",    "syscall instruction")                           \
    X(CAUSE_MISALIGNED, 6,  "misaligned", "load, store or fetch not naturally aligned")    \
    X(CAUSE_BUS_ERROR,  7,  "bus_error",  "physical address outside memory")               \
    X(CAUSE_DOUBLE,     8,  "double_fault", "a fault while entering a trap handler")       \
    X(CAUSE_TIMER,      9,  "timer",      "timer interrupt")                               \
    X(CAUSE_CONSOLE,    10, "console",    "console input interrupt")                       \
    X(CAUSE_HYPERCALL,  11, "hypercall",  "vmcall in ring 1 or 2 outside a VM: a deprivileged (paravirtual) kernel calls the ring-0 hypervisor") \
    X(CAUSE_DISK,       12, "disk",       "block-device completion interrupt") \
    X(CAUSE_NET,        13, "net",        "network-interface interrupt: a frame sent or received")

enum isa_cause {
#define X(id, num, name, desc) id = num,
    ISA_CAUSES(X)
#undef X
    CAUSE_COUNT
};
#define ISA_VECTORS 16
extern const char *const isa_cause_name[CAUSE_COUNT];
extern const char *const isa_cause_desc[CAUSE_COUNT];
int isa_cause_parse(const char *name);

/* ---- I/O ports (in/out) ------------------------------------------------ */
#define ISA_PORTS(X)                                                                          \
    X(PORT_POWER,      0x00, "power",      "out: stop the machine; the value is the exit code") \
    X(PORT_CON_DATA,   0x10, "con_data",   "out: write a byte to the console; in: read a byte, -1 if none") \
    X(PORT_CON_STATUS, 0x11, "con_status", "in: bit 0 = input byte waiting")                 \
    X(PORT_CON_CTRL,   0x12, "con_ctrl",   "out: bit 0 = interrupt when input is waiting")   \
    X(PORT_TIMER_PERIOD, 0x20, "timer_period", "out: cycles between timer interrupts, 0 stops the timer; in: the period") \
    X(PORT_TIMER_ACK,  0x21, "timer_ack",  "out: acknowledge the pending timer interrupt")   \
    X(PORT_TIMER_NOW,  0x22, "timer_now",  "in: low 32 bits of the cycle counter") \
    X(PORT_DISK_SECTOR, 0x30, "disk_sector", "out/in: the first sector of the next command") \
    X(PORT_DISK_COUNT, 0x31, "disk_count", "out/in: how many sectors (1..128)") \
    X(PORT_DISK_ADDR,  0x32, "disk_addr",  "out/in: the physical address DMA starts at") \
    X(PORT_DISK_CMD,   0x33, "disk_cmd",   "out: start a command: 1 read, 2 write, 3 flush") \
    X(PORT_DISK_STATUS, 0x34, "disk_status", "in: bit 0 = busy; bit 1 = done (a command completed, not yet acknowledged); bits 8..15 = the last command's error (0 = none)") \
    X(PORT_DISK_SIZE,  0x35, "disk_size",  "in: sectors on the disk, 0 = no disk") \
    X(PORT_DISK_CTRL,  0x36, "disk_ctrl",  "out/in: bit 0 = interrupt when a command is done") \
    X(PORT_DISK_ACK,   0x37, "disk_ack",   "out: acknowledge the done command (clears disk_status bit 1 and the interrupt)") \
    X(PORT_DISK_QUEUE, 0x38, "disk_queue", "out/in: the physical address of the request queue's page (0 = none; kept only while a disk is attached)") \
    X(PORT_DISK_NOTIFY, 0x39, "disk_notify", "out: notification: take every request added to the queue since the last one") \
    X(PORT_NET_TX_RING, 0x40, "net_tx_ring", "out/in: the physical address of the transmit ring's page (0 = none)") \
    X(PORT_NET_RX_RING, 0x41, "net_rx_ring", "out/in: the physical address of the receive ring's page (0 = none)") \
    X(PORT_NET_TX_NOTIFY, 0x42, "net_tx_notify", "out: doorbell: send every frame added to the transmit ring since the last one") \
    X(PORT_NET_RX_NOTIFY, 0x43, "net_rx_notify", "out: doorbell: receive buffers were added to the receive ring") \
    X(PORT_NET_CTRL,   0x44, "net_ctrl",   "out/in: bit 0 = interrupt when a frame was sent or received") \
    X(PORT_NET_STATUS, 0x45, "net_status", "in: bit 0 = frames sent, bit 1 = frames received (not yet acknowledged); bits 8..15 = the last error") \
    X(PORT_NET_ACK,    0x46, "net_ack",    "out: acknowledge what net_status reports (clears bits 0, 1 and the interrupt)") \
    X(PORT_NET_MAC,    0x47, "net_mac",    "in: the low four bytes of the interface's MAC address (the first two are 52:54), 0 = no interface") \
    X(PORT_NET_RX_USED, 0x48, "net_rx_used", "in: the receive ring's used index (frames received so far)") \
    X(PORT_NET_TX_USED, 0x49, "net_tx_used", "in: the transmit ring's used index (frames taken so far)")

enum isa_port {
#define X(id, num, name, desc) id = num,
    ISA_PORTS(X)
#undef X
};
/* The block device behind the disk_* ports (docs/isa.md, "Block device"). */
#define DISK_SECTOR 512u               /* bytes in a sector */
#define DISK_MAX_COUNT 128u            /* sectors one command may move */
enum disk_command { DISK_READ = 1, DISK_WRITE = 2, DISK_FLUSH = 3 };
#define DISK_STATUS_BUSY 0x1u          /* disk_status: the command in progress has not completed */
#define DISK_STATUS_DONE 0x2u          /* disk_status: a command completed, not yet acknowledged */
#define DISK_CTRL_IRQ 0x1u             /* disk_ctrl: raise the disk interrupt while done */
/* The request queue (the split driver's ring, docs/isa.md "Request queue"):
 * one page of physical memory the driver fills and the device reads.  Words:
 * the available index (requests the driver has added, counting from 0, it
 * writes), the used index (requests the device has taken, it writes), flags
 * (the driver's); then DISK_QUEUE_SIZE requests of four words (command,
 * sector, count, address) and as many status words, each the error code of
 * the request in that slot, written by the device. */
#define DISK_QUEUE_SIZE 16u
#define DQ_AVAIL 0u                    /* byte offsets in the queue's page */
#define DQ_USED 4u
#define DQ_FLAGS 8u
#define DQ_REQ 16u                     /* + slot * DQ_REQ_BYTES: command, sector, count, address */
#define DQ_REQ_BYTES 16u
#define DQ_STATUS (DQ_REQ + DISK_QUEUE_SIZE * DQ_REQ_BYTES) /* + slot * 4 */
#define DQ_NO_INTERRUPT 0x1u           /* flags: no completion interrupt for the requests taken */
#define DISK_ERRORS(X)                                                                   \
    X(DISK_OK,        0, "ok",        "the command completed")                           \
    X(DISK_NO_DISK,   1, "no_disk",   "no disk is attached")                             \
    X(DISK_BAD_CMD,   2, "bad_cmd",   "no such command")                                 \
    X(DISK_BAD_COUNT, 3, "bad_count", "count is 0 or more than 128 sectors")             \
    X(DISK_RANGE,     4, "range",     "a sector past the end of the disk")               \
    X(DISK_DMA,       5, "dma",       "DMA outside physical memory (or, under pv, into a page table)") \
    X(DISK_BUSY,      6, "busy",      "a command arrived while one was in progress")     \
    X(DISK_HOST_IO,   7, "host_io",   "the host file could not be read or written") \
    X(DISK_QUEUE,     8, "queue",     "a notification with no queue page in memory, or an available index more than 16 ahead")
enum disk_error {
#define X(id, num, name, desc) id = num,
    DISK_ERRORS(X)
#undef X
};
/* The network interface behind the net_* ports (docs/isa.md, "Network
 * interface"): a transmit and a receive ring, each one page of physical
 * memory laid out as the disk's request queue is: the available index (the
 * driver's), the used index (the device's), flags (the driver's), then
 * NET_RING_SIZE descriptors of two words (address, length) and as many
 * status words, written by the device: on the transmit ring the error code
 * of the frame, on the receive ring the length of the frame received (an
 * error code << 16 if it did not fit). */
#define NET_RING_SIZE 16u
#define NR_AVAIL 0u                    /* byte offsets in a ring's page */
#define NR_USED 4u
#define NR_FLAGS 8u
#define NR_DESC 16u                    /* + slot * 8: address, length */
#define NR_STATUS (NR_DESC + NET_RING_SIZE * 8u) /* + slot * 4 */
#define NR_NO_INTERRUPT 0x1u           /* flags: no interrupt for the frames of this ring */
#define NET_HEADER 14u                 /* destination MAC, source MAC, type */
#define NET_MAX_FRAME 1514u            /* bytes in the largest frame */
#define NET_MAC_HI 0x5254u             /* every interface's first two MAC bytes */
#define NET_STATUS_TX 0x1u
#define NET_STATUS_RX 0x2u
#define NET_CTRL_IRQ 0x1u
#define NET_FIFO_FRAMES 32             /* frames that may wait for a receive buffer */
#define NET_DEFAULT_LATENCY 2000       /* cycles through the switch (--net-latency) */
#define NET_ERRORS(X)                                                                     \
    X(NET_OK,       0, "ok",       "the frame was sent (or received)")                    \
    X(NET_BAD_LEN,  1, "bad_len",  "a frame shorter than its 14-byte header or longer than 1514 bytes, or a receive buffer too small") \
    X(NET_DMA,      2, "dma",      "a descriptor's buffer outside physical memory (or, under pv, in a page table)") \
    X(NET_RING,     3, "ring",     "a doorbell with no ring page in memory, or an available index more than 16 ahead")
enum net_error {
#define X(id, num, name, desc) id = num,
    NET_ERRORS(X)
#undef X
};
/* Name of a port number, or NULL. */
const char *isa_port_name(unsigned port);
int isa_port_parse(const char *name);

/* ---- paging (docs/isa.md "Paging") --------------------------------------
 * The architecture the MMU implements (mmu/mmu.h) and the reference
 * documents: a PTE is bits 31..12 a frame number, then these flags; a page
 * fault's reason bits go to CR fault. */
#define PTE_P 0x01u   /* present */
#define PTE_W 0x02u   /* writable */
#define PTE_U 0x04u   /* user (ring 3) may access */
#define PTE_A 0x08u   /* accessed: set by the walker */
#define PTE_D 0x10u   /* dirty: set by the walker on a write */
#define PTE_L 0x20u   /* large: a leaf above the bottom level */
#define PTE_G 0x40u   /* global: matches every ASID */
#define PTE_FRAME 0xfffff000u

#define FAULT_PRESENT 0x1u
#define FAULT_WRITE   0x2u
#define FAULT_USER    0x4u
#define FAULT_FETCH   0x8u

#define ISA_MAX_LEVELS 4   /* CR levels is 2, 3 or 4 */
#define ISA_ASID_BITS 16   /* the bits of CR asid that tag a TLB entry */

/* The split of a 20-bit virtual page number into `levels` table indices:
 * index bits for each level, root first (the root takes what does not
 * divide evenly).  ISA_INDEX_BITS and ISA_INDEX_SHIFT are the rule, for
 * level i (0 = root) of a table of `levels` levels: constants where both
 * are (the MMU's unrolled walker). */
#define ISA_INDEX_BITS(levels, i) (20u / (levels) + ((i) == 0 ? 20u % (levels) : 0u))
#define ISA_INDEX_SHIFT(levels, i) (12u + ((levels) - 1u - (i)) * (20u / (levels)))
void isa_level_bits(unsigned levels, unsigned bits[ISA_MAX_LEVELS]);

/* ---- boot parameters ---------------------------------------------------- */
/* `ringsim run --args`: a NUL-terminated string at physical BOOT_ARGS_ADDR. */
#define BOOT_ARGS_ADDR 0x100u
#define BOOT_ARGS_MAX 256

/* ---- ring -1: why a guest leaves (docs/isa.md "Ring -1") ---------------- */
#define VMEXIT_REASONS(X)                                                                    \
    X(EXIT_EXCEPTION,    "exception",          "an exception in the exception bitmap; qual = cause") \
    X(EXIT_EXTINT,       "external_interrupt", "a host interrupt (the hypervisor's timer)")  \
    X(EXIT_IRQ_WINDOW,   "interrupt_window",   "the guest unmasked interrupts with one pending for it") \
    X(EXIT_TRIPLE,       "triple_fault",       "the guest triple-faulted")                   \
    X(EXIT_HLT,          "hlt",                "the guest halted")                           \
    X(EXIT_IO,           "io",                 "in/out; qual = port, bit 16 for out, bits 23..20 the register") \
    X(EXIT_CR_ACCESS,    "cr_access",          "mtcr/mfcr with its exit control; qual = CR number") \
    X(EXIT_INVLPG,       "invlpg",             "TLB maintenance with its exit control")      \
    X(EXIT_SENSITIVE,    "sensitive",          "another sensitive instruction with its exit control; qual = opcode") \
    X(EXIT_VMCALL,       "vmcall",             "a hypercall")                                \
    X(EXIT_EPT_VIOLATION, "nested_violation",  "nested paging found no host mapping; qual = guest-physical address")

enum vmexit_reason {
#define X(id, name, desc) id,
    VMEXIT_REASONS(X)
#undef X
    EXIT_COUNT
};
extern const char *const vmexit_reason_name[EXIT_COUNT];
extern const char *const vmexit_reason_desc[EXIT_COUNT];

/* ---- encoding ---------------------------------------------------------- */
/* A decoded instruction word: the fields of its format, already extended. */
struct isa_insn {
    enum isa_op op;
    uint8_t a, b, c;  /* register (or field) numbers */
    int32_t imm;      /* sign- or zero-extended per format; branch/jump: words */
};

/* Fields of a word -> isa_insn. Returns false for an undefined word (bad
 * opcode, or non-zero bits the format leaves unused). */
bool isa_decode(uint32_t word, struct isa_insn *out);
/* isa_insn -> word. Returns false if a field does not fit its format. */
bool isa_encode(const struct isa_insn *in, uint32_t *out);
/* Range of a format's immediate: [min, max]. */
void isa_imm_range(enum isa_fmt fmt, int32_t *min, int32_t *max);

/* ---- disassembler ------------------------------------------------------ */
/* Symbol lookup for the disassembler: name of a symbol at exactly addr, or NULL. */
typedef const char *(*isa_symbolizer)(void *ctx, uint32_t addr);
/* Writes "mnemonic operands" for the word at pc into buf (targets shown as
 * symbols when sym knows them). Returns the length written. Undefined words
 * print as ".word 0x…". */
int isa_disasm(uint32_t word, uint32_t pc, char *buf, size_t len, isa_symbolizer sym, void *ctx);

/* ---- ELF32 images ------------------------------------------------------
 * ringsim images are ELF32 little-endian executables with e_machine =
 * EM_RINGSIM (0x5253, "RS"; in the range no registered machine uses), one
 * PT_LOAD segment per section, and a symbol table for the debugger. */
#define EM_RINGSIM 0x5253

struct isa_symbol {
    char *name;
    uint32_t addr;
    bool global;
};

struct isa_segment {
    uint32_t vaddr;   /* load address (physical on bare metal) */
    uint32_t filesz;
    uint32_t memsz;   /* bytes beyond filesz are zero */
    uint32_t flags;   /* PF_R/PF_W/PF_X as in ELF */
    uint8_t *data;    /* filesz bytes */
};

struct isa_image {
    uint32_t entry;
    int nsegments;
    struct isa_segment *segments;
    int nsymbols;
    struct isa_symbol *symbols;
};

/* Reads the whole of a regular file of at most max bytes into a malloc'd
 * buffer with a NUL after the last byte (*len excludes it).  Directories,
 * devices, pipes and files over max are refused without reading them, so
 * that no input can make a reader run or allocate without bound.  On error
 * returns false with the reason alone in err — the errno text ("No such
 * file or directory", "Is a directory") or why the file was refused — for
 * the caller to put after the file's name.  Every file ringsim reads by
 * name goes through here (images, sources, profiles, input and scripts). */
bool isa_read_file(const char *path, size_t max, char **data, size_t *len, char *err, size_t errlen);

/* Reads an image; on error returns false with a message "path: what" in err. */
bool isa_image_load(const char *path, struct isa_image *img, char *err, size_t errlen);
/* Same from a memory buffer (name is used in messages). */
bool isa_image_parse(const uint8_t *buf, size_t len, const char *name, struct isa_image *img,
                     char *err, size_t errlen);
/* Writes an image atomically (temp file + rename). */
bool isa_image_write(const char *path, const struct isa_image *img, char *err, size_t errlen);
void isa_image_free(struct isa_image *img);
/* The symbol at exactly addr (prefers globals), or NULL. */
const char *isa_image_symbol_at(const struct isa_image *img, uint32_t addr);
/* The nearest symbol at or below addr; *off gets the distance. NULL if none. */
const char *isa_image_symbol_near(const struct isa_image *img, uint32_t addr, uint32_t *off);
/* Address of a named symbol; false if absent. */
bool isa_image_symbol_addr(const struct isa_image *img, const char *name, uint32_t *addr);

/* ---- assembler --------------------------------------------------------- */
struct isa_asm_options {
    const char **include_dirs;   /* NULL-terminated search path for .include */
    const char **defines;        /* NULL-terminated "NAME=VALUE" (-D) */
    FILE *diag;                  /* where errors and warnings go (stderr if NULL) */
    uint32_t text_base;          /* default 0x1000 */
    /* The line table, for debuggers (ringsim dap): when set, called on the
     * final pass for every source line that put bytes into .text, with the
     * file and line it came from (a line of an .include'd file as in that
     * file), its address and size.  A macro's body lines are reported as
     * written in the macro, with in_macro set; the call line after them,
     * with the whole expansion.  Nothing of it goes into the image. */
    void (*line_hook)(void *ctx, const char *file, int line, uint32_t addr, uint32_t size, bool in_macro);
    void *line_ctx;
};

/* The pseudo-instructions as {syntax, expansion} pairs ("li rd, expr",
 * "lui rd, %hi(expr); ori rd, rd, %lo(expr)"), ended by {NULL, NULL}.  The
 * assembler expands pseudos from this very table, so the docs cannot drift. */
extern const char *const isa_pseudo_doc[][2];

/* Assembles src into an image. Every error is printed as
 * "file:line:col: error: message", followed by the source line and a caret.
 * Returns the number of errors (0 = success, img filled). */
int isa_assemble_file(const char *src, const struct isa_asm_options *opt, struct isa_image *img);
/* Same from a string (name used in messages). */
int isa_assemble_string(const char *name, const char *text, const struct isa_asm_options *opt,
                        struct isa_image *img);

/* ---- reference documentation ------------------------------------------ */
/* Writes the ISA reference (docs/isa.md, Markdown) generated from the tables
 * above: formats, instructions, the Popek–Goldberg table, control registers,
 * traps, ports and the assembler syntax. */
void isa_write_reference(FILE *out);

#endif
