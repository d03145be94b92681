#!/usr/bin/env bats
# How long IPC objects live, and which namespace an mqueue mount shows.
# probe-lifetime and probe-mqueue-fs measure a group of cells each;
# expectations: fixtures/probe-lifetime.tsv and fixtures/probe-mqueue-fs.tsv.

load helpers

@test "lifetime: objects kept by an nsfs fd alone, destroyed with the last holder" { measure --observe probe-lifetime; }
@test "mqueue-fs: mounts before and after unshare, queues as files, mounting in a user namespace" { measure --observe probe-mqueue-fs; }
