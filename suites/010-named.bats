#!/usr/bin/env bats
# Named mechanisms: can a name made on one side of an IPC namespace boundary
# be reached from the other? A test a mechanism and scenario, a cell an entry
# point (scenario.sh --help). Expectations: fixtures/expected.tsv.

load helpers

@test "sysv-msg: host to namespace, through clone, clone3, unshare, util-linux" { measure sysv-msg host-to-ns; }
@test "sysv-msg: namespace to host" { measure sysv-msg ns-to-host; }
@test "sysv-msg: sibling namespaces" { measure sysv-msg sibling; }
@test "sysv-msg: the same name on both sides" { measure sysv-msg same-name; }
@test "sysv-msg: joining through setns, pidfd, util-linux" { measure sysv-msg join; }

@test "sysv-sem: host to namespace, through clone, clone3, unshare, util-linux" { measure sysv-sem host-to-ns; }
@test "sysv-sem: namespace to host" { measure sysv-sem ns-to-host; }
@test "sysv-sem: sibling namespaces" { measure sysv-sem sibling; }
@test "sysv-sem: the same name on both sides" { measure sysv-sem same-name; }
@test "sysv-sem: joining through setns, pidfd, util-linux" { measure sysv-sem join; }

@test "sysv-shm: host to namespace, through clone, clone3, unshare, util-linux" { measure sysv-shm host-to-ns; }
@test "sysv-shm: namespace to host" { measure sysv-shm ns-to-host; }
@test "sysv-shm: sibling namespaces" { measure sysv-shm sibling; }
@test "sysv-shm: the same name on both sides" { measure sysv-shm same-name; }
@test "sysv-shm: joining through setns, pidfd, util-linux" { measure sysv-shm join; }

@test "posix-mq: host to namespace, through clone, clone3, unshare, util-linux" { measure posix-mq host-to-ns; }
@test "posix-mq: namespace to host" { measure posix-mq ns-to-host; }
@test "posix-mq: sibling namespaces" { measure posix-mq sibling; }
@test "posix-mq: the same name on both sides" { measure posix-mq same-name; }
@test "posix-mq: joining through setns, pidfd, util-linux" { measure posix-mq join; }

@test "posix-sem: host to namespace, through clone, clone3, unshare, util-linux" { measure posix-sem host-to-ns; }
@test "posix-sem: namespace to host" { measure posix-sem ns-to-host; }
@test "posix-sem: sibling namespaces" { measure posix-sem sibling; }
@test "posix-sem: the same name on both sides" { measure posix-sem same-name; }
@test "posix-sem: joining through setns, pidfd, util-linux" { measure posix-sem join; }

@test "posix-shm: host to namespace, through clone, clone3, unshare, util-linux" { measure posix-shm host-to-ns; }
@test "posix-shm: namespace to host" { measure posix-shm ns-to-host; }
@test "posix-shm: sibling namespaces" { measure posix-shm sibling; }
@test "posix-shm: the same name on both sides" { measure posix-shm same-name; }
@test "posix-shm: joining through setns, pidfd, util-linux" { measure posix-shm join; }

@test "fifo: host to namespace, through clone, clone3, unshare, util-linux" { measure fifo host-to-ns; }
@test "fifo: namespace to host" { measure fifo ns-to-host; }
@test "fifo: sibling namespaces" { measure fifo sibling; }
@test "fifo: the same name on both sides" { measure fifo same-name; }
@test "fifo: joining through setns, pidfd, util-linux" { measure fifo join; }

@test "unix-path: host to namespace, through clone, clone3, unshare, util-linux" { measure unix-path host-to-ns; }
@test "unix-path: namespace to host" { measure unix-path ns-to-host; }
@test "unix-path: sibling namespaces" { measure unix-path sibling; }
@test "unix-path: the same name on both sides" { measure unix-path same-name; }
@test "unix-path: joining through setns, pidfd, util-linux" { measure unix-path join; }

@test "unix-abstract: host to namespace, through clone, clone3, unshare, util-linux" { measure unix-abstract host-to-ns; }
@test "unix-abstract: namespace to host" { measure unix-abstract ns-to-host; }
@test "unix-abstract: sibling namespaces" { measure unix-abstract sibling; }
@test "unix-abstract: the same name on both sides" { measure unix-abstract same-name; }
@test "unix-abstract: joining through setns, pidfd, util-linux" { measure unix-abstract join; }
