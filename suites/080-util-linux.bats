#!/usr/bin/env bats
# What util-linux's tools show across IPC namespaces (the seed note's terminal
# session): probe-util-linux measures the cells; expectations:
# fixtures/probe-util-linux.tsv.

load helpers

@test "tools: ipcmk, ipcs, lsipc, nsenter, lsns, ipcrm; a namespace kept by a bind mount" { measure --observe probe-util-linux; }
