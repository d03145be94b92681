#!/usr/bin/env bats
# Contract tests of the sysctl probes, probe-sysctl-defaults (new-ns-default)
# and probe-sysctl-writes (the other scenarios): usage, the shape of their
# OBSERVE lines, that a measurement can come out either way, that a missing
# sysctl is a skip naming the option responsible, and that a run leaves the
# host as it found it: the 16 sysctls above all, and SysV objects, /dev/shm,
# mounts and processes. Meson runs this as
#   IPCNS_PROBES=<build>/probes bats --tap tests/probe-sysctl.bats
#
# "The other way" is shown on a directory of plain files (IPCNS_SYSCTL_DIR):
# no namespace isolates those, so writes are seen everywhere, and the probe's
# net must put the "host" values back and exit 3. Real host values are never
# written here.


# At file level rather than in setup(): loading costs ~25 ms a test.
load helpers

SYSCTLS=(kernel/msgmax kernel/msgmnb kernel/msgmni kernel/sem kernel/shmmax
	kernel/shmall kernel/shmmni kernel/shm_rmid_forced kernel/msg_next_id
	kernel/sem_next_id kernel/shm_next_id fs/mqueue/queues_max fs/mqueue/msg_max
	fs/mqueue/msgsize_max fs/mqueue/msg_default fs/mqueue/msgsize_default)
# probe:scenario, every scenario of both probes
SCENARIOS=(defaults:new-ns-default writes:child-write-hidden writes:parent-write-hidden
	writes:fd-bound writes:rootless-write)

setup_file() {
	export IPCNS_PROBES=${IPCNS_PROBES:-$BATS_TEST_DIRNAME/../build/probes}
	unset IPCNS_TIMEOUT IPCNS_SYSCTL_DIR
}

setup() {
	D=$IPCNS_PROBES/probe-sysctl-defaults W=$IPCNS_PROBES/probe-sysctl-writes
	[[ -x $D && -x $W ]] || fail "no probe-sysctl-* in IPCNS_PROBES=$IPCNS_PROBES (build first)"
	FAKE=""
}

teardown() {
	[[ -n $FAKE ]] && rm -rf "$FAKE"
	nobody_copy_remove
}

# ---- helpers ---------------------------------------------------------------

# bats-assert 2.1 has no assert_stderr.


# The host's 16 values (those that exist), "file:value" a line.
host_sysctls() {
	(cd /proc/sys && grep -H . "${SYSCTLS[@]}" 2>/dev/null) || true
}

# Everything a run could change on the host. Not its SysV objects: the probe
# makes none there, and the tests that run beside this one under meson do.
host_state() {
	host_sysctls
	grep -c . /proc/self/mountinfo
	pgrep -c '^probe-sysctl-' || true # comm: the first 15 bytes
}

# A copy of the host's sysctls as plain files, readable by anyone, in FAKE
# (under TMPDIR: uid 65534 must reach it). $@: the files to leave out.
make_fake() {
	local f
	FAKE=$(mktemp -d "${TMPDIR:-/tmp}/probe-sysctl.XXXXXX")
	chmod 755 "$FAKE"
	mkdir -p "$FAKE/kernel" "$FAKE/fs/mqueue"
	for f in "${SYSCTLS[@]}"; do
		[[ " $* " == *" $f "* ]] && continue
		cat "/proc/sys/$f" >"$FAKE/$f" 2>/dev/null || rm -f "$FAKE/$f"
	done
	chmod -R a+rX "$FAKE"
}

# The values in FAKE, kernel.sem's tabs as the spaces the probe writes back.
fake_values() {
	(cd "$FAKE" && cat "${SYSCTLS[@]}" 2>/dev/null) | tr -s '\t' ' '
}

