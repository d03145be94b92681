#!/usr/bin/env bats
# Contract tests of probe-util-linux (probes/probe-util-linux.sh, a link in
# the probes' directory): usage, the shape of its OBSERVE lines, that it
# finds suites/lib.sh through the link, that a missing tool is a skip naming
# it, and that a run leaves the host as it found it. Meson runs this as
#   IPCNS_PROBES=<build>/probes bats --tap tests/probe-util-linux.bats

load helpers
load cells

setup_file() {
	cells_setup_file
}

setup() {
	cells_setup probe-util-linux
	U=$IPCNS_PROBES/probe-util-linux
}

WORDS="shared isolated listed missing removed kept survives gone skip"

# The cells of a run in namespaces NS.
util_linux_cells() {
	local ns=$1 mech scen cells=""
	for mech in sysv-msg sysv-sem sysv-shm; do
		for scen in tool-ipcs-host tool-unshare-ipcs tool-lsipc-ns tool-nsenter tool-ipcrm; do
			cells+="$mech $scen util-linux $ns;"
		done
	done
	echo "$cells ipc-ns tool-lsns util-linux $ns; sysv-shm held-by-bind-mount util-linux $ns+mnt"
}

@test "probe-util-linux: -h prints usage and exits 0; arguments but -t SECONDS are usage errors" {
	assert_help "$U"
	expect_usage "$U" extra
	expect_usage "$U" -t
	expect_usage "$U" -t 0
	expect_usage "$U" -t 3601
	expect_usage "$U" -t 1e3
	expect_usage "$U" -t 5 extra
	IPCNS_TIMEOUT=never expect_usage "$U"
}

@test "probe-util-linux: all cells; shared on the host, isolated in a new namespace; the host's objects removed" {
	local before ids
	before=$(host_state)
	marked "$U" -t 10
	assert_success
	assert_cells "$(util_linux_cells "$(ns ipc ipc+user)")" "$WORDS"
	[[ $(host_state) == "$before" ]] || fail "left behind: $(diff <(echo "$before") <(host_state))"
	# The same objects, seen either way: by ipcs on the host, not inside.
	for mech in sysv-msg sysv-sem sysv-shm; do
		[[ $(observed tool-ipcs-host "$mech") == shared ]] || fail "$output"
		[[ $(observed tool-unshare-ipcs "$mech") == isolated ]] || fail "$output"
	done
	# The ids made on the host are gone from it.
	ids=$(awk -F'\t' '$3 == "tool-ipcs-host" { match($7, /id [0-9]+/); print substr($7, RSTART + 3, RLENGTH - 3) }' <<<"$output")
	[[ $(wc -w <<<"$ids") == 3 ]] || fail "no ids in: $output"
	! awk -v ids=" $(echo $ids) " 'FNR > 1 && index(ids, " " $2 " ") { print FILENAME, $2; found = 1 }
		END { exit !found }' /proc/sysvipc/msg /proc/sysvipc/sem /proc/sysvipc/shm ||
		fail "host objects left: $ids"
}

@test "probe-util-linux as an ordinary user: the same cells, through user namespaces" {
	as_nobody "$U"
	assert_success
	assert_cells "$(util_linux_cells ipc+user)" "$WORDS"
	[[ $(observed held-by-bind-mount) == survives ]] || fail "$output"
}

@test "probe-util-linux: a missing tool is a skip that names it" {
	local bin=$BATS_TEST_TMPDIR/bin tool
	mkdir "$bin"
	for tool in bash sh env timeout awk grep stat mktemp rm id dirname readlink cat umount \
		ipcmk ipcs ipcrm unshare nsenter lsns; do
		ln -s "$(command -v "$tool")" "$bin/$tool"
	done
	PATH=$bin marked "$U"
	assert_success
	[[ $(grep -c $'\ttool-lsipc-ns\t.*\tskip\tutil-linux lsipc is not installed$' <<<"$output") == 3 ]] ||
		fail "$output"
	[[ $(observed tool-ipcs-host sysv-msg) == shared ]] || fail "$output"
}

@test "probe-util-linux: run through a link from elsewhere, it finds suites/lib.sh and the probes beside the link" {
	local dir=$BATS_TEST_TMPDIR/elsewhere
	mkdir "$dir"
	ln -s "$(readlink -f "$U")" "$dir/probe-util-linux"
	ln -s "$IPCNS_PROBES/ipcns" "$dir/ipcns"
	ln -s "$IPCNS_PROBES/probe-sysv" "$dir/probe-sysv"
	env -u IPCNS_PROBES "$dir/probe-util-linux" --help >/dev/null || fail "no usage through a link"
	IPCNS_PROBES="" marked "$dir/probe-util-linux"
	assert_success
	[[ $(observed tool-nsenter sysv-msg) == shared ]] || fail "$output"
}
