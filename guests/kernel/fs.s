# fs.s — a small in-memory file system and mount namespaces (CONTAINERS=1
# kernels only; the other namespaces are in ns.s).
#
# The file system is one table of NNODE nodes in kernel memory: directories
# and small files (up to FILE_MAX bytes), each with its name and the node of
# the directory it is in.  Node 0 is the machine's root directory.  Nothing
# is ever removed and nothing is on a disk: the files live as long as the
# machine.  Calls name a file by an absolute path ("/ct/a/hello"); there are
# no file descriptors: a file is read and written whole (readfile,
# writefile), as `cat` and `echo >` would.
#
# A mount namespace is what a process sees of that tree: a root (the node
# "/" means) and a table of bind mounts (a directory that shows another
# directory's contents).  A path is walked from the root of the caller's
# mount namespace, and each directory it reaches is replaced by what is
# mounted on it there.  There is no "..": nothing above a namespace's root
# can be named, so a container whose root is /ct/a (pivot_root) cannot reach
# /ct/b, and sees the host's /shared only where a bind mount shows it.  A new
# mount namespace (clone or unshare with CLONE_NEWNS) starts as a copy of the
# creator's — the same root and mounts — and changes to either do not show
# in the other.  mount and pivot_root need root of the user namespace that
# owns the mount namespace, and pivot_root a namespace other than the
# initial one, so a container's root rearranges its own view only.

        .text

# fs_copyin(r1 = proc, r2 = user path, r3 = kernel buffer of FS_PATH_MAX
# bytes) -> r1 = the buffer holding the path, or 0 if the path is not
# readable, too long, or does not start with '/'.
fs_copyin:
        addi    sp, sp, -20
        sw      lr, 16(sp)
        sw      r8, 12(sp)
        sw      r9, 8(sp)
        sw      r10, 4(sp)
        sw      r11, 0(sp)
        mov     r8, r1
        mov     r9, r2
        mov     r11, r3
        li      r10, 0
1:      mov     r1, r8
        add     r2, r9, r10
        li      r3, 0
        call    uva2pa
        beqz    r1, 9f
        lbu     r1, 0(r1)
        add     r2, r11, r10
        sb      r1, 0(r2)
        beqz    r1, 2f
        addi    r10, r10, 1
        sltiu   r1, r10, FS_PATH_MAX
        bnez    r1, 1b
        j       9f
2:      lbu     r1, 0(r11)
        li      r2, '/'
        bne     r1, r2, 9f
        mov     r1, r11
        j       3f
9:      li      r1, 0
3:      lw      r11, 0(sp)
        lw      r10, 4(sp)
        lw      r9, 8(sp)
        lw      r8, 12(sp)
        lw      lr, 16(sp)
        addi    sp, sp, 20
        ret

# fs_follow(r1 = mount namespace, r2 = node) -> r1 = what the namespace
# shows there: the directory bind-mounted on it, or the node itself.
# Clobbers r2..r4.
fs_follow:
        addi    r3, r1, MN_MOUNTS
        li      r4, NMOUNT
1:      lw      r1, MT_POINT(r3)
        beq     r1, r2, 2f
        addi    r3, r3, MT_SIZE
        addi    r4, r4, -1
        bnez    r4, 1b
        mov     r1, r2
        ret
2:      lw      r1, MT_SOURCE(r3)
        ret

# fs_child(r1 = directory, r2 = name, r3 = its length) -> r1 = the node of
# that name in the directory, or 0.  Clobbers r1..r7.
fs_child:
        push    r8
        la      r4, fs_nodes + N_SIZE   # (node 0, the root, is no one's child)
        li      r5, NNODE - 1
1:      lw      r6, N_TYPE(r4)
        beqz    r6, 4f
        lw      r6, N_PARENT(r4)
        bne     r6, r1, 4f
        li      r6, 0                   # compare the names
2:      beq     r6, r3, 3f
        add     r7, r2, r6
        lbu     r7, 0(r7)
        add     r8, r4, r6
        lbu     r8, N_NAME(r8)
        bne     r7, r8, 4f
        addi    r6, r6, 1
        j       2b
