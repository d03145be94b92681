#!/usr/bin/env bats
# Contract tests of probe-lifetime, probe-mqueue-fs and suites/tools-view.sh:
# usage, the shape of their OBSERVE lines, that a measurement can come out
# either way, honest skips, and that a run leaves the host as it found it (no
# SysV object of its own, no mount, no file under TMPDIR, no process). Meson runs this as
#   IPCNS_PROBES=<build>/probes bats --tap tests/probe-lifetime.bats
#
# Other tests may make and remove host objects meanwhile, so the host's state
# is compared only where it could be this run's: the keys and ids it names.

# At file level rather than in setup(): loading costs ~25 ms a test.
load helpers
load cells

setup_file() {
	cells_setup_file
}

setup() {
	cells_setup probe-lifetime probe-mqueue-fs
	P=$IPCNS_PROBES/probe-lifetime M=$IPCNS_PROBES/probe-mqueue-fs
}

TOOLS=$BATS_TEST_DIRNAME/../suites/tools-view.sh

LIFETIME_WORDS="survives gone destroyed kept"
MQUEUE_WORDS="old-ns new-ns visible invisible allowed denied skip"

lifetime_cells() {
	local ns=$1
	echo "sysv-shm held-by-nsfs-fd setns $ns; posix-mq held-by-nsfs-fd setns $ns;
		sysv-shm destroyed-with-last-holder setns $ns"
}

mqueue_cells() {
	local ns=$1
	echo "mqueue-fs mount-before-unshare unshare $ns; mqueue-fs fresh-mount unshare $ns;
		mqueue-fs create-through-fs - $ns; mqueue-fs mount-in-userns unshare ipc+user+mnt;
		mqueue-fs mount-in-userns-host-ipc unshare user+mnt"
}

# ---- usage -----------------------------------------------------------------

@test "probe-lifetime, probe-mqueue-fs: -h and --help print usage on stdout and exit 0" {
	assert_help "$P" "$M"
}

@test "probe-lifetime, probe-mqueue-fs: bad arguments exit 2 with usage on stderr" {
	local p
	for p in "$P" "$M"; do
		expect_usage "$p" nonsense
		expect_usage "$p" lifetime
		expect_usage "$p" -t 0
		expect_usage "$p" -t x
		expect_usage "$p" -t 5 extra
		expect_usage "$p" -t
		IPCNS_TIMEOUT=never expect_usage "$p"
	done
}

# ---- the measurements ------------------------------------------------------

@test "probe-lifetime: three cells; the objects were in a namespace, never on the host" {
	local before pidfile=$BATS_TEST_TMPDIR/pid key
	before=$(host_state)
	# its pid names its objects: their keys must not be on the host after
	marked bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$pidfile" "$P"
	assert_success
	assert_cells "$(lifetime_cells "$(ns ipc ipc+user)")" "$LIFETIME_WORDS"
	[[ $(observed held-by-nsfs-fd sysv-shm) == survives ]] || fail "$output"
	[[ $(host_state) == "$before" ]] || fail "left behind: $(diff <(echo "$before") <(host_state))"
	for key in "ipcns-lifetime-$(<"$pidfile")-small" "ipcns-lifetime-$(<"$pidfile")-big"; do
		key=$(signed_key "$key")
		! awk -v k="$key" 'FNR > 1 && $1 == k { found = 1 } END { exit !found }' \
			/proc/sysvipc/shm || fail "key $key is on the host"
	done
	[[ ! -e /dev/mqueue/ipcns-lifetime-$(<"$pidfile") ]]
}

@test "probe-lifetime as an ordinary user: the same cells, in IPC namespaces owned by a user namespace" {
	as_nobody "$P"
	assert_success
	assert_cells "$(lifetime_cells ipc+user)" "$LIFETIME_WORDS"
}

@test "probe-mqueue-fs: five cells; mqueue mounts where the user namespace owns the IPC namespace, not elsewhere" {
	local before
	before=$(host_state)
	marked "$M"
	assert_success
	assert_cells "$(mqueue_cells "$(ns ipc+mnt ipc+user+mnt)")" "$MQUEUE_WORDS"
	[[ $(host_state) == "$before" ]] || fail "left behind: $(diff <(echo "$before") <(host_state))"
	# Either way: the same mount, by the same process, is allowed or denied
	# by who owns the IPC namespace.
	[[ $(observed mount-in-userns) == skip ]] && skip "no user namespaces here: $output"
	[[ $(observed mount-in-userns) == allowed ]] || fail "$output"
	[[ $(observed mount-in-userns-host-ipc) == denied ]] || fail "$output"
	# and the first mount shows the old namespace, the second the new one
	[[ $(observed mount-before-unshare) != "$(observed fresh-mount)" ]] || fail "$output"
}

