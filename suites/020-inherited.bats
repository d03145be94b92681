#!/usr/bin/env bats
# Inherited channels: a child in a new IPC namespace sends through a channel it
# inherited; does the value reach the parent outside? The positive control is
# the same probe making no namespace.

load helpers

@test "pipe: from a child in a new namespace to its parent" { measure --observe probe-inherit --cells pipe; }
@test "socketpair: from a child in a new namespace to its parent" { measure --observe probe-inherit --cells socketpair; }
@test "eventfd: from a child in a new namespace to its parent" { measure --observe probe-inherit --cells eventfd; }
@test "memfd: from a child in a new namespace to its parent" { measure --observe probe-inherit --cells memfd; }
@test "posix-sem-unnamed: from a child in a new namespace to its parent" { measure --observe probe-inherit --cells posix-sem-unnamed; }
@test "signal: from a child in a new namespace to its parent" { measure --observe probe-inherit --cells signal; }