3:      add     r7, r4, r3              # and the node's name ends there
        lbu     r7, N_NAME(r7)
        bnez    r7, 4f
        mov     r1, r4
        j       5f
4:      addi    r4, r4, N_SIZE
        addi    r5, r5, -1
        bnez    r5, 1b
        li      r1, 0
5:      pop     r8
        ret

# fs_resolve(r1 = proc, r2 = path in kernel memory) -> r1 = the node the
# path names in the process's mount namespace (0 if there is none), r2 =
# the directory its last component is looked up in (0 when that directory
# is missing too, or for "/"), r3, r4 = that component (address, length).
# For a path that names nothing but whose directory exists, r2..r4 say
# where it would be made (mkdir, writefile).
fs_resolve:
        addi    sp, sp, -28
        sw      lr, 24(sp)
        sw      r8, 20(sp)
        sw      r9, 16(sp)
        sw      r10, 12(sp)
        sw      r11, 8(sp)
        sw      r12, 4(sp)
        sw      r13, 0(sp)
        lw      r8, P_MNTNS(r1)         # r8 = its mount namespace
        mov     r9, r2                  # r9 = where we are in the path
        lw      r10, MN_ROOT(r8)        # r10 = the node reached so far
        li      r11, 0                  # r11 = its directory
        li      r12, 0                  # r12, r13 = the last component
        li      r13, 0
1:      lbu     r1, 0(r9)               # skip slashes
        li      r2, '/'
        bne     r1, r2, 2f
        addi    r9, r9, 1
        j       1b
2:      beqz    r1, 6f                  # the end of the path
        mov     r12, r9
3:      lbu     r1, 0(r9)
        beqz    r1, 4f
        li      r2, '/'
        beq     r1, r2, 4f
        addi    r9, r9, 1
        j       3b
4:      sub     r13, r9, r12
        sltiu   r1, r13, FS_NAME_MAX
        beqz    r1, 8f                  # too long a name
        beqz    r10, 8f                 # a directory on the way is missing
        lw      r1, N_TYPE(r10)
        li      r2, FT_DIR
        bne     r1, r2, 8f              # or is a file
        mov     r11, r10
        mov     r1, r10
        mov     r2, r12
        mov     r3, r13
        call    fs_child
        beqz    r1, 5f
        mov     r2, r1
        mov     r1, r8
        call    fs_follow
5:      mov     r10, r1
        j       1b
8:      li      r10, 0
        li      r11, 0
6:      mov     r1, r10
        mov     r2, r11
        mov     r3, r12
        mov     r4, r13
        lw      r13, 0(sp)
        lw      r12, 4(sp)
        lw      r11, 8(sp)
        lw      r10, 12(sp)
        lw      r9, 16(sp)
        lw      r8, 20(sp)
        lw      lr, 24(sp)
        addi    sp, sp, 28
        ret

# fs_path(r1 = proc, r2 = user path, r3 = kernel buffer) -> fs_resolve's
# answer for it; r1 = r2 = 0 if the path cannot be read.
fs_path:
        push    lr
        push    r8
        mov     r8, r1
        call    fs_copyin
        beqz    r1, 1f
        mov     r2, r1
        mov     r1, r8
        call    fs_resolve
        j       2f
1:      li      r2, 0
2:      pop     r8
        pop     lr
        ret

# fs_make(r1 = directory, r2 = name, r3 = its length, r4 = FT_DIR or
# FT_FILE) -> r1 = a new, empty node there, or 0 (the table is full, or the
# name is empty or starts with '.').
fs_make:
        addi    sp, sp, -24
        sw      lr, 20(sp)
        sw      r8, 16(sp)
        sw      r9, 12(sp)
        sw      r10, 8(sp)
        sw      r11, 4(sp)
        sw      r12, 0(sp)
        mov     r8, r1
        mov     r9, r2
        mov     r10, r3
        mov     r11, r4
        beqz    r10, 9f
        lbu     r1, 0(r9)
        li      r2, '.'
        beq     r1, r2, 9f
        la      r12, fs_nodes + N_SIZE
        li      r1, NNODE - 1
1:      lw      r2, N_TYPE(r12)
        beqz    r2, 2f
        addi    r12, r12, N_SIZE
        addi    r1, r1, -1
        bnez    r1, 1b
        j       9f
