#!/usr/bin/env bats
# Per-namespace sysctls: the 16 IPC sysctls, each measured by probe-sysctl in
# IPC namespaces it makes itself; every write happens in one of them, never
# on the host. One test a scenario, sixteen cells each.

load helpers

@test "sysctls: a new namespace starts from the defaults, not its parent's values" { measure --observe probe-sysctl new-ns-default; }
@test "sysctls: a child namespace's write is hidden from its parent" { measure --observe probe-sysctl child-write-hidden; }
@test "sysctls: a parent namespace's write is hidden from its child" { measure --observe probe-sysctl parent-write-hidden; }
@test "sysctls: an fd opened before unshare stays with its namespace" { measure --observe probe-sysctl fd-bound; }
@test "sysctls: the root of the owning user namespace may write them" { measure --observe probe-sysctl rootless-write; }
