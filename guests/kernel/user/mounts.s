# mounts.s — the file system and mount namespaces at work (CONTAINERS=1
# kernels only; guests/kernel/fs.s): `run`, a tiny container runtime; init
# for guests/mounts.s (two containers, each in a directory of its own, a
# directory shared between them) and for guests/escape.s (a container that
# tries to get out).
#
# Every line comes from a process that the host waits for before going on,
# so the output is the same in every mode.

# A container's spec, what `run` is given (its spawn argument points at
# one; every process has its own copy of the image, so a pointer into it
# means the same in all of them):
        .equ    SPEC_DIR, 0             # the directory that becomes its "/"
        .equ    SPEC_BIND, 4            # a directory to bind-mount in (0: none) ...
        .equ    SPEC_AT, 8              # ... on this one, before the pivot
        .equ    SPEC_PROG, 12           # the program its PID 1 runs
        .equ    SPEC_ARG, 16            # with this argument
        .equ    SPEC_NAME, 20           # its host name
        .equ    SPEC_UID, 24            # the uid its root is outside
        .equ    SPEC_CGROUP, 28         # the cgroup to run in (0: the caller's)
        .equ    RUN_FLAGS, CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNS
        .equ    MT_BUFSZ, 128

# run_main(r1 = spec): start the container and exit with its PID 1's exit
# code.  As a runtime does: move into the container's cgroup, give up root
# of the machine (setuid to the spec's uid), then clone its PID 1 into new
# user, pid, UTS, IPC and mount namespaces.
run_main:
        mov     r8, r1
        lw      r2, SPEC_CGROUP(r8)
        beqz    r2, 1f
        li      r1, SYS_CG_ATTACH
        li      r3, 0
        syscall
        bnez    r1, 9f
1:      lw      r2, SPEC_UID(r8)
        beqz    r2, 2f
        li      r1, SYS_SETUID
        syscall
        bnez    r1, 9f
2:      li      r1, SYS_CLONE
        li      r2, PROG_RUN_INIT
        mov     r3, r8
        li      r4, RUN_FLAGS
        syscall
        blt     r1, r0, 9f
        mov     r2, r1
        li      r1, SYS_WAIT
        syscall
        call    u_exit
9:      li      r1, 100
        call    u_exit

# run_init_main(r1 = spec): the container's PID 1, root of its own user
# namespace: name the host, bind-mount what the spec shares, make the
# spec's directory "/" (pivot_root), then become the spec's program — jump
# to its entry in the program table, as exec would.  Exits with 101..103
# if a step fails.
run_init_main:
        mov     r8, r1
        lw      r1, SPEC_NAME(r8)
        call    ct_sethostname
        li      r2, 101
        bnez    r1, 9f
        lw      r2, SPEC_BIND(r8)
        beqz    r2, 1f
        li      r1, SYS_MOUNT
        lw      r3, SPEC_AT(r8)
        syscall
        li      r2, 102
        bnez    r1, 9f
1:      li      r1, SYS_PIVOT_ROOT
        lw      r2, SPEC_DIR(r8)
        syscall
run_pivoted:                            # (tests/test_containers_dot.c stops here)
        li      r2, 103
        bnez    r1, 9f
        lw      r2, SPEC_PROG(r8)
        slli    r2, r2, 2
        li      r3, USER_BASE + 4       # (word 0 of the table is NPROGS)
        add     r2, r2, r3
        lw      r2, 0(r2)
        lw      r1, SPEC_ARG(r8)
        jalr    r0, r2, 0
9:      mov     r1, r2
        call    u_exit

# ---- mounts: two containers and a shared directory ----------------------------

# mounts_main: make the tree, run containers a and b (each sees its own
# directory as "/" and the host's /shared at /shared), then look at what
# they left.
mounts_main:
        la      r8, mt_dirs             # make the directories
1:      lw      r2, 0(r8)
        beqz    r2, 2f
        li      r1, SYS_MKDIR
        syscall
        bnez    r1, 9f
        addi    r8, r8, 4
        j       1b
