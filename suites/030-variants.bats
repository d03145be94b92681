#!/usr/bin/env bats
# Container-like variants: a new IPC namespace together with a mount namespace
# (fresh tmpfs on /dev/shm, fresh mqueue on /dev/mqueue where it exists) or a
# network namespace. They show where POSIX named semaphores, POSIX shared
# memory and abstract sockets become isolated, and that FIFOs and pathname
# sockets do not.

load helpers

@test "sysv-msg with a mnt namespace: host to namespace, namespace to host" { measure --variant mnt sysv-msg host-to-ns:clone ns-to-host; }
@test "sysv-sem with a mnt namespace: host to namespace, namespace to host" { measure --variant mnt sysv-sem host-to-ns:clone ns-to-host; }
@test "sysv-shm with a mnt namespace: host to namespace, namespace to host" { measure --variant mnt sysv-shm host-to-ns:clone ns-to-host; }
@test "posix-mq with a mnt namespace: host to namespace, namespace to host" { measure --variant mnt posix-mq host-to-ns:clone ns-to-host; }
@test "posix-sem with a mnt namespace: host to namespace, namespace to host" { measure --variant mnt posix-sem host-to-ns:clone ns-to-host; }
@test "posix-shm with a mnt namespace: host to namespace, namespace to host" { measure --variant mnt posix-shm host-to-ns:clone ns-to-host; }
@test "fifo with a mnt namespace: host to namespace, namespace to host" { measure --variant mnt fifo host-to-ns:clone ns-to-host; }
@test "unix-path with a mnt namespace: host to namespace, namespace to host" { measure --variant mnt unix-path host-to-ns:clone ns-to-host; }
@test "unix-abstract with a mnt namespace: host to namespace, namespace to host" { measure --variant mnt unix-abstract host-to-ns:clone ns-to-host; }

@test "sysv-msg with a net namespace: host to namespace, namespace to host" { measure --variant net sysv-msg host-to-ns:clone ns-to-host; }
@test "sysv-sem with a net namespace: host to namespace, namespace to host" { measure --variant net sysv-sem host-to-ns:clone ns-to-host; }
@test "sysv-shm with a net namespace: host to namespace, namespace to host" { measure --variant net sysv-shm host-to-ns:clone ns-to-host; }
@test "posix-mq with a net namespace: host to namespace, namespace to host" { measure --variant net posix-mq host-to-ns:clone ns-to-host; }
@test "posix-sem with a net namespace: host to namespace, namespace to host" { measure --variant net posix-sem host-to-ns:clone ns-to-host; }
@test "posix-shm with a net namespace: host to namespace, namespace to host" { measure --variant net posix-shm host-to-ns:clone ns-to-host; }
@test "fifo with a net namespace: host to namespace, namespace to host" { measure --variant net fifo host-to-ns:clone ns-to-host; }
@test "unix-path with a net namespace: host to namespace, namespace to host" { measure --variant net unix-path host-to-ns:clone ns-to-host; }
@test "unix-abstract with a net namespace: host to namespace, namespace to host" { measure --variant net unix-abstract host-to-ns:clone ns-to-host; }
