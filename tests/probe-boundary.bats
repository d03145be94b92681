#!/usr/bin/env bats
# Contract tests of probe-boundary: usage, the shape of its OBSERVE lines,
# that a measurement can come out either way, and that a run leaves the host
# as it found it (its host objects removed, no sysctl written, no mounts, no
# processes). Meson runs this as
#   IPCNS_PROBES=<build>/probes bats --tap tests/probe-boundary.bats


# At file level rather than in setup(): loading costs ~25 ms a test.
load helpers

GROUPS_=(sem-undo handles ids identity)

setup_file() {
	export IPCNS_PROBES=${IPCNS_PROBES:-$BATS_TEST_DIRNAME/../build/probes}
	unset IPCNS_TIMEOUT
}

setup() {
	P=$IPCNS_PROBES/probe-boundary
	[[ -x $P ]] || fail "no probe-boundary in IPCNS_PROBES=$IPCNS_PROBES (build first)"
}

# ---- helpers ---------------------------------------------------------------

# bats-assert 2.1 has no assert_stderr.


# What a run could leave on the host: the private SysV objects it makes
# there (key 0: others' named keys come and go with tests running beside
# this one), queues or files under its name, mounts, the sysctl it writes
# in its own namespace, and its processes.
host_state() {
	awk 'FNR > 1 && $1 == 0 { print FILENAME, $2 }' /proc/sysvipc/msg /proc/sysvipc/sem \
		/proc/sysvipc/shm
	ls -A /dev/shm /dev/mqueue 2>/dev/null | grep ipcns-boundary
	grep -c . /proc/self/mountinfo
	cat /proc/sys/kernel/shm_rmid_forced
	pgrep -c -x probe-boundary || true
}