@test "probe-mqueue-fs as an ordinary user: the same cells" {
	as_nobody "$M"
	assert_success
	assert_cells "$(mqueue_cells ipc+user+mnt)" "$MQUEUE_WORDS"
	[[ $(observed mount-in-userns) == allowed ]] || fail "$output"
}

# ---- a kernel without a feature (tests/fake-kernel) ------------------------

@test "without POSIX queues: the queue cells skip naming CONFIG_POSIX_MQUEUE, the rest measured" {
	[[ -x $FAKE_KERNEL ]] || skip "fake-kernel is not built"
	marked "$FAKE_KERNEL" --no-mqueue -- "$P"
	assert_success
	assert_cells "$(lifetime_cells "$(ns ipc ipc+user)")" "$LIFETIME_WORDS skip"
	[[ $(observed held-by-nsfs-fd posix-mq) == skip ]] || fail "$output"
	assert_output --partial "CONFIG_POSIX_MQUEUE is off"
	[[ $(observed held-by-nsfs-fd sysv-shm) == survives ]] || fail "$output"
	marked "$FAKE_KERNEL" --no-mqueue -- "$M"
	assert_success
	[[ $(observed mount-before-unshare) == skip ]] || fail "$output"
	[[ $(grep -c 'CONFIG_POSIX_MQUEUE is off' <<<"$output") == 3 ]] || fail "$output"
	# mounting is not mq_open: the fake kernel still mounts mqueue
	[[ $(observed mount-in-userns) == allowed ]] || fail "$output"
}

@test "without IPC namespaces: every cell a skip naming CONFIG_IPC_NS or a refusal, never a pass" {
	[[ -x $FAKE_KERNEL ]] || skip "fake-kernel is not built"
	marked "$FAKE_KERNEL" --no-ipcns -- "$P"
	assert_success
	[[ $(grep -c $'\tskip\t' <<<"$output") == 3 ]] || fail "$output"
	marked "$FAKE_KERNEL" --no-ipcns -- "$M"
	assert_success
	assert_cells "$(mqueue_cells "$(ns ipc+mnt ipc+user+mnt)")" "$MQUEUE_WORDS"
	[[ $(observed mount-in-userns) == skip ]] || fail "$output"
	[[ $(observed mount-before-unshare) == skip ]] || fail "$output"
	# no IPC namespace is asked for: measured
	[[ $(observed mount-in-userns-host-ipc) == denied ]] || fail "$output"
}

# ---- suites/tools-view.sh ----------------------------------------------------

@test "tools-view.sh: -h prints usage and exits 0; an argument is a usage error" {
	run -0 "$TOOLS" --help
	assert_output --partial "usage: tools-view.sh"
	expect_usage "$TOOLS" extra
}

@test "tools-view.sh: all cells; shared on the host, isolated in a new namespace; the host's objects removed" {
	local before ns mech scen cells="" ids
	ns=$(ns ipc ipc+user)
	before=$(host_state)
	marked "$TOOLS"
	assert_success
	for mech in sysv-msg sysv-sem sysv-shm; do
		for scen in tool-ipcs-host tool-unshare-ipcs tool-lsipc-ns tool-nsenter tool-ipcrm; do
			cells+="$mech $scen util-linux $ns;"
		done
	done
	assert_cells "$cells ipc-ns tool-lsns util-linux $ns; sysv-shm held-by-bind-mount util-linux $ns+mnt" \
		"shared isolated listed missing removed kept survives gone skip"
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

@test "tools-view.sh: a missing tool is a skip that names it" {
	local bin=$BATS_TEST_TMPDIR/bin tool
	mkdir "$bin"
	for tool in bash sh env timeout awk grep stat mktemp rm id dirname cat umount \
		ipcmk ipcs ipcrm unshare nsenter lsns; do
		ln -s "$(command -v "$tool")" "$bin/$tool"
	done
	PATH=$bin marked "$TOOLS"
	assert_success
	[[ $(grep -c $'\ttool-lsipc-ns\t.*\tskip\tutil-linux lsipc is not installed$' <<<"$output") == 3 ]] ||
		fail "$output"
	[[ $(observed tool-ipcs-host sysv-msg) == shared ]] || fail "$output"
}

@test "tools-view.sh is shellcheck-clean" {
	command -v shellcheck >/dev/null || skip "shellcheck is not installed"
	run -0 shellcheck -x "$TOOLS"
}