2:      la      r1, mt_p_ahello
        la      r2, mt_t_a
        call    mt_write
        blt     r1, r0, 9f
        la      r1, mt_p_bhello
        la      r2, mt_t_b
        call    mt_write
        blt     r1, r0, 9f
        la      r1, mt_p_board
        la      r2, mt_t_board
        call    mt_write
        blt     r1, r0, 9f
        la      r1, ct_n_host
        la      r2, mt_p_root
        call    mt_ls
        la      r1, ct_n_host
        la      r2, mt_p_ct
        call    mt_ls
        la      r1, mt_spec_a
        call    mt_run
        la      r1, mt_spec_b
        call    mt_run
        la      r1, ct_n_host           # the host sees both containers' files
        la      r2, mt_p_cta
        call    mt_ls
        la      r1, ct_n_host
        la      r2, mt_p_ctb
        call    mt_ls
        la      r1, ct_n_host
        la      r2, mt_p_shared
        call    mt_ls
        la      r1, ct_n_host
        la      r2, mt_p_froma
        call    mt_cat
        la      r1, ct_n_host
        la      r2, mt_p_fromb
        call    mt_cat
        la      r1, ct_n_host           # the bind mounts were the containers'
        la      r2, mt_p_ctashared
        call    mt_ls
        li      r1, 0
        call    u_exit
9:      la      r1, mt_s_fail
        call    u_fail

# mt_app_main(r1 = its name): a container's program: look around, try the
# host's paths, leave a file in /shared.
mt_app_main:
        mov     r8, r1
        mov     r1, r8
        la      r2, mt_p_root
        call    mt_ls
        mov     r1, r8
        la      r2, mt_p_hello
        call    mt_cat
        mov     r1, r8
        la      r2, mt_p_ahello
        call    mt_cat
        mov     r1, r8
        la      r2, mt_p_bhello
        call    mt_cat
        mov     r1, r8
        la      r2, mt_p_shared
        call    mt_ls
        la      r2, mt_p_froma          # /shared/from-a or from-b
        la      r10, mt_t_lefta
        lbu     r1, 0(r8)
        li      r3, 'a'
        beq     r1, r3, 1f
        la      r2, mt_p_fromb
        la      r10, mt_t_leftb
1:      mov     r9, r2
        mov     r1, r2
        mov     r2, r10
        call    mt_write
        mov     r4, r1
        la      r1, mt_f_wrote
        mov     r2, r8
        mov     r3, r9
        call    ct_printf
        mov     r1, r8
        la      r2, mt_p_shared
        call    mt_ls
        li      r1, 0
        call    u_exit

# mt_run(r1 = spec): spawn `run` for it, wait, say how it ended.
mt_run:
        push    lr
        push    r8
        mov     r8, r1
        li      r1, SYS_SPAWN
        li      r2, PROG_RUN
        mov     r3, r8
        syscall
        blt     r1, r0, 1f
        mov     r2, r1
        li      r1, SYS_WAIT
        syscall
1:      mov     r4, r1
        la      r1, mt_f_ran
        lw      r2, SPEC_NAME(r8)
        lw      r3, SPEC_DIR(r8)
        call    ct_printf
        pop     r8
        pop     lr
        ret

# mt_ls(r1 = who, r2 = path): "WHO: ls PATH -> N: NAMES".
mt_ls:
        push    lr
        push    r8
        push    r9
        mov     r8, r1
        mov     r9, r2
        li      r1, SYS_LISTDIR
        mov     r2, r9
        la      r3, mt_buf
        li      r4, MT_BUFSZ
        syscall
        mov     r4, r1
        la      r5, mt_buf
        bge     r1, r0, 1f
        la      r5, mt_s_nodir
1:      la      r1, mt_f_ls
        mov     r2, r8
        mov     r3, r9
        call    ct_printf
        pop     r9
        pop     r8
        pop     lr
        ret

