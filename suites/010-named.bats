#!/usr/bin/env bats
# Named mechanisms: can a name made on one side of an IPC namespace boundary
# be reached from the other? probe-named measures a mechanism's cells in one
# process: host to namespace through clone, clone3, unshare and util-linux;
# namespace to host; sibling namespaces; the same name on both sides; joining
# through setns, pidfd and util-linux (probe-named --help).
# One test for the nine mechanisms, not one each: Bats' own cost is ~30 ms a
# test here and seconds under emulation (--kernel), the record has every cell
# (RESULTS.md, results.json, JUnit, KTAP), and a failing test lists every cell
# with its verdict. Expectations: fixtures/probe-named.tsv.

load helpers

@test "named mechanisms: SysV msg, sem, shm; POSIX mq, sem, shm; FIFO; unix path and abstract sockets" {
	measure --observe probe-named sysv-msg --observe probe-named sysv-sem \
		--observe probe-named sysv-shm --observe probe-named posix-mq \
		--observe probe-named posix-sem --observe probe-named posix-shm \
		--observe probe-named fifo --observe probe-named unix-path \
		--observe probe-named unix-abstract
}
