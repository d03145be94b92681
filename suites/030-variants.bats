#!/usr/bin/env bats
# Container-like variants: a new IPC namespace together with a mount namespace
# (fresh tmpfs on /dev/shm, fresh mqueue on /dev/mqueue where it exists) or a
# network namespace: host to namespace and namespace to host, for each named
# mechanism. They show where POSIX named semaphores, POSIX shared memory and
# abstract sockets become isolated, and that FIFOs and pathname sockets do
# not. A test a variant (010-named.bats says why).

load helpers

@test "with a mnt namespace: every named mechanism, host to namespace and namespace to host" {
	measure --observe probe-named --variant mnt sysv-msg \
		--observe probe-named --variant mnt sysv-sem --observe probe-named --variant mnt sysv-shm \
		--observe probe-named --variant mnt posix-mq --observe probe-named --variant mnt posix-sem \
		--observe probe-named --variant mnt posix-shm --observe probe-named --variant mnt fifo \
		--observe probe-named --variant mnt unix-path \
		--observe probe-named --variant mnt unix-abstract
}

@test "with a net namespace: every named mechanism, host to namespace and namespace to host" {
	measure --observe probe-named --variant net sysv-msg \
		--observe probe-named --variant net sysv-sem --observe probe-named --variant net sysv-shm \
		--observe probe-named --variant net posix-mq --observe probe-named --variant net posix-sem \
		--observe probe-named --variant net posix-shm --observe probe-named --variant net fifo \
		--observe probe-named --variant net unix-path \
		--observe probe-named --variant net unix-abstract
}
