#!/usr/bin/env bats
# Named mechanisms: can a name made on one side of an IPC namespace boundary
# be reached from the other? A test a mechanism, a cell a scenario and entry
# point (scenario.sh --help): host to namespace through clone, clone3,
# unshare and util-linux; namespace to host; sibling namespaces; the same
# name on both sides; joining through setns, pidfd and util-linux. One test a
# mechanism rather than a scenario: Bats costs ~30 ms a test, and a failing
# test lists every cell with its verdict. Expectations: fixtures/expected.tsv.

load helpers

@test "sysv-msg: host to namespace, namespace to host, sibling, same name, join" { measure sysv-msg host-to-ns ns-to-host sibling same-name join; }
@test "sysv-sem: host to namespace, namespace to host, sibling, same name, join" { measure sysv-sem host-to-ns ns-to-host sibling same-name join; }
@test "sysv-shm: host to namespace, namespace to host, sibling, same name, join" { measure sysv-shm host-to-ns ns-to-host sibling same-name join; }
@test "posix-mq: host to namespace, namespace to host, sibling, same name, join" { measure posix-mq host-to-ns ns-to-host sibling same-name join; }
@test "posix-sem: host to namespace, namespace to host, sibling, same name, join" { measure posix-sem host-to-ns ns-to-host sibling same-name join; }
@test "posix-shm: host to namespace, namespace to host, sibling, same name, join" { measure posix-shm host-to-ns ns-to-host sibling same-name join; }
@test "fifo: host to namespace, namespace to host, sibling, same name, join" { measure fifo host-to-ns ns-to-host sibling same-name join; }
@test "unix-path: host to namespace, namespace to host, sibling, same name, join" { measure unix-path host-to-ns ns-to-host sibling same-name join; }
@test "unix-abstract: host to namespace, namespace to host, sibling, same name, join" { measure unix-abstract host-to-ns ns-to-host sibling same-name join; }