2:      mov     r1, r12
        li      r2, N_SIZE
        call    memzero
        sw      r11, N_TYPE(r12)
        sw      r8, N_PARENT(r12)
        li      r1, 0
3:      add     r2, r9, r1              # the name, byte by byte
        lbu     r2, 0(r2)
        add     r3, r12, r1
        sb      r2, N_NAME(r3)
        addi    r1, r1, 1
        bne     r1, r10, 3b
        mov     r1, r12
        j       7f
9:      li      r1, 0
7:      lw      r12, 0(sp)
        lw      r11, 4(sp)
        lw      r10, 8(sp)
        lw      r9, 12(sp)
        lw      r8, 16(sp)
        lw      lr, 20(sp)
        addi    sp, sp, 24
        ret

# ---- the system calls ------------------------------------------------------------

# mkdir(path) -> 0, or -1 (it exists, its directory does not, no room).
sys_mkdir:
        push    lr
        la      r3, fs_path1
        call    fs_path
        bnez    r1, 9f
        beqz    r2, 9f
        mov     r1, r2
        mov     r2, r3
        mov     r3, r4
        li      r4, FT_DIR
        call    fs_make
        beqz    r1, 9f
        li      r1, 0
        j       7f
9:      li      r1, -1
7:      pop     lr
        ret

# writefile(path, buf, len) -> len, or -1 (len over FILE_MAX, buf not
# readable, path a directory or in none, no room).  Makes the file or
# replaces what it held.
sys_writefile:
        addi    sp, sp, -24
        sw      lr, 20(sp)
        sw      r8, 16(sp)
        sw      r9, 12(sp)
        sw      r10, 8(sp)
        sw      r11, 4(sp)
        sw      r12, 0(sp)
        mov     r8, r1                  # r8 = proc
        mov     r9, r2                  # r9 = path
        mov     r10, r3                 # r10 = buf
        mov     r11, r4                 # r11 = len
        li      r1, FILE_MAX
        bltu    r1, r11, 9f
        li      r12, 0                  # copy the bytes in first, so that a
1:      beq     r12, r11, 2f            # bad buf leaves the file alone
        mov     r1, r8
        add     r2, r10, r12
        li      r3, 0
        call    uva2pa
        beqz    r1, 9f
        lbu     r1, 0(r1)
        la      r2, fs_data
        add     r2, r2, r12
        sb      r1, 0(r2)
        addi    r12, r12, 1
        j       1b
2:      mov     r1, r8
        mov     r2, r9
        la      r3, fs_path1
        call    fs_path
        bnez    r1, 3f
        beqz    r2, 9f                  # a new file
        mov     r1, r2
        mov     r2, r3
        mov     r3, r4
        li      r4, FT_FILE
        call    fs_make
        beqz    r1, 9f
3:      lw      r2, N_TYPE(r1)
        li      r3, FT_FILE
        bne     r2, r3, 9f
        sw      r11, N_LEN(r1)
        addi    r1, r1, N_DATA
        la      r2, fs_data
        li      r3, FILE_MAX
        call    memcopy
        mov     r1, r11
        j       7f
9:      li      r1, -1
7:      lw      r12, 0(sp)
        lw      r11, 4(sp)
        lw      r10, 8(sp)
        lw      r9, 12(sp)
        lw      r8, 16(sp)
        lw      lr, 20(sp)
        addi    sp, sp, 24
        ret

# readfile(path, buf, size) -> the file's length, its bytes (at most size)
# copied to buf; -1 if the path names no file here or buf is not writable.
sys_readfile:
        addi    sp, sp, -24
        sw      lr, 20(sp)
        sw      r8, 16(sp)
        sw      r9, 12(sp)
        sw      r10, 8(sp)
        sw      r11, 4(sp)
        sw      r12, 0(sp)
        mov     r8, r1                  # r8 = proc
        mov     r10, r3                 # r10 = buf
        mov     r11, r4                 # r11 = size
        la      r3, fs_path1
        call    fs_path
        beqz    r1, 9f
        mov     r9, r1                  # r9 = the file
        lw      r2, N_TYPE(r9)
        li      r3, FT_FILE
        bne     r2, r3, 9f
        lw      r1, N_LEN(r9)
        bgeu    r1, r11, 1f
        mov     r11, r1                 # r11 = bytes to copy
