#!/usr/bin/env bats
# Inherited channels: a child in a new IPC namespace sends through a channel it
# inherited; does the value reach the parent outside? The positive control is
# the same probe making no namespace. One test for the six (010-named.bats
# says why). Expectations: fixtures/probe-inherit.tsv.

load helpers

@test "inherited channels: pipe, socketpair, eventfd, memfd, unnamed POSIX semaphore, signal" {
	measure --observe probe-inherit --cells pipe --observe probe-inherit --cells socketpair \
		--observe probe-inherit --cells eventfd --observe probe-inherit --cells memfd \
		--observe probe-inherit --cells posix-sem-unnamed --observe probe-inherit --cells signal
}
