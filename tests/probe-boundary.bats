#!/usr/bin/env bats
# Contract tests of the boundary probes (suites/ipcns.bats), a topic each:
# probe-sem-undo, probe-shm-handles, probe-sysv-ids, probe-nsfs-identity.
# Usage, the shape of their OBSERVE lines, that a measurement can come out
# either way, that a kernel without a feature gives skips naming it (on the
# fake kernel, tests/fake-kernel.c), and that a run leaves the host as it
# found it (host objects removed, no sysctl written, no mounts, no
# processes). Meson runs this as
#   IPCNS_PROBES=<build>/probes bats --tap tests/probe-boundary.bats

# At file level rather than in setup(): loading costs ~25 ms a test.
load helpers

PROBES_=(probe-sem-undo probe-shm-handles probe-sysv-ids probe-nsfs-identity)

# Each probe's cells, "MECH SCEN ENTRY" in the order it prints them.
declare -gA CELLS_=(
	[probe-sem-undo]="sem-undo at-unshare unshare;sem-undo at-setns setns;sem-undo control-unshare-uts unshare;clone-flags clone-newipc-sysvsem clone;clone-flags unshare-newipc-sysvsem unshare"
	[probe-shm-handles]="sysv-shm mapping-across-unshare unshare;sysv-shm old-id-after-unshare unshare;posix-mq fd-across-unshare unshare;posix-mq unlink-after-unshare unshare;sysv-shm rmid-forced-at-unshare unshare;sysv-shm rmid-forced-orphans unshare"
	[probe-sysv-ids]="sysv-msg foreign-id clone;sysv-sem foreign-id clone;sysv-shm foreign-id clone;sysv-msg id-restart clone;sysv-sem id-restart clone;sysv-shm id-restart clone;sysv-msg proc-sysvipc clone;sysv-sem proc-sysvipc clone;sysv-shm proc-sysvipc clone"
	[probe-nsfs-identity]="ipc-ns inode-after-unshare unshare;ipc-ns inode-after-setns setns;ipc-ns ns-get-nstype -;ipc-ns ns-get-id -;ipc-ns ns-get-userns -"
)

setup_file() {
	export IPCNS_PROBES=${IPCNS_PROBES:-$BATS_TEST_DIRNAME/../build/probes}
	unset IPCNS_TIMEOUT
}

setup() {
	local p
	for p in "${PROBES_[@]}"; do
		[[ -x $IPCNS_PROBES/$p ]] || fail "no $p in IPCNS_PROBES=$IPCNS_PROBES (build first)"
	done
	FAKE=${FAKE_KERNEL:-$IPCNS_PROBES/../tests/fake-kernel}
}

# ---- helpers ---------------------------------------------------------------

# What a run could leave on the host: the private SysV objects it makes
# there (key 0: others' named keys come and go with tests running beside
# this one), queues or files under its name, mounts, the sysctl it writes
# in its own namespace, and its processes (comm is cut at 15 characters).
host_state() {
	awk 'FNR > 1 && $1 == 0 { print FILENAME, $2 }' /proc/sysvipc/msg /proc/sysvipc/sem \
		/proc/sysvipc/shm
	ls -A /dev/shm /dev/mqueue 2>/dev/null | grep ipcns-boundary
	grep -c . /proc/self/mountinfo
	cat /proc/sys/kernel/shm_rmid_forced
	pgrep -c -x 'probe-(sem-undo|shm-handl|sysv-ids|nsfs-iden)' || true
}

