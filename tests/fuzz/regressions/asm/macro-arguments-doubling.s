# each level doubles its argument: 2^60 bytes unless bounded
.macro m n, a
 .if \n
 m (\n-1), \a\a
 .endif
.endm
 m 60, x
