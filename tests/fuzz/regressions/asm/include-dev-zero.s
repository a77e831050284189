# .include of a device: read without end before
 .include "/dev/zero"