1:      li      r12, 0
2:      beq     r12, r11, 3f
        mov     r1, r8
        add     r2, r10, r12
        li      r3, 1
        call    uva2pa
        beqz    r1, 9f
        add     r2, r9, r12
        lbu     r2, N_DATA(r2)
        sb      r2, 0(r1)
        addi    r12, r12, 1
        j       2b
3:      lw      r1, N_LEN(r9)
        j       7f
9:      li      r1, -1
7:      lw      r12, 0(sp)
        lw      r11, 4(sp)
        lw      r10, 8(sp)
        lw      r9, 12(sp)
        lw      r8, 16(sp)
        lw      lr, 20(sp)
        addi    sp, sp, 24
        ret

# listdir(path, buf, size) -> how many names the directory holds; the names,
# in the order they were made, separated by spaces, copied NUL-terminated to
# buf (cut to size - 1 characters); -1 if the path names no directory here
# or buf is not writable.
sys_listdir:
        addi    sp, sp, -28
        sw      lr, 24(sp)
        sw      r8, 20(sp)
        sw      r9, 16(sp)
        sw      r10, 12(sp)
        sw      r11, 8(sp)
        sw      r12, 4(sp)
        sw      r13, 0(sp)
        mov     r8, r1                  # r8 = proc
        mov     r9, r3                  # r9 = buf
        mov     r10, r4                 # r10 = size
        la      r3, fs_path1
        call    fs_path
        beqz    r1, 9f
        lw      r2, N_TYPE(r1)
        li      r3, FT_DIR
        bne     r2, r3, 9f
        la      r2, fs_list             # r2 = where the next name goes
        li      r11, 0                  # r11 = names
        la      r12, fs_nodes + N_SIZE
        li      r13, NNODE - 1
1:      lw      r3, N_TYPE(r12)
        beqz    r3, 4f
        lw      r3, N_PARENT(r12)
        bne     r3, r1, 4f
        beqz    r11, 2f
        li      r3, ' '
        sb      r3, 0(r2)
        addi    r2, r2, 1
2:      addi    r4, r12, N_NAME
3:      lbu     r3, 0(r4)
        beqz    r3, 5f
        sb      r3, 0(r2)
        addi    r2, r2, 1
        addi    r4, r4, 1
        j       3b
5:      addi    r11, r11, 1
4:      addi    r12, r12, N_SIZE
        addi    r13, r13, -1
        bnez    r13, 1b
        sb      r0, 0(r2)
        mov     r1, r8
        mov     r2, r9
        mov     r3, r10
        la      r4, fs_list
        call    copyout_str
        blt     r1, r0, 9f
        mov     r1, r11
        j       7f
9:      li      r1, -1
7:      lw      r13, 0(sp)
        lw      r12, 4(sp)
        lw      r11, 8(sp)
        lw      r10, 12(sp)
        lw      r9, 16(sp)
        lw      r8, 20(sp)
        lw      lr, 24(sp)
        addi    sp, sp, 28
        ret

# mount(source, target) -> 0, -1 (either is no directory here, the
# namespace's NMOUNT mounts are in use) or E_PERM: a bind mount — from now
# on, in the caller's mount namespace only, target shows source's contents.
# Root of the user namespace that owns the mount namespace only.
sys_mount:
        addi    sp, sp, -20
        sw      lr, 16(sp)
        sw      r8, 12(sp)
        sw      r9, 8(sp)
        sw      r10, 4(sp)
        sw      r11, 0(sp)
        mov     r8, r1
        mov     r9, r2
        mov     r10, r3
        lw      r2, P_MNTNS(r8)
        lw      r2, MN_OWNER(r2)
        call    ns_owns
        beqz    r1, 8f
        mov     r1, r8
        mov     r2, r9
        la      r3, fs_path1
        call    fs_path
        beqz    r1, 9f
        lw      r2, N_TYPE(r1)
        li      r3, FT_DIR
        bne     r2, r3, 9f
        mov     r9, r1                  # r9 = the source
        mov     r1, r8
        mov     r2, r10
        la      r3, fs_path2
        call    fs_path
        beqz    r1, 9f
        lw      r2, N_TYPE(r1)
        li      r3, FT_DIR
        bne     r2, r3, 9f
        lw      r2, P_MNTNS(r8)         # a free mount in its namespace
        addi    r2, r2, MN_MOUNTS
        li      r3, NMOUNT
