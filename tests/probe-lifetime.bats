#!/usr/bin/env bats
# Contract tests of probe-lifetime and probe-mqueue-fs: usage, the shape of
# their OBSERVE lines, that a measurement can come out either way, honest
# skips, and that a run leaves the host as it found it (no SysV object of its
# own, no mount, no file under TMPDIR, no process). Meson runs this as
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