# Checks that $output is well-formed OBSERVE lines: the cells "MECH SCEN
# ENTRY" given, in order, each with an observation a plain word or number.
# OBSERVED then holds "scenario=observed" lines. NS: the namespaces expected
# (root makes plain IPC namespaces). One awk: Bats traces every bash command.
assert_cells() {
	local problems ns=${NS:-ipc}
	(( EUID == 0 )) || ns=${NS:-ipc+user}
	problems=$(awk -F'\t' -v want="$*" -v ns="$ns" '
		BEGIN { n = split(want, w, ";") }
		{
			i++
			if (NF != 7 || $1 != "OBSERVE" || $7 == "") print "not 7 fields: " $0
			if ($2 " " $3 " " $4 != w[i]) print "line " i " is " $2 " " $3 " " $4 ", wanted " w[i]
			if ($5 != ns && !($3 == "ns-get-userns" && $5 == "ipc+user")) print $3 ": namespaces " $5
			if ($6 !~ /^[a-z0-9_]+$/) print $3 ": observed \"" $6 "\": " $7
		}
		END { if (i != n) print i " lines, wanted " n }' <<<"$output")
	[[ -z $problems ]] || fail "$problems"$'\n'"output: $output"
	OBSERVED=$(cut -f3,6 --output-delimiter== <<<"$output")
}

# ---- help and usage errors -------------------------------------------------

@test "probe-boundary: -h and --help print usage on stdout and exit 0" {
	local opt
	for opt in -h --help; do
		run -0 --separate-stderr "$P" "$opt"
		assert_output --partial "usage: probe-boundary"
		[[ -z $stderr ]] || fail "$opt wrote to stderr: $stderr"
	done
}

@test "probe-boundary: a missing or unknown group, extra arguments or a bad -t are usage errors" {
	expect_usage "$P"
	expect_usage "$P" nosuch
	expect_usage "$P" ids extra
	expect_usage "$P" -t
	expect_usage "$P" -t 0 ids
	expect_usage "$P" -t 3601 ids
	expect_usage "$P" -t 1e3 ids
	expect_usage "$P" --bogus ids
	IPCNS_TIMEOUT=soon expect_usage "$P" ids
}

# ---- the cells -------------------------------------------------------------

@test "probe-boundary sem-undo: five cells; the control keeps the undo that unshare applies" {
	run -0 --separate-stderr "$P" -t 5 sem-undo
	assert_cells "sem-undo at-unshare unshare;sem-undo at-setns setns;sem-undo control-unshare-uts unshare;clone-flags clone-newipc-sysvsem clone;clone-flags unshare-newipc-sysvsem unshare"
	# The same probe sees both outcomes: "applied" is not all it can say.
	[[ $OBSERVED == *"control-unshare-uts=kept"* ]] || fail "the control was not kept: $output"
	[[ $OBSERVED == *"at-unshare=applied"* ]] || fail "at-unshare: $output"
}

@test "probe-boundary handles: six cells, with their controls" {
	run -0 --separate-stderr "$P" handles
	assert_cells "sysv-shm mapping-across-unshare unshare;sysv-shm old-id-after-unshare unshare;posix-mq fd-across-unshare unshare;posix-mq unlink-after-unshare unshare;sysv-shm rmid-forced-at-unshare unshare;sysv-shm rmid-forced-orphans unshare"
	# with shm_rmid_forced=0 the segment must be kept: the other way
	[[ $output == *"kept with 0 (the control)"* ]] ||
		[[ $OBSERVED == *"rmid-forced-at-unshare=skip"* ]] || fail "$output"
}

@test "probe-boundary ids: nine cells, from a new namespace's first object 0" {
	run -0 --separate-stderr "$P" ids
	assert_cells "sysv-msg foreign-id clone;sysv-sem foreign-id clone;sysv-shm foreign-id clone;sysv-msg id-restart clone;sysv-sem id-restart clone;sysv-shm id-restart clone;sysv-msg proc-sysvipc clone;sysv-sem proc-sysvipc clone;sysv-shm proc-sysvipc clone"
	[[ $(grep -c $'\tid-restart\tclone\t[a-z+]*\t[0-9][0-9]*\t' <<<"$output") == 3 ]] ||
		fail "id-restart did not observe numbers: $output"
}

@test "probe-boundary identity: five cells; ns-get-userns always in a user namespace" {
	run -0 --separate-stderr "$P" identity
	assert_cells "ipc-ns inode-after-unshare unshare;ipc-ns inode-after-setns setns;ipc-ns ns-get-nstype -;ipc-ns ns-get-id -;ipc-ns ns-get-userns -"
	assert_line --partial $'\tns-get-userns\t-\tipc+user\t'
}

# ---- leaving the host as it was --------------------------------------------

@test "probe-boundary: every group leaves the host as it found it; the host ids it used are gone" {
	local before ids id k
	before=$(host_state)
	for k in "${GROUPS_[@]}"; do
		run -0 "$P" "$k"
		[[ $k == ids ]] && ids=$(grep -o 'host ids ([0-9 ]*)' <<<"$output" | tr -dc '0-9 \n')
	done
	[[ $(host_state) == "$before" ]] || fail "host state changed:"$'\n'"$before"$'\n---\n'"$(host_state)"
	[[ $(wc -w <<<"$ids") == 9 ]] || fail "ids: the host ids were not reported: $output"
	for id in $ids; do
		! awk -v id="$id" 'FNR > 1 && $2 == id { found = 1 } END { exit !found }' \
			/proc/sysvipc/msg /proc/sysvipc/sem /proc/sysvipc/shm ||
			fail "host id $id is still there"
	done
}

@test "probe-boundary: as an ordinary user, IPC namespaces owned by a user namespace" {
	(( EUID == 0 )) || skip "runs as uid 65534 from root"
	command -v setpriv >/dev/null || skip "setpriv is not installed"
	setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$P" ||
		skip "uid 65534 cannot run $P"
	run -0 --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups "$P" sem-undo
	NS=ipc+user assert_cells "sem-undo at-unshare unshare;sem-undo at-setns setns;sem-undo control-unshare-uts unshare;clone-flags clone-newipc-sysvsem clone;clone-flags unshare-newipc-sysvsem unshare"
}
