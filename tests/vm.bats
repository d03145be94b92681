#!/usr/bin/env bats
# ./run-tests.sh --kernel (tools/vm-run.sh): its arguments, images that do not
# boot, and, when IPCNS_VM_KERNEL names a bzImage (and IPCNS_VM_MODULES its
# lib/modules/RELEASE tree), real boots: the suite in the guest, a panic, a
# guest without 9p, and the --timeout bound. Without a kernel those are
# skipped: CI downloads none.

load helpers

: "${IPCNS_SRC:=$BATS_TEST_DIRNAME/..}"
: "${IPCNS_BUILD:=$IPCNS_SRC/build}"
RUN=$IPCNS_SRC/run-tests.sh

setup() {
	# vm-run.sh's temporary files go here: teardown checks none is left.
	export TMPDIR=$BATS_TEST_TMPDIR
	OUT=$BATS_TEST_TMPDIR/out
}

teardown() {
	local left
	left=$(find "$BATS_TEST_TMPDIR" -maxdepth 1 -name 'ipcns-vm.*')
	[ -z "$left" ] || fail "left behind: $left"
	pgrep -f "qemu-system-x86_64 .*$BATS_TEST_TMPDIR" && fail "a QEMU of this test still runs"
	return 0
}

requires_kernel() {
	[ -n "${IPCNS_VM_KERNEL:-}" ] || skip "IPCNS_VM_KERNEL names no kernel to boot"
	command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"
	[ -x "$IPCNS_BUILD/probes/ipcns" ] || skip "no probes built in $IPCNS_BUILD"
	KERNEL_ARGS=(--kernel "$IPCNS_VM_KERNEL" --build "$IPCNS_BUILD" --no-install)
	[ -n "${IPCNS_VM_MODULES:-}" ] && KERNEL_ARGS+=(--modules "$IPCNS_VM_MODULES")
	return 0
}

@test "bad arguments are refused with the usage exit code, before anything runs" {
	expect_usage "$RUN" --kernel
	expect_usage "$RUN" --kernel ""
	expect_usage "$RUN" --kernel "$BATS_TEST_TMPDIR/no-such-bzImage"
	assert_stderr_has "no readable kernel file"
	expect_usage "$RUN" --modules /lib --kernel
	expect_usage "$RUN" --kernel /etc/hostname --modules "$BATS_TEST_TMPDIR/no-such-dir"
	expect_usage "$RUN" --kernel /etc/hostname --bogus
	for t in 0 -5 abc 1.5 "" 9999999; do
		expect_usage "$RUN" --kernel /etc/hostname --timeout "$t"
	done
	assert_stderr_has "--timeout wants whole seconds"
	expect_usage "$RUN" --kernel /etc/hostname --filter $'a\nb'
	expect_usage "$RUN" --kernel /etc/hostname --config
	expect_usage "$RUN" --kernel /etc/hostname --config ""
	for c in "$BATS_TEST_TMPDIR/no-such-config" /etc; do
		expect_usage "$RUN" --kernel /etc/hostname --config "$c"
		assert_stderr_has "--config: no readable file"
	done
	expect_usage "$RUN" --kernel /etc/hostname --config /etc/hostname
	assert_stderr_has "holds no kernel options"
	run -0 "$RUN" --kernel x --help
	assert_output --partial "8 the kernel did not boot"
}

# fake_bzimage FILE [VERSION]: a bzImage header on 1 MiB of zeros. Without
# VERSION QEMU refuses it; with VERSION (2.15: "\x0f\x02") and room for an
# initramfs, QEMU starts it and it never prints a line.
fake_bzimage() {
	head -c 1048576 /dev/zero >"$1"
	printf 'HdrS%b' "${2:-}" | dd of="$1" bs=1 seek=514 conv=notrunc status=none
	[ -n "${2:-}" ] && printf '\xff\xff\xff\x7f' | dd of="$1" bs=1 seek=556 conv=notrunc status=none
	return 0
}