1:      lw      r4, MT_POINT(r2)
        beqz    r4, 2f
        addi    r2, r2, MT_SIZE
        addi    r3, r3, -1
        bnez    r3, 1b
        j       9f
2:      sw      r1, MT_POINT(r2)
        sw      r9, MT_SOURCE(r2)
        li      r1, 0
        j       7f
8:      li      r1, E_PERM
        j       7f
9:      li      r1, -1
7:      lw      r11, 0(sp)
        lw      r10, 4(sp)
        lw      r9, 8(sp)
        lw      r8, 12(sp)
        lw      lr, 16(sp)
        addi    sp, sp, 20
        ret

# pivot_root(path) -> 0, -1 (no directory there) or E_PERM: the directory
# becomes "/" for every process of the caller's mount namespace.  Root of
# the user namespace that owns it only, and never in the initial namespace
# (the host's view is not a container's to move).
sys_pivot_root:
        push    lr
        push    r8
        push    r9
        mov     r8, r1
        mov     r9, r2
        lw      r2, P_MNTNS(r8)
        la      r1, mntns_table
        beq     r1, r2, 8f
        lw      r2, MN_OWNER(r2)
        mov     r1, r8
        call    ns_owns
        beqz    r1, 8f
        mov     r1, r8
        mov     r2, r9
        la      r3, fs_path1
        call    fs_path
        beqz    r1, 9f
        lw      r2, N_TYPE(r1)
        li      r3, FT_DIR
        bne     r2, r3, 9f
        lw      r2, P_MNTNS(r8)
        sw      r1, MN_ROOT(r2)
        li      r1, 0
        j       7f
8:      li      r1, E_PERM
        j       7f
9:      li      r1, -1
7:      pop     r9
        pop     r8
        pop     lr
        ret

# ns_new_mnt(r1 = proc) -> r1 = 0 or -1: a mount namespace owned by its user
# namespace, with a copy of its current one's root and mounts.
ns_new_mnt:
        push    lr
        push    r8
        push    r9
        mov     r8, r1
        la      r2, mntns_table
        li      r3, NMNTNS
        li      r4, MN_SIZE
        call    ns_alloc_owned
        beqz    r1, 9f
        mov     r9, r1
        addi    r1, r9, MN_ROOT
        lw      r2, P_MNTNS(r8)
        addi    r2, r2, MN_ROOT
        li      r3, MN_SIZE - MN_ROOT
        call    memcopy
        lw      r1, P_MNTNS(r8)         # the process's reference moves
        sw      r9, P_MNTNS(r8)
        call    ns_put
        li      r1, 0
        j       7f
9:      li      r1, -1
7:      pop     r9
        pop     r8
        pop     lr
        ret

        .data
        .align  4
# The initial mount namespace: slot 0, whose root is the machine's.
mntns_table:
        .word   1, userns_table, fs_nodes       # refs, owner, root
        .space  MN_SIZE - 12                    # (no mounts)
        .space  (NMNTNS - 1) * MN_SIZE
# The nodes; node 0 is the root directory.
fs_nodes:
        .word   FT_DIR, 0, 0                    # type, parent, length
        .space  N_SIZE - 12                     # (no name)
        .space  (NNODE - 1) * N_SIZE
fs_path1:       .space  FS_PATH_MAX
fs_path2:       .space  FS_PATH_MAX
fs_data:        .space  FILE_MAX
fs_list:        .space  NNODE * FS_NAME_MAX
# What `ringsim dot --processes` (visualise/proctree.c) and the debugger's
# `info ns` read of mount namespaces: where a process points at its own,
# their table and slot size, where a namespace keeps its root, the nodes,
# and where a node keeps its directory and its name.
mnt_layout:
        .word   P_MNTNS, mntns_table, MN_SIZE, MN_ROOT, fs_nodes, N_PARENT, N_NAME, FS_NAME_MAX