# mt_cat(r1 = who, r2 = path): "WHO: cat PATH -> LENGTH: TEXT".
mt_cat:
        push    lr
        push    r8
        push    r9
        mov     r8, r1
        mov     r9, r2
        li      r1, SYS_READFILE
        mov     r2, r9
        la      r3, mt_buf
        li      r4, MT_BUFSZ - 1
        syscall
        mov     r4, r1
        li      r2, 0                   # the text ends after what was read
        blt     r1, r0, 1f
        mov     r2, r1
1:      la      r3, mt_buf
        add     r3, r3, r2
        sb      r0, 0(r3)
        la      r1, mt_f_cat
        mov     r2, r8
        mov     r3, r9
        la      r5, mt_buf
        bge     r4, r0, 2f
        la      r5, mt_s_nofile
2:      call    ct_printf
        pop     r9
        pop     r8
        pop     lr
        ret

# mt_write(r1 = path, r2 = string) -> writefile's result.
mt_write:
        mov     r4, r2
        mov     r2, r1
        li      r5, 0
1:      add     r3, r4, r5
        lbu     r3, 0(r3)
        beqz    r3, 2f
        addi    r5, r5, 1
        j       1b
2:      mov     r3, r4
        mov     r4, r5
        li      r1, SYS_WRITEFILE
        syscall
        ret

# ---- escape: a container that tries to get out ------------------------------------

        .equ    ESC_KEY, 42
        .equ    ESC_HOSTMSG, 1000
        .equ    ESC_PIDS, 2             # the runtime and the container's PID 1
        .equ    ESC_MEMORY, 24          # pages
        .equ    ESC_MAPBASE, 0x60000000

# escape_main: set up what the container must not reach — a message in
# the host's queue, another container's file, a cgroup with limits — run
# it, and check that all of it is as it was.
escape_main:
        la      r8, mt_dirs
1:      lw      r2, 0(r8)
        beqz    r2, 2f
        li      r1, SYS_MKDIR
        syscall
        bnez    r1, 9f
        addi    r8, r8, 4
        j       1b
2:      la      r1, mt_p_ahello
        la      r2, mt_t_a
        call    mt_write
        blt     r1, r0, 9f
        la      r1, esc_p_secret
        la      r2, esc_t_secret
        call    mt_write
        blt     r1, r0, 9f
        li      r1, SYS_MSGGET          # r8 = the host's queue
        li      r2, ESC_KEY
        syscall
        blt     r1, r0, 9f
        mov     r8, r1
        li      r1, SYS_MSGSND
        mov     r2, r8
        li      r3, ESC_HOSTMSG
        syscall
        bnez    r1, 9f
        li      r1, SYS_CG_CREATE       # r9 = the container's cgroup
        syscall
        blt     r1, r0, 9f
        mov     r9, r1
        li      r1, SYS_CG_SET
        mov     r2, r9
        li      r3, CGK_PIDS
        li      r4, ESC_PIDS
        syscall
        bnez    r1, 9f
        li      r1, SYS_CG_SET
        mov     r2, r9
        li      r3, CGK_MEMORY
        li      r4, ESC_MEMORY
        syscall
        bnez    r1, 9f
        la      r1, esc_f_setup
        mov     r2, r8
        li      r3, ESC_HOSTMSG
        mov     r4, r9
        li      r5, ESC_PIDS
        li      r6, ESC_MEMORY
        call    ct_printf
        la      r1, esc_spec
        lw      r2, SPEC_CGROUP(r1)
        bne     r2, r9, 9f              # (the spec names the group made)
        call    mt_run
        li      r1, SYS_MSGRCV          # what is left
        mov     r2, r8
        syscall
        mov     r3, r1
        la      r1, esc_f_queue
        mov     r2, r8
        call    ct_printf
        la      r1, ct_n_host
        la      r2, esc_p_secret
        call    mt_cat
        la      r1, ct_n_host
        call    ct_view
        mov     r1, r9
        li      r2, CGS_PAGES
        call    ct_stat
        mov     r8, r1
        mov     r1, r9
        li      r2, CGS_PROCS
        call    ct_stat
        mov     r4, r1
        la      r1, esc_f_cgroup
        mov     r2, r9
        mov     r3, r8
        call    ct_printf
        li      r1, 0
        call    u_exit
