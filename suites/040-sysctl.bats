#!/usr/bin/env bats
# Per-namespace sysctls: the 16 IPC sysctls, each measured in IPC namespaces
# the probe makes itself (probe-sysctl-defaults: the value a new one starts
# with; probe-sysctl-writes: where a write is seen); every write happens in
# one of them, never on the host. One test a scenario, sixteen cells each.

load helpers

@test "sysctls: a new namespace starts from the defaults, not its parent's values" { measure --observe probe-sysctl-defaults new-ns-default; }
@test "sysctls: a child namespace's write is hidden from its parent" { measure --observe probe-sysctl-writes child-write-hidden; }
@test "sysctls: a parent namespace's write is hidden from its child" { measure --observe probe-sysctl-writes parent-write-hidden; }
@test "sysctls: an fd opened before unshare stays with its namespace" { measure --observe probe-sysctl-writes fd-bound; }
@test "sysctls: the root of the owning user namespace may write them" { measure --observe probe-sysctl-writes rootless-write; }