@test "a file that is no kernel fails at once, with exit 8 and the reason" {
	head -c 1048576 /dev/zero >"$BATS_TEST_TMPDIR/zeros"
	for image in "$BATS_TEST_TMPDIR/zeros" /etc/hostname; do
		SECONDS=0
		run -8 --separate-stderr "$RUN" --kernel "$image" --output "$OUT" --no-install
		assert_stderr_has "is not a bootable x86 kernel (no bzImage header)"
		[ "$SECONDS" -lt 5 ] || fail "took $SECONDS s"
	done
	assert [ ! -e "$OUT" ]
}

@test "an image that QEMU refuses fails at once, with QEMU's reason, exit 8" {
	command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"
	fake_bzimage "$BATS_TEST_TMPDIR/fake"
	SECONDS=0
	run -8 --separate-stderr "$RUN" --kernel "$BATS_TEST_TMPDIR/fake" --output "$OUT" \
		--build "$IPCNS_BUILD" --no-install
	[ "$SECONDS" -lt 30 ] || fail "took $SECONDS s"
	assert_stderr_has "before the kernel printed a line: an image that does not boot here; QEMU said: "
	assert [ -f "$OUT/vm-console.log" ]
}

@test "the kernel's config is the one beside it, or --config, or none" {
	command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"
	# QEMU refuses this image at once: what matters is what was sent.
	mkdir "$BATS_TEST_TMPDIR/k"
	fake_bzimage "$BATS_TEST_TMPDIR/k/bzImage"
	args=(--output "$OUT" --build "$IPCNS_BUILD" --no-install)
	run -8 --separate-stderr "$RUN" --kernel "$BATS_TEST_TMPDIR/k/bzImage" "${args[@]}"
	# shellcheck disable=SC2154 # stderr: set by Bats' run
	[[ $stderr != *"the kernel's config"* ]] || fail "a config where there is none: $stderr"
	printf '# CONFIG_IPC_NS is not set\n' >"$BATS_TEST_TMPDIR/k/.config"
	run -8 --separate-stderr "$RUN" --kernel "$BATS_TEST_TMPDIR/k/bzImage" "${args[@]}"
	assert_stderr_has "the kernel's config: $BATS_TEST_TMPDIR/k/.config"
	printf 'CONFIG_SYSVIPC=y\n' | gzip >"$BATS_TEST_TMPDIR/config.gz"
	run -8 --separate-stderr "$RUN" --kernel "$BATS_TEST_TMPDIR/k/bzImage" "${args[@]}" --config "$BATS_TEST_TMPDIR/config.gz"
	assert_stderr_has "the kernel's config: $BATS_TEST_TMPDIR/config.gz"
	run -8 --separate-stderr "$RUN" --kernel "$BATS_TEST_TMPDIR/k/bzImage" "${args[@]}" --config none
	[[ $stderr != *"the kernel's config"* ]] || fail "a config despite --config none: $stderr"
}

@test "an image that boots into nothing is stopped by --timeout, exit 8" {
	command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"
	fake_bzimage "$BATS_TEST_TMPDIR/fake" '\x0f\x02'
	SECONDS=0
	run -8 --separate-stderr "$RUN" --kernel "$BATS_TEST_TMPDIR/fake" --output "$OUT" \
		--build "$IPCNS_BUILD" --no-install --timeout 8
	[ "$SECONDS" -lt 30 ] || fail "took $SECONDS s"
	assert_stderr_has "the kernel printed nothing before --timeout 8 s ran out"
}

