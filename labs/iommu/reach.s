# test
        .include "../../guests/attacks/disk_passthrough.s"
