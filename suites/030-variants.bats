#!/usr/bin/env bats
# Container-like variants: a new IPC namespace together with a mount namespace
# (fresh tmpfs on /dev/shm, fresh mqueue on /dev/mqueue where it exists) or a
# network namespace. They show where POSIX named semaphores, POSIX shared
# memory and abstract sockets become isolated, and that FIFOs and pathname
# sockets do not.

load helpers

@test "sysv-msg with a mnt namespace: host to namespace, namespace to host" { measure --observe probe-named --variant mnt sysv-msg; }
@test "sysv-sem with a mnt namespace: host to namespace, namespace to host" { measure --observe probe-named --variant mnt sysv-sem; }
@test "sysv-shm with a mnt namespace: host to namespace, namespace to host" { measure --observe probe-named --variant mnt sysv-shm; }
@test "posix-mq with a mnt namespace: host to namespace, namespace to host" { measure --observe probe-named --variant mnt posix-mq; }
@test "posix-sem with a mnt namespace: host to namespace, namespace to host" { measure --observe probe-named --variant mnt posix-sem; }
@test "posix-shm with a mnt namespace: host to namespace, namespace to host" { measure --observe probe-named --variant mnt posix-shm; }
@test "fifo with a mnt namespace: host to namespace, namespace to host" { measure --observe probe-named --variant mnt fifo; }
@test "unix-path with a mnt namespace: host to namespace, namespace to host" { measure --observe probe-named --variant mnt unix-path; }
@test "unix-abstract with a mnt namespace: host to namespace, namespace to host" { measure --observe probe-named --variant mnt unix-abstract; }

@test "sysv-msg with a net namespace: host to namespace, namespace to host" { measure --observe probe-named --variant net sysv-msg; }
@test "sysv-sem with a net namespace: host to namespace, namespace to host" { measure --observe probe-named --variant net sysv-sem; }
@test "sysv-shm with a net namespace: host to namespace, namespace to host" { measure --observe probe-named --variant net sysv-shm; }
@test "posix-mq with a net namespace: host to namespace, namespace to host" { measure --observe probe-named --variant net posix-mq; }
@test "posix-sem with a net namespace: host to namespace, namespace to host" { measure --observe probe-named --variant net posix-sem; }
@test "posix-shm with a net namespace: host to namespace, namespace to host" { measure --observe probe-named --variant net posix-shm; }
@test "fifo with a net namespace: host to namespace, namespace to host" { measure --observe probe-named --variant net fifo; }
@test "unix-path with a net namespace: host to namespace, namespace to host" { measure --observe probe-named --variant net unix-path; }
@test "unix-abstract with a net namespace: host to namespace, namespace to host" { measure --observe probe-named --variant net unix-abstract; }