# assert_cells PROBE: $output is well-formed OBSERVE lines, PROBE's cells in
# order, each with an observation a plain word or number (or, with
# OBSERVED_RE, one matching it). OBSERVED then holds "scenario=observed"
# lines. NS: the namespaces expected (root makes plain IPC namespaces). One
# awk: Bats traces every bash command.
assert_cells() {
	local problems ns=${NS:-ipc}
	(( EUID == 0 )) || ns=${NS:-ipc+user}
	problems=$(awk -F'\t' -v want="${CELLS_[$1]}" -v ns="$ns" -v re="${OBSERVED_RE:-^[a-z0-9_]+$}" '
		BEGIN { n = split(want, w, ";") }
		{
			i++
			if (NF != 7 || $1 != "OBSERVE" || $7 == "") print "not 7 fields: " $0
			if ($2 " " $3 " " $4 != w[i]) print "line " i " is " $2 " " $3 " " $4 ", wanted " w[i]
			if ($5 != ns && !($3 == "ns-get-userns" && $5 == "ipc+user")) print $3 ": namespaces " $5
			if ($6 !~ re) print $3 ": observed \"" $6 "\": " $7
		}
		END { if (i != n) print i " lines, wanted " n }' <<<"$output")
	[[ -z $problems ]] || fail "$problems"$'\n'"output: $output"
	OBSERVED=$(cut -f3,6 --output-delimiter== <<<"$output")
}

# ---- help and usage errors -------------------------------------------------

@test "boundary probes: usage on stdout for -h, --help; on stderr, exit 2, for bad arguments" {
	local p
	for p in "${PROBES_[@]}"; do
		run -0 --separate-stderr "$IPCNS_PROBES/$p" -h
		[[ $output == "usage: $p [-t SECONDS]"* && -z $stderr ]] || fail "$p -h: $output$stderr"
		run -0 --separate-stderr "$IPCNS_PROBES/$p" --help
		[[ $output == "usage: $p [-t SECONDS]"* && -z $stderr ]] || fail "$p --help: $output$stderr"
		expect_usage "$IPCNS_PROBES/$p" ids
		expect_usage "$IPCNS_PROBES/$p" -t 5 extra
		expect_usage "$IPCNS_PROBES/$p" -t
		expect_usage "$IPCNS_PROBES/$p" -t 0
		expect_usage "$IPCNS_PROBES/$p" -t 3601
		expect_usage "$IPCNS_PROBES/$p" -t 1e3
		expect_usage "$IPCNS_PROBES/$p" --bogus
		IPCNS_TIMEOUT=soon expect_usage "$IPCNS_PROBES/$p"
	done
}

# ---- the cells -------------------------------------------------------------

@test "probe-sem-undo: five cells; the control keeps the undo that unshare applies" {
	run -0 --separate-stderr "$IPCNS_PROBES/probe-sem-undo" -t 5
	assert_cells probe-sem-undo
	# The same probe sees both outcomes: "applied" is not all it can say.
	[[ $OBSERVED == *"control-unshare-uts=kept"* ]] || fail "the control was not kept: $output"
	[[ $OBSERVED == *"at-unshare=applied"* ]] || fail "at-unshare: $output"
}

@test "probe-shm-handles: six cells, with their controls" {
	run -0 --separate-stderr "$IPCNS_PROBES/probe-shm-handles"
	assert_cells probe-shm-handles
	# with shm_rmid_forced=0 the segment must be kept: the other way
	[[ $output == *"kept with 0 (the control)"* ]] ||
		[[ $OBSERVED == *"rmid-forced-at-unshare=skip"* ]] || fail "$output"
}

@test "probe-sysv-ids: nine cells, from a new namespace's first object 0" {
	run -0 --separate-stderr "$IPCNS_PROBES/probe-sysv-ids"
	assert_cells probe-sysv-ids
	[[ $(grep -c $'\tid-restart\tclone\t[a-z+]*\t[0-9][0-9]*\t' <<<"$output") == 3 ]] ||
		fail "id-restart did not observe numbers: $output"
}

@test "probe-nsfs-identity: five cells; a new inode after unshare, the target's after setns" {
	run -0 --separate-stderr "$IPCNS_PROBES/probe-nsfs-identity"
	assert_cells probe-nsfs-identity
	assert_line --partial $'\tns-get-userns\t-\tipc+user\t'
	[[ $OBSERVED == *"inode-after-unshare=differs"* && $OBSERVED == *"inode-after-setns=matches"* ]] ||
		fail "$output"
}

# ---- kernels without a feature (tests/fake-kernel.c) -----------------------

@test "boundary probes: without a sandbox every cell is recorded, with the reason" {
	local p
	(( EUID == 0 )) || skip "the fake kernel's refusals are seen as root"
	[[ -x $FAKE ]] || skip "fake-kernel is not built"
	for p in "${PROBES_[@]}"; do
		# refused: a skip that says what refused it
		run -0 --separate-stderr "$FAKE" --no-ipcns -- "$IPCNS_PROBES/$p"
		OBSERVED_RE='^skip$' assert_cells "$p"
		[[ $(grep -c "cannot make the probe's IPC namespace here: .*EINVAL" <<<"$output") == \
			"$(grep -c . <<<"$output")" ]] || fail "$p: $output"
		# a namespace that is not new: no valid observation, and why
		[[ $p == probe-sysv-ids ]] && continue # made by clone, which that kernel refuses
		run -0 --separate-stderr "$FAKE" --fake-unshare -- "$IPCNS_PROBES/$p"
		OBSERVED_RE='^$' assert_cells "$p"
		[[ $(grep -c 'the ipc namespace is not new' <<<"$output") == \
			"$(grep -c . <<<"$output")" ]] || fail "$p: $output"
	done
}

@test "probe-shm-handles: without POSIX queues, their cells skip naming the option; shm is measured" {
	[[ -x $FAKE ]] || skip "fake-kernel is not built"
	run -0 --separate-stderr "$FAKE" --no-mqueue -- "$IPCNS_PROBES/probe-shm-handles"
	OBSERVED_RE='^[a-z]+$' assert_cells probe-shm-handles
	assert_line --regexp $'\tfd-across-unshare\t.*\tskip\tmq_open: ENOSYS: .*CONFIG_POSIX_MQUEUE is off'
	assert_line --regexp $'\tunlink-after-unshare\t.*\tskip\t.*CONFIG_POSIX_MQUEUE is off'
	[[ $OBSERVED == *"mapping-across-unshare=crosses"* ]] || fail "$output"
}

@test "boundary probes: without SysV IPC, its cells skip naming CONFIG_SYSVIPC; the rest is measured" {
	[[ -x $FAKE ]] || skip "fake-kernel is not built"
	run -0 --separate-stderr "$FAKE" --no-sysvipc -- "$IPCNS_PROBES/probe-sysv-ids"
	OBSERVED_RE='^skip$' assert_cells probe-sysv-ids
	[[ $(grep -c $'\tskip\t[a-z]*get: ENOSYS: .*(CONFIG_SYSVIPC is off)$' <<<"$output") == 9 ]] ||
		fail "$output"
	run -0 --separate-stderr "$FAKE" --no-sysvipc -- "$IPCNS_PROBES/probe-sem-undo"
	assert_cells probe-sem-undo
	[[ $(grep -c $'^OBSERVE\tsem-undo\t.*\tskip\tsemget: ENOSYS: .*CONFIG_SYSVIPC is off' <<<"$output") == 3 ]] ||
		fail "$output"
	[[ $OBSERVED == *"clone-newipc-sysvsem=einval"* ]] || fail "$output"
	run -0 --separate-stderr "$FAKE" --no-sysvipc -- "$IPCNS_PROBES/probe-shm-handles"
	assert_cells probe-shm-handles
	[[ $(grep -c $'^OBSERVE\tsysv-shm\t.*\tskip\tshmget: ENOSYS: .*CONFIG_SYSVIPC is off' <<<"$output") == 4 ]] ||
		fail "$output"
	[[ $OBSERVED == *"fd-across-unshare=crosses"* ]] || fail "$output"
}

@test "probe-nsfs-identity: without user namespaces, ns-get-userns alone skips, saying why" {
	(( EUID == 0 )) || skip "root makes the sandbox without a user namespace"
	[[ -x $FAKE ]] || skip "fake-kernel is not built"
	run -0 --separate-stderr "$FAKE" --no-userns -- "$IPCNS_PROBES/probe-nsfs-identity"
	assert_cells probe-nsfs-identity
	assert_line --regexp $'\tns-get-userns\t-\tipc\\+user\tskip\t.*CAP_SYS_ADMIN'
	[[ $(grep -c $'\tskip\t' <<<"$output") == 1 ]] || fail "$output"
}

# ---- leaving the host as it was --------------------------------------------

@test "boundary probes: each leaves the host as it found it; the host ids it used are gone" {
	local before ids id p
	before=$(host_state)
	for p in "${PROBES_[@]}"; do
		run -0 "$IPCNS_PROBES/$p"
		[[ $p == probe-sysv-ids ]] && ids=$(grep -o 'host ids ([0-9 ]*)' <<<"$output" | tr -dc '0-9 \n')
	done
	[[ $(host_state) == "$before" ]] || fail "host state changed:"$'\n'"$before"$'\n---\n'"$(host_state)"
	[[ $(wc -w <<<"$ids") == 9 ]] || fail "ids: the host ids were not reported: $output"
	for id in $ids; do
		! awk -v id="$id" 'FNR > 1 && $2 == id { found = 1 } END { exit !found }' \
			/proc/sysvipc/msg /proc/sysvipc/sem /proc/sysvipc/shm ||
			fail "host id $id is still there"
	done
}

@test "boundary probes: as an ordinary user, IPC namespaces owned by a user namespace" {
	local p
	(( EUID == 0 )) || skip "runs as uid 65534 from root"
	command -v setpriv >/dev/null || skip "setpriv is not installed"
	for p in "${PROBES_[@]}"; do
		nobody_path "$IPCNS_PROBES/$p" || skip "uid 65534 cannot run $IPCNS_PROBES/$p, nor a copy"
		run -0 --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups "$NOBODY_PATH"
		nobody_copy_remove
		NS=ipc+user assert_cells "$p"
	done
}
