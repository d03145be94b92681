#!/usr/bin/env bats
# Per-namespace sysctls: the 16 IPC sysctls, measured by probe-sysctl-defaults
# and probe-sysctl-writes in IPC namespaces they make themselves; every write
# happens in one of them, never on the host. A test a probe (010-named.bats
# says why). Expectations: fixtures/probe-sysctl-{defaults,writes}.tsv.

load helpers

@test "sysctls: a new namespace starts from the defaults, not its parent's values" {
	measure --observe probe-sysctl-defaults new-ns-default
}

@test "sysctls: writes stay on their side, an fd keeps its namespace, the owning user namespace's root may write" {
	measure --observe probe-sysctl-writes child-write-hidden --observe probe-sysctl-writes parent-write-hidden \
		--observe probe-sysctl-writes fd-bound --observe probe-sysctl-writes rootless-write
}
