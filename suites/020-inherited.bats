#!/usr/bin/env bats
# Inherited channels: a child in a new IPC namespace sends through a channel it
# inherited; does the value reach the parent outside? The positive control is
# the same probe making no namespace.

load helpers

@test "pipe: from a child in a new namespace to its parent" { measure pipe inherited; }
@test "socketpair: from a child in a new namespace to its parent" { measure socketpair inherited; }
@test "eventfd: from a child in a new namespace to its parent" { measure eventfd inherited; }
@test "memfd: from a child in a new namespace to its parent" { measure memfd inherited; }
@test "posix-sem-unnamed: from a child in a new namespace to its parent" { measure posix-sem-unnamed inherited; }
@test "signal: from a child in a new namespace to its parent" { measure signal inherited; }