9:      la      r1, mt_s_fail
        call    u_fail

# esc_app_main(r1 = its cgroup): PID 1 of a container, root of its own user
# namespace, tries what a process outside it could do.
esc_app_main:
        mov     r13, r1                 # r13 = its cgroup
        la      r1, esc_n
        call    ct_view
        li      r8, 2                   # kill every pid but its own
        li      r9, 0                   # r9 = kills that found a process
1:      li      r1, SYS_KILL
        mov     r2, r8
        syscall
        bnez    r1, 2f
        addi    r9, r9, 1
2:      addi    r8, r8, 1
        li      r1, 17
        bne     r8, r1, 1b
        la      r1, esc_f_kill
        mov     r2, r9
        call    ct_printf
        li      r1, SYS_MSGGET          # the host's queue, by key and by id
        li      r2, ESC_KEY
        syscall
        mov     r8, r1
        li      r9, 0                   # r9 = words read from ids 0..3
        li      r10, 0
3:      li      r1, SYS_MSGRCV
        mov     r2, r10
        syscall
        blt     r1, r0, 4f
        addi    r9, r9, 1
4:      addi    r10, r10, 1
        li      r1, NMSGQ
        bne     r10, r1, 3b
        la      r1, esc_f_ipc
        mov     r2, r8
        mov     r3, r9
        call    ct_printf
        la      r1, esc_n               # files: only its own tree
        la      r2, mt_p_root
        call    mt_ls
        la      r1, esc_n
        la      r2, esc_p_secret
        call    mt_cat
        la      r1, esc_n
        la      r2, esc_p_bsecret
        call    mt_cat
        la      r1, esc_p_secret
        la      r2, esc_t_mine
        call    mt_write
        mov     r2, r1
        la      r1, esc_f_write
        call    ct_printf
        li      r1, SYS_GETUID          # root inside, not of the machine
        syscall
        mov     r8, r1
        li      r1, SYS_SETNS
        li      r2, 1
        li      r3, CLONE_NEWUTS
        syscall
        mov     r9, r1
        li      r1, SYS_CG_CREATE
        syscall
        mov     r10, r1
        li      r1, SYS_CG_SET
        mov     r2, r13
        li      r3, CGK_PIDS
        li      r4, 0
        syscall
        mov     r11, r1
        li      r1, SYS_SETUID
        li      r2, 1000
        syscall
        mov     r6, r1
        la      r1, esc_f_root
        mov     r2, r8
        mov     r3, r9
        mov     r4, r10
        mov     r5, r11
        call    ct_printf
        li      r1, SYS_MOUNT           # its own mount namespace is its own
        la      r2, mt_p_root
        la      r3, mt_p_shared
        syscall
        mov     r8, r1
        li      r1, SYS_PIVOT_ROOT
        la      r2, mt_p_shared
        syscall
        mov     r3, r1
        la      r1, esc_f_mount
        mov     r2, r8
        call    ct_printf
        li      r1, SYS_SPAWN           # limits: no process more ...
        li      r2, PROG_CT_LOOK
        la      r3, esc_n
        syscall
        mov     r8, r1
        li      r9, ESC_MAPBASE         # ... and pages only up to memory.max
        li      r10, 0
5:      li      r1, SYS_MAP
        mov     r2, r9
        li      r3, 1
        syscall
        bnez    r1, 6f
        addi    r10, r10, 1
        li      r1, PAGE_SIZE
        add     r9, r9, r1
        j       5b
