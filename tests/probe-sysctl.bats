#!/usr/bin/env bats
# Contract tests of probe-sysctl: usage, the shape of its OBSERVE lines, that
# a measurement can come out either way, and that a run leaves the host as it
# found it: the 16 sysctls above all, and SysV objects, /dev/shm, mounts and
# processes. Meson runs this as
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
SCENARIOS=(new-ns-default child-write-hidden parent-write-hidden fd-bound rootless-write)

setup_file() {
	export IPCNS_PROBES=${IPCNS_PROBES:-$BATS_TEST_DIRNAME/../build/probes}
	unset IPCNS_TIMEOUT IPCNS_SYSCTL_DIR
}

setup() {
	P=$IPCNS_PROBES/probe-sysctl
	[[ -x $P ]] || fail "no probe-sysctl in IPCNS_PROBES=$IPCNS_PROBES (build first)"
	FAKE=""
}

teardown() {
	[[ -n $FAKE ]] && rm -rf "$FAKE"
	return 0
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
	pgrep -c -x probe-sysctl || true
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

@test "probe-sysctl: -h and --help print usage on stdout and exit 0" {
	local opt
	for opt in -h --help; do
		run -0 --separate-stderr "$P" "$opt"
		assert_output --partial "usage: probe-sysctl"
		[[ -z $stderr ]] || fail "$opt wrote to stderr: $stderr"
	done
}

@test "probe-sysctl: bad arguments and environment are usage errors" {
	expect_usage "$P"
	expect_usage "$P" -t
	expect_usage "$P" -t 0 fd-bound
	expect_usage "$P" -t 3601 fd-bound
	expect_usage "$P" -t 5
	expect_usage "$P" nosuch
	expect_usage "$P" fd-bound kernel.nosuch
	expect_usage "$P" fd-bound kernel/msgmax # the dotted name only
	IPCNS_TIMEOUT=soon expect_usage "$P" fd-bound
	IPCNS_SYSCTL_DIR=relative/dir expect_usage "$P" fd-bound
}

# ---- measurements on this kernel -------------------------------------------

@test "probe-sysctl: every scenario prints one well-formed line a sysctl and leaves the host as it was" {
	local before after s names=()
	for s in "${SYSCTLS[@]}"; do
		s=${s//\//.}
		names+=("$s")
	done
	before=$(host_state)
	for s in "${SCENARIOS[@]}"; do
		run -0 "$P" -t 5 "$s"
		assert_observations "$s" "${names[@]}"
	done
	after=$(host_state)
	[[ $before == "$after" ]] || fail "the host changed: before: $before after: $after"
}

@test "probe-sysctl: named sysctls only, in table order; kernel.sem's numbers joined by _" {
	run -0 "$P" new-ns-default fs.mqueue.msg_max kernel.sem
	assert_observations new-ns-default kernel.sem fs.mqueue.msg_max
	[[ $OBSERVED =~ kernel.sem=[0-9]+_[0-9]+_[0-9]+_[0-9]+ ]] ||
		fail "kernel.sem not as a_b_c_d: $output"
}

# ---- the other way, on plain files -----------------------------------------

@test "probe-sysctl: where nothing is isolated, writes are seen, and the net restores and exits 3" {
	local before s
	make_fake
	before=$(fake_values)
	for s in child-write-hidden parent-write-hidden; do
		IPCNS_SYSCTL_DIR=$FAKE run -3 --separate-stderr "$P" "$s" kernel.msgmax kernel.sem
		assert_observations "$s" kernel.msgmax kernel.sem
		[[ $OBSERVED == $'kernel.msgmax=shared\nkernel.sem=shared' ]] ||
			fail "$s: $output"
		assert_stderr_has "SAFETY: the host's kernel.msgmax changed"
		assert_stderr_has "restored it"
		[[ $before == "$(fake_values)" ]] ||
			fail "$s: the net did not restore the files"
	done
	IPCNS_SYSCTL_DIR=$FAKE run -3 "$P" new-ns-default kernel.shm_rmid_forced
	assert_output --partial "inherited A's value"
	# fd-bound's control: a fresh open after unshare must not read A's value
	IPCNS_SYSCTL_DIR=$FAKE run -3 "$P" fd-bound kernel.msgmax
	assert_output --partial $'\tfd-bound\tunshare\t'
	assert_output --partial $'\t\tpositive control failed: a fresh open after unshare'
}

@test "probe-sysctl: a missing sysctl file is a skip that says why" {
	make_fake kernel/shm_next_id
	IPCNS_SYSCTL_DIR=$FAKE run -0 "$P" parent-write-hidden kernel.shm_next_id
	assert_output --partial $'\tskip\tno '"$FAKE/kernel/shm_next_id on this kernel (CONFIG_CHECKPOINT_RESTORE is off)"
}

@test "probe-sysctl: as root, rootless-write runs as uid 65534; a refused rootless write is a skip" {
	(( EUID == 0 )) || skip "needs root to own files that uid 65534 may not write"
	command -v setpriv >/dev/null || skip "needs setpriv (util-linux)"
	setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$P" ||
		skip "uid 65534 cannot run $P"
	make_fake
	# root-owned 0644 files: nobody's user namespace root may not write them
	IPCNS_SYSCTL_DIR=$FAKE run -0 "$P" rootless-write kernel.msgmax
	assert_output --regexp $'\trootless-write\tclone\tipc\\+user\tdenied\topen\\(O_WRONLY\\) [0-9]+ as root of the owning user namespace \\(uid 65534 outside\\): EACCES'
	IPCNS_SYSCTL_DIR=$FAKE run -0 setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$P" child-write-hidden kernel.msgmax
	assert_output --partial $'\tipc+user\tskip\tthis kernel lets only global root write IPC sysctls'
}
