#!/usr/bin/env bats
# Kernels that lack a feature or fake one (a seccomp filter: tests/fake-kernel.c)
# and probes that hang or crash. The suite must skip honestly, or fail with a
# reason, and never pass what it did not measure.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert
load user-copy

: "${IPCNS_SRC:=$BATS_TEST_DIRNAME/..}"
: "${IPCNS_BUILD:=$IPCNS_SRC/build}"
: "${FAKE_KERNEL:=$IPCNS_BUILD/tests/fake-kernel}"

setup() {
	command -v jq >/dev/null || skip "jq is not installed"
	[ -x "$FAKE_KERNEL" ] || skip "fake-kernel is not built"
	[ "$(id -u)" = 0 ] || skip "the suite's faults are measured as root"
	OUT=$BATS_TEST_TMPDIR/out
}

teardown() {
	user_copy_remove
}

suite() {
	"$IPCNS_SRC/run-tests.sh" --no-install --build "$IPCNS_BUILD" --output "$OUT" "$@"
}

# verdicts: "VERDICT OBSERVED" of every cell, sorted and counted.
verdicts() {
	jq -r '.cells[] | "\(.verdict) \(.observed)"' "$OUT/results.json" | sort | uniq -c | awk '{ $1 = $1; print }'
}

# SysV keys and /dev/shm entries: what no run may leave behind.
host_objects() {
	cat /proc/sysvipc/msg /proc/sysvipc/sem /proc/sysvipc/shm | awk '$1 ~ /^-?[0-9]+$/ { print $1 }'
	ls -A /dev/shm
}

@test "a kernel without IPC namespaces: every cell is skipped with the reason, exit 4" {
	run -4 "$FAKE_KERNEL" --no-ipcns -- "$IPCNS_SRC/run-tests.sh" --no-install \
		--build "$IPCNS_BUILD" --output "$OUT" --filter '^named|^inherited' --config none
	run -0 verdicts
	assert_output --regexp '^[0-9]+ skip null$'
	run -0 jq -r '[.cells[].detail] | unique | .[]' "$OUT/results.json"
	assert_output --partial "EINVAL"
	# The filter only lets the syscall fail: /proc/self/ns/ipc is still
	# there, so no option is blamed (a kernel built without it: tools/kernel-matrix.sh).
	assert_output --partial "refused, although this kernel has the namespaces"
	run -0 grep -F "no IPC namespace can be made here" "$OUT/RESULTS.md"
}

@test "a kernel whose unshare says yes but makes no namespace fails, its cells marked shared" {
	local before
	before=$(host_objects)
	run -1 "$FAKE_KERNEL" --fake-unshare -- "$IPCNS_SRC/run-tests.sh" --no-install \
		--build "$IPCNS_BUILD" --output "$OUT" --filter '^named|handles|tools' --config none
	# What a probe made "inside" is on the host: still removed, not swept as a leak.
	refute_output --partial "LEAK"
	assert_equal "$(host_objects)" "$before"
	run -0 jq -r '.cells[] | "\(.mechanism) \(.entry) \(.verdict) \(.observed)"' "$OUT/results.json"
	assert_line "sysv-msg unshare fail shared"
	assert_line "sysv-msg util-linux fail shared"
	assert_line "sysv-msg clone skip null"
	assert_line "sysv-msg clone3 skip null"
	# Every cell of a group whose sandbox was refused is still recorded.
	run -0 jq -r '[.cells[] | select(.scenario | test("^(mapping-across|old-id-after|fd-across|unlink-after)-unshare$|^rmid-forced"))] | length' "$OUT/results.json"
	assert_output 6
	# Its control sees the segment outside: the measurement broke, and says so.
	run -0 jq -r '.cells[] | select(.scenario == "held-by-bind-mount") | .verdict' "$OUT/results.json"
	assert_output broken
}

@test "a kernel without POSIX message queues: posix-mq is skipped (ENOSYS), the rest measured" {
	run -0 "$FAKE_KERNEL" --no-mqueue -- "$IPCNS_SRC/run-tests.sh" --no-install \
		--build "$IPCNS_BUILD" --output "$OUT" --filter '^named' --config none
	run -0 jq -r '.cells[] | "\(.mechanism) \(.verdict)"' "$OUT/results.json"
	assert_output --partial "posix-mq skip"
	assert_output --partial "sysv-sem pass"
	refute_output --partial "posix-mq pass"
	run -0 jq -r '.cells[] | select(.mechanism == "posix-mq") | .detail' "$OUT/results.json"
	assert_output --partial "ENOSYS"
	assert_output --partial "CONFIG_POSIX_MQUEUE is off"
}