@test "a real kernel runs the suite in the guest and its record comes back" {
	requires_kernel
	# Without --output the record goes to ./results-vm-RELEASE.
	cd "$BATS_TEST_TMPDIR"
	run -0 --separate-stderr "$RUN" "${KERNEL_ARGS[@]}" --filter '^named'
	assert_output --partial "ok 1 named mechanisms: "
	assert_stderr_has "/init reached"
	run -0 jq -r '[.kernel, .privilege, (.cells | length), ([.cells[] | select(.verdict == "pass")] | length)] | @tsv' results-vm-*/results.json
	IFS=$'\t' read -r kernel privilege cells passed <<<"$output"
	assert_equal "$privilege" root
	assert [ "$cells" -gt 0 ]
	assert_equal "$passed of $cells passed" "$cells of $cells passed"
	# The record is the guest's: it names the kernel booted, as does the directory.
	for f in RESULTS.md results.json junit.xml results.ktap cells.jsonl vm-console.log; do
		assert [ -s "results-vm-$kernel/$f" ]
	done
	run -0 grep -c "measured in a virtual machine by tools/vm-run.sh" "results-vm-$kernel/RESULTS.md"
}

@test "a kernel that panics is reported as such, exit 8" {
	requires_kernel
	# No /init to run and no root= to mount: "VFS: Unable to mount root fs".
	run -8 --separate-stderr env IPCNS_VM_APPEND=rdinit=/no-such-init "$RUN" "${KERNEL_ARGS[@]}" --output "$OUT"
	assert_stderr_has "the kernel panicked: "
	assert [ -f "$OUT/vm-console.log" ]
}

@test "a guest that cannot mount the host's root names what it lacks, exit 8" {
	requires_kernel
	[ -n "${IPCNS_VM_MODULES:-}" ] || skip "this kernel has 9p built in (IPCNS_VM_MODULES is empty)"
	mkdir "$BATS_TEST_TMPDIR/no-modules"
	run -8 --separate-stderr "$RUN" "${KERNEL_ARGS[@]}" --modules "$BATS_TEST_TMPDIR/no-modules" --output "$OUT"
	assert_stderr_has "cannot mount the host's root over 9p"
}

@test "a run longer than --timeout is stopped, exit 8, and leaves nothing" {
	requires_kernel
	SECONDS=0
	run -8 --separate-stderr "$RUN" "${KERNEL_ARGS[@]}" --output "$OUT" --timeout 20
	[ "$SECONDS" -lt 40 ] || fail "took $SECONDS s"
	assert_stderr_has "--timeout 20 s"
}

@test "tools/build-kernel.sh refuses bad arguments with the usage exit code, before building" {
	local build=$IPCNS_SRC/tools/build-kernel.sh ksrc=$BATS_TEST_TMPDIR/linux
	# Just enough of a source tree to be taken for one.
	mkdir -p "$ksrc/scripts/kconfig" "$ksrc/arch/x86" "$ksrc/ipc"
	touch "$ksrc/Makefile" "$ksrc/scripts/kconfig/merge_config.sh"
	printf 'config IPC_NS\n\tbool "IPC namespace"\n' >"$ksrc/ipc/Kconfig"
	expect_usage "$build"
	expect_usage "$build" "$ksrc"
	expect_usage "$build" "$ksrc" "$OUT" extra
	expect_usage "$build" "$BATS_TEST_TMPDIR/no-such-tree" "$OUT"
	assert_stderr_has "is not a Linux source tree"
	expect_usage "$build" "$ksrc" "$ksrc/out"
	assert_stderr_has "OUT must be outside SRC"
	for a in "--base allyesconfig" "--jobs 0" "--jobs x" "--disable" "--disable CONFIG_" "--disable IPC-NS" "--bogus"; do
		# shellcheck disable=SC2086 # each is an option and its value
		expect_usage "$build" "$ksrc" "$OUT" $a
	done
	expect_usage "$build" "$ksrc" "$OUT" --disable CONFIG_IPC_NSS
	assert_stderr_has "this kernel has no option CONFIG_IPC_NSS"
	assert [ ! -e "$OUT" ] && assert [ ! -e "$ksrc/out" ]
	run -0 "$build" --help
	assert_output --partial "--disable OPTION"
}