# Checks that $output is well-formed OBSERVE lines of scenario $1, one for
# each sysctl $2.. in that order, each with an observation; OBSERVED then
# holds "sysctl=observed" lines. One awk: Bats traces every bash command.
assert_observations() {
	local scen=$1 problems
	shift
	problems=$(awk -F'\t' -v scen="$scen" -v want="$*" '
		BEGIN { n = split(want, w, " ") }
		{
			i++
			if (NF != 7 || $1 != "OBSERVE" || $7 == "") print "not 7 fields: " $0
			if ($2 != w[i]) print "line " i " is " $2 ", wanted " w[i]
			if ($3 != scen) print $2 ": scenario " $3 ", wanted " scen
			if ($4 != "clone" && !($4 == "unshare" && scen == "fd-bound"))
				print $2 ": entry " $4
			if ($5 != "ipc" && $5 != "ipc+user") print $2 ": namespaces " $5
			if ($6 !~ /^[a-z0-9_+-]+$/) print $2 ": observed \"" $6 "\": " $7
		}
		END { if (i != n) print i " lines, wanted " n }' <<<"$output")
	[[ -z $problems ]] || fail "$problems"$'\n'"output: $output"
	OBSERVED=$(cut -f2,6 --output-delimiter== <<<"$output")
}

# ---- help and usage errors -------------------------------------------------

@test "probe-sysctl-*: -h and --help print usage on stdout and exit 0" {
	assert_help "$D" "$W"
}

@test "probe-sysctl-*: bad arguments and environment are usage errors" {
	local p s
	for p in "$D:new-ns-default" "$W:fd-bound"; do
		s=${p##*:} p=${p%:*}
		expect_usage "$p"
		expect_usage "$p" -t
		expect_usage "$p" -t 0 "$s"
		expect_usage "$p" -t 3601 "$s"
		expect_usage "$p" -t 5
		expect_usage "$p" nosuch
		expect_usage "$p" "$s" kernel.nosuch
		expect_usage "$p" "$s" kernel/msgmax # the dotted name only
		IPCNS_TIMEOUT=soon expect_usage "$p" "$s"
		IPCNS_SYSCTL_DIR=relative/dir expect_usage "$p" "$s"
	done
	# each probe's scenarios are its own
	expect_usage "$D" fd-bound
	expect_usage "$W" new-ns-default
}

# ---- measurements on this kernel -------------------------------------------

@test "probe-sysctl-*: every scenario prints one well-formed line a sysctl and leaves the host as it was" {
	local before after s names=()
	for s in "${SYSCTLS[@]}"; do
		s=${s//\//.}
		names+=("$s")
	done
	before=$(host_state)
	for s in "${SCENARIOS[@]}"; do
		run -0 "$IPCNS_PROBES/probe-sysctl-${s%%:*}" -t 5 "${s#*:}"
		assert_observations "${s#*:}" "${names[@]}"
	done
	after=$(host_state)
	[[ $before == "$after" ]] || fail "the host changed: before: $before after: $after"
}

@test "probe-sysctl-*: named sysctls only, in table order; kernel.sem's numbers joined by _" {
	run -0 "$D" new-ns-default fs.mqueue.msg_max kernel.sem
	assert_observations new-ns-default kernel.sem fs.mqueue.msg_max
	[[ $OBSERVED =~ kernel.sem=[0-9]+_[0-9]+_[0-9]+_[0-9]+ ]] ||
		fail "kernel.sem not as a_b_c_d: $output"
}

# ---- the other way, on plain files -----------------------------------------

@test "probe-sysctl-*: where nothing is isolated, writes are seen, and the net restores and exits 3" {
	local before s
	make_fake
	before=$(fake_values)
	for s in child-write-hidden parent-write-hidden; do
		IPCNS_SYSCTL_DIR=$FAKE run -3 --separate-stderr "$W" "$s" kernel.msgmax kernel.sem
		assert_observations "$s" kernel.msgmax kernel.sem
		[[ $OBSERVED == $'kernel.msgmax=shared\nkernel.sem=shared' ]] ||
			fail "$s: $output"
		assert_stderr_has "SAFETY: the host's kernel.msgmax changed"
		assert_stderr_has "restored it"
		[[ $before == "$(fake_values)" ]] ||
			fail "$s: the net did not restore the files"
	done
	IPCNS_SYSCTL_DIR=$FAKE run -3 "$D" new-ns-default kernel.shm_rmid_forced
	assert_output --partial "inherited A's value"
	# fd-bound's control: a fresh open after unshare must not read A's value
	IPCNS_SYSCTL_DIR=$FAKE run -3 "$W" fd-bound kernel.msgmax
	assert_output --partial $'\tfd-bound\tunshare\t'
	assert_output --partial $'\t\tpositive control failed: a fresh open after unshare'
}

@test "probe-sysctl-*: a missing sysctl file is a skip that names the option responsible" {
	make_fake kernel/shm_next_id
	IPCNS_SYSCTL_DIR=$FAKE run -0 "$W" parent-write-hidden kernel.shm_next_id
	assert_output --partial $'\tskip\tno '"$FAKE/kernel/shm_next_id on this kernel (CONFIG_CHECKPOINT_RESTORE is off)"
	rm -rf "$FAKE"
	# no queues at all: CONFIG_POSIX_MQUEUE, and only there (the rest is
	# measured; on plain files A's write is seen, and the net says so: exit 3)
	make_fake "${SYSCTLS[@]:11}"
	rmdir "$FAKE/fs/mqueue"
	IPCNS_SYSCTL_DIR=$FAKE run -3 "$D" new-ns-default fs.mqueue.msg_max kernel.msgmax
	assert_output --partial $'\tfs.mqueue.msg_max\tnew-ns-default\tclone\tipc\tskip\tno '"$FAKE/fs/mqueue: this kernel lacks POSIX message queues (CONFIG_POSIX_MQUEUE is off)"
	assert_output --regexp $'\tkernel.msgmax\tnew-ns-default\tclone\tipc\t[0-9]+\t'
	rm -rf "$FAKE"
	# no SysV IPC: CONFIG_SYSVIPC for *_next_id too, not CONFIG_CHECKPOINT_RESTORE
	make_fake "${SYSCTLS[@]:0:11}"
	IPCNS_SYSCTL_DIR=$FAKE run -0 "$W" fd-bound kernel.msgmax kernel.sem_next_id
	assert_line --index 0 --partial $'\tkernel.msgmax\tfd-bound\tunshare\tipc\tskip\tno '"$FAKE/kernel/msgmax: this kernel lacks System V IPC (CONFIG_SYSVIPC is off)"
	assert_line --index 1 --partial $'\tkernel.sem_next_id\tfd-bound\tunshare\tipc\tskip\tno '"$FAKE/kernel/msgmax: this kernel lacks System V IPC (CONFIG_SYSVIPC is off)"
	refute_output --partial CONFIG_CHECKPOINT_RESTORE
	rm -rf "$FAKE"
	# one file of a group that is there missing: no option to blame, a failed cell
	make_fake kernel/sem
	IPCNS_SYSCTL_DIR=$FAKE run -0 "$W" fd-bound kernel.sem
	assert_output --partial $'\tkernel.sem\tfd-bound\tunshare\tipc\t\treading the host\'s '"$FAKE/kernel/sem: ENOENT"
}

@test "probe-sysctl-writes: as root, rootless-write runs as uid 65534; a refused rootless write is a skip" {
	(( EUID == 0 )) || skip "needs root to own files that uid 65534 may not write"
	command -v setpriv >/dev/null || skip "needs setpriv (util-linux)"
	nobody_path "$W" || skip "uid 65534 cannot run $W, nor a copy"
	make_fake
	# root-owned 0644 files: nobody's user namespace root may not write them
	IPCNS_SYSCTL_DIR=$FAKE run -0 "$W" rootless-write kernel.msgmax
	assert_output --regexp $'\trootless-write\tclone\tipc\\+user\tdenied\topen\\(O_WRONLY\\) [0-9]+ as root of the owning user namespace \\(uid 65534 outside\\): EACCES'
	IPCNS_SYSCTL_DIR=$FAKE run -0 setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$NOBODY_PATH" child-write-hidden kernel.msgmax
	assert_output --partial $'\tipc+user\tskip\tthis kernel lets only global root write IPC sysctls'
}