@test "a skip that blames an option is confirmed by the kernel's config, or fails against it" {
	printf '# CONFIG_POSIX_MQUEUE is not set\nCONFIG_SYSVIPC=y\n' >"$BATS_TEST_TMPDIR/off"
	run -0 "$FAKE_KERNEL" --no-mqueue -- "$IPCNS_SRC/run-tests.sh" --no-install --build "$IPCNS_BUILD" \
		--output "$OUT" --filter '^named|mqueue-fs' --config "$BATS_TEST_TMPDIR/off"
	run -0 jq -r '.cells[] | select(.verdict == "skip") | .detail' "$OUT/results.json"
	assert_output --partial "(confirmed: $BATS_TEST_TMPDIR/off has no CONFIG_POSIX_MQUEUE)"
	# The same refusal on a kernel whose config has the option hides something else.
	printf 'CONFIG_POSIX_MQUEUE=y\n' | gzip >"$BATS_TEST_TMPDIR/on.gz"
	run -1 "$FAKE_KERNEL" --no-mqueue -- "$IPCNS_SRC/run-tests.sh" --no-install --build "$IPCNS_BUILD" \
		--output "$OUT" --filter '^named' --config "$BATS_TEST_TMPDIR/on.gz"
	run -0 jq -r '.cells[] | select(.verdict == "fail") | .detail' "$OUT/results.json"
	assert_output --partial "on.gz has CONFIG_POSIX_MQUEUE=y, yet:"
}

@test "an ordinary user without user namespaces: cells skip, naming the reason, exit 4" {
	local shared
	# The user may not be able to read the checkout (under /root, say).
	user_copy "$FAKE_KERNEL"
	shared=$(mktemp -d /tmp/ipcns-faults.XXXXXX)
	chown "$NOBODY" "$shared"
	run as_user "$USER_COPY/${FAKE_KERNEL##*/}" --no-userns -- "$USER_SRC/run-tests.sh" --no-install \
		--build "$USER_BUILD" --output "$shared" --filter '^named'
	local rc=$status
	run -0 jq -r '.cells[] | "\(.verdict) \(.detail)"' "$shared/results.json"
	rm -rf "$shared"
	assert_equal "$rc" 4
	refute_output --partial "pass "
	assert_output --partial "CAP_SYS_ADMIN"
}

@test "a probe that hangs or crashes is a broken cell with its reason, exit 3; the run goes on" {
	local probes=$BATS_TEST_TMPDIR/probes
	cp -r "$IPCNS_BUILD/probes" "$probes"
	printf '#!/bin/sh\nexec sleep 1000\n' >"$probes/probe-named"
	printf '#!/bin/sh\nkill -SEGV $$\n' >"$probes/probe-inherit"
	# one that takes no arguments: its broken cell is "probe-limits -"
	printf '#!/bin/sh\necho "probe-limits: broken" >&2\nexit 3\n' >"$probes/probe-limits"
	chmod +x "$probes/probe-named" "$probes/probe-inherit" "$probes/probe-limits"
	run -3 env IPCNS_PROBES="$probes" IPCNS_TIMEOUT=1 "$IPCNS_SRC/run-tests.sh" --no-install \
		--build "$IPCNS_BUILD" --output "$OUT" --filter '^named|^inherited|sem-undo|^limits'
	run -0 jq -r '.cells[] | "\(.mechanism) \(.verdict) \(.detail)"' "$OUT/results.json"
	assert_line --regexp '^probe-named broken probe-named exited 124 after 0 observations: timed out after 3 s'
	assert_line --regexp '^probe-inherit broken probe-inherit exited 139'
	assert_line 'probe-limits broken probe-limits exited 3 after 0 observations: probe-limits: broken'
	assert_line --regexp '^sem-undo pass'
	run -0 jq -r '.cells[] | select(.mechanism == "probe-limits") | "\(.scenario) \(.entry)"' "$OUT/results.json"
	assert_output '- -'
}

@test "a machine without nsenter, lsipc, lsns or ipcmk: their cells are skipped, naming the tool" {
	# A PATH with every command but those (as links), so that they are missing.
	local bin=$BATS_TEST_TMPDIR/bin f
	mkdir "$bin"
	for f in /usr/local/sbin/* /usr/local/bin/* /usr/sbin/* /usr/bin/* /sbin/* /bin/*; do
		# A directory that is missing or empty (no /usr/local/sbin in a
		# minimal root) leaves its pattern as it is.
		[ -e "$f" ] || continue
		case ${f##*/} in nsenter | lsipc | lsns | ipcmk) continue ;; esac
		[ -e "$bin/${f##*/}" ] || ln -s "$f" "$bin/${f##*/}"
	done
	run env PATH="$bin" "$IPCNS_SRC/run-tests.sh" --no-install --build "$IPCNS_BUILD" \
		--output "$OUT" --filter '^named|tools'
	run -0 jq -r '.cells[] | select(.verdict == "skip") | "\(.scenario) \(.entry) \(.detail)"' "$OUT/results.json"
	assert_line --regexp '^join util-linux .*nsenter is not installed'
	assert_output --regexp 'tool-.* (ipcmk|lsipc|lsns|nsenter)'
	run -0 jq -r '[.cells[] | select(.verdict == "fail" or .verdict == "broken")] | length' "$OUT/results.json"
	assert_output 0
}
