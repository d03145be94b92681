#!/usr/bin/env bats
# Named mechanisms: can a name made on one side of an IPC namespace boundary
# be reached from the other? A test a mechanism, a cell a scenario and entry
# point (scenario.sh --help): host to namespace through clone, clone3,
# unshare and util-linux; namespace to host; sibling namespaces; the same
# name on both sides; joining through setns, pidfd and util-linux. One test a
# mechanism rather than a scenario: Bats costs ~30 ms a test, and a failing
# test lists every cell with its verdict. Expectations: fixtures/probe-named.tsv.

load helpers

@test "sysv-msg: host to namespace, namespace to host, sibling, same name, join" { measure --observe probe-named sysv-msg; }
@test "sysv-sem: host to namespace, namespace to host, sibling, same name, join" { measure --observe probe-named sysv-sem; }
@test "sysv-shm: host to namespace, namespace to host, sibling, same name, join" { measure --observe probe-named sysv-shm; }
@test "posix-mq: host to namespace, namespace to host, sibling, same name, join" { measure --observe probe-named posix-mq; }
@test "posix-sem: host to namespace, namespace to host, sibling, same name, join" { measure --observe probe-named posix-sem; }
@test "posix-shm: host to namespace, namespace to host, sibling, same name, join" { measure --observe probe-named posix-shm; }
@test "fifo: host to namespace, namespace to host, sibling, same name, join" { measure --observe probe-named fifo; }
@test "unix-path: host to namespace, namespace to host, sibling, same name, join" { measure --observe probe-named unix-path; }
@test "unix-abstract: host to namespace, namespace to host, sibling, same name, join" { measure --observe probe-named unix-abstract; }
