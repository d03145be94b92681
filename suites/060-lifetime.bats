#!/usr/bin/env bats
# How long IPC objects live, which namespace an mqueue mount shows, and what
# util-linux's tools show across namespaces (the seed note's terminal session).
# probe-lifetime, probe-mqueue-fs and tools-view.sh measure a group of cells
# each; expectations: fixtures/PROBE.tsv.

load helpers

@test "lifetime: objects kept by an nsfs fd alone, destroyed with the last holder" { measure --observe probe-lifetime; }
@test "mqueue-fs: mounts before and after unshare, queues as files, mounting in a user namespace" { measure --observe probe-mqueue-fs; }
@test "tools: ipcmk, ipcs, lsipc, nsenter, lsns, ipcrm; a namespace kept by a bind mount" { measure --observe "$BATS_TEST_DIRNAME/tools-view.sh"; }