6:      mov     r1, r13
        li      r2, CGS_PAGES
        call    ct_stat
        mov     r4, r1
        mov     r1, r13
        li      r2, CGS_MEMORY
        call    ct_stat
        mov     r5, r1
        la      r1, esc_f_limits
        mov     r2, r8
        mov     r3, r10
        mov     r6, r13
        call    ct_printf
        li      r1, 0
        call    u_exit

mt_p_root:      .asciz  "/"
mt_p_ct:        .asciz  "/ct"
mt_p_cta:       .asciz  "/ct/a"
mt_p_ctb:       .asciz  "/ct/b"
mt_p_ctashared: .asciz  "/ct/a/shared"
mt_p_ctbshared: .asciz  "/ct/b/shared"
mt_p_shared:    .asciz  "/shared"
mt_p_hello:     .asciz  "/hello"
mt_p_ahello:    .asciz  "/ct/a/hello"
mt_p_bhello:    .asciz  "/ct/b/hello"
mt_p_board:     .asciz  "/shared/board"
mt_p_froma:     .asciz  "/shared/from-a"
mt_p_fromb:     .asciz  "/shared/from-b"
mt_t_a:         .asciz  "I am container a"
mt_t_b:         .asciz  "I am container b"
mt_t_board:     .asciz  "the host's board"
mt_t_lefta:     .asciz  "left by container a"
mt_t_leftb:     .asciz  "left by container b"
mt_n_a:         .asciz  "a"
mt_n_b:         .asciz  "b"
mt_f_ls:        .asciz  "%s: ls %s -> %d: %s\n"
mt_f_cat:       .asciz  "%s: cat %s -> %d: %s\n"
mt_f_wrote:     .asciz  "%s: writefile %s -> %d\n"
mt_f_ran:       .asciz  "host: container %s (root %s) exited with %d\n"
mt_s_fail:      .asciz  "mounts: a system call failed\n"
mt_s_nofile:    .asciz  "no such file here"
mt_s_nodir:     .asciz  "no such directory here"
esc_n:          .asciz  "escape"
esc_p_secret:   .asciz  "/ct/b/secret"
esc_p_bsecret:  .asciz  "/secret"
esc_t_secret:   .asciz  "b's secret"
esc_t_mine:     .asciz  "overwritten"
esc_f_setup:    .asciz  "host: queue %d holds %d; cgroup %d: pids.max %d, memory.max %d pages\n"
esc_f_kill:     .asciz  "escape: kill(2..16) found %d processes: none outside its pid namespace\n"
esc_f_ipc:      .asciz  "escape: msgget(42) = %d, a queue of its own; msgrcv of ids 0..3 read %d words\n"
esc_f_write:    .asciz  "escape: writefile /ct/b/secret -> %d\n"
esc_f_root:     .asciz  "escape: uid %d; setns(1) -> %d, cgroup_create -> %d, cgroup_set(pids.max 0) -> %d, setuid(1000) -> %d\n"
esc_f_mount:    .asciz  "escape: in its own mount namespace: mount -> %d, pivot_root -> %d\n"
esc_f_limits:   .asciz  "escape: spawn -> %d; map refused after %d pages: %d of memory.max %d in cgroup %d\n"
esc_f_queue:    .asciz  "host: msgrcv(%d) = %d: the host's message is still there\n"
esc_f_cgroup:   .asciz  "host: cgroup %d after the container: %d pages, %d processes\n"
        .align  4
mt_dirs:        .word   mt_p_ct, mt_p_cta, mt_p_ctb, mt_p_ctashared, mt_p_ctbshared, mt_p_shared, 0
mt_spec_a:      .word   mt_p_cta, mt_p_shared, mt_p_ctashared, PROG_MT_APP, mt_n_a, mt_n_a, 1000, 0
mt_spec_b:      .word   mt_p_ctb, mt_p_shared, mt_p_ctbshared, PROG_MT_APP, mt_n_b, mt_n_b, 1000, 0
esc_spec:       .word   mt_p_cta, 0, 0, PROG_ESC_APP, 1, esc_n, 1000, 1
mt_buf:         .space  MT_BUFSZ
        .align  4
