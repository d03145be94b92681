#!/usr/bin/env bats
# Contract tests of probe-lifetime and suites/tools-view.sh: usage, the shape
# of their OBSERVE lines, that a measurement can come out either way, and that
# a run leaves the host as it found it (no SysV object of its own, no mount,
# no file under TMPDIR, no process). Meson runs this as
#   IPCNS_PROBES=<build>/probes bats --tap tests/probe-lifetime.bats
#
# Other tests may make and remove host objects meanwhile, so the host's state
# is compared only where it could be this run's: the keys and ids it names.


# At file level rather than in setup(): loading costs ~25 ms a test.
load helpers

TOOLS=$BATS_TEST_DIRNAME/../suites/tools-view.sh

setup_file() {
	export IPCNS_PROBES=${IPCNS_PROBES:-$BATS_TEST_DIRNAME/../build/probes}
	unset IPCNS_TIMEOUT
}

setup() {
	P=$IPCNS_PROBES/probe-lifetime
	[[ -x $P ]] || fail "no probe-lifetime in IPCNS_PROBES=$IPCNS_PROBES (build first)"
	# A TMPDIR of the test's own, and a mark in the environment of whatever
	# the run starts, so that its leftovers can be told from others'.
	export TMPDIR=$BATS_TEST_TMPDIR/tmp
	mkdir -p "$TMPDIR"
	MARK=IPCNS_LIFETIME_TEST=$$-$BATS_TEST_NUMBER
}

# ---- helpers ---------------------------------------------------------------



# marked CMD...: runs CMD (bounded) with the mark in its environment.
marked() {
	run --separate-stderr timeout 20 env "$MARK" "$@"
}

# What a run could leave behind, but not what others running beside it do:
# mounts in our mount namespace, files under our TMPDIR, live processes with
# our mark (a zombie's environ reads empty).
host_state() {
	grep -c . /proc/self/mountinfo
	ls -A "$TMPDIR"
	grep -lzxF "$MARK" /proc/[0-9]*/environ 2>/dev/null || true
}

# assert_cells "CELLS" "WORDS": $output is only well-formed OBSERVE lines, for
# exactly the CELLS ("MECH SCENARIO ENTRY NAMESPACES; ..."), each observed as
# one of the WORDS. One awk: Bats traces every bash command.
assert_cells() {
	local problems
	problems=$(awk -F'\t' -v want="$1" -v words=" $2 " '
		BEGIN { n = split(want, w, ";") }
		NF != 7 || $1 != "OBSERVE" { print "not an OBSERVE line of 7 fields: " $0; next }
		{ cell = $2 " " $3 " " $4 " " $5; seen[cell]++ }
		!(index(words, " " $6 " ")) { print "observed \"" $6 "\" for " cell ": " $7 }
		$7 == "" { print "no detail for " cell }
		END {
			for (i = 1; i <= n; i++) {
				gsub(/[ \t\n]+/, " ", w[i]); sub(/^ /, "", w[i]); sub(/ $/, "", w[i])
				if (seen[w[i]] != 1) print "cell \"" w[i] "\" seen " seen[w[i]] + 0 " times"
				want_[w[i]]
			}
			for (c in seen) if (!(c in want_)) print "unexpected cell " c
		}' <<<"$output")
	[[ -z $problems ]] || fail "$problems"$'\n'"output: $output"
}

# observed SCENARIO [MECH]: the observation of that cell in $output.
observed() {
	awk -F'\t' -v s="$1" -v m="${2:-}" '$3 == s && (m == "" || $2 == m) { print $6; exit }' <<<"$output"
}


ns() { (( EUID == 0 )) && echo "$1" || echo "$2"; }

# ---- usage -----------------------------------------------------------------

@test "probe-lifetime: -h and --help print usage on stdout and exit 0" {
	run -0 "$P" -h
	assert_output --partial "usage: probe-lifetime"
	run -0 "$P" --help
	assert_output --partial "mqueue-fs"
}

@test "probe-lifetime: bad arguments exit 2 with usage on stderr" {
	expect_usage "$P"
	expect_usage "$P" nonsense
	expect_usage "$P" lifetime mqueue-fs
	expect_usage "$P" -t 0 lifetime
	expect_usage "$P" -t x lifetime
	expect_usage "$P" -t 5
	IPCNS_TIMEOUT=never expect_usage "$P" lifetime
}

@test "tools-view.sh: -h prints usage and exits 0; an argument is a usage error" {
	run -0 "$TOOLS" --help
	assert_output --partial "usage: tools-view.sh"
	expect_usage "$TOOLS" extra
}

# ---- the measurements ------------------------------------------------------

@test "lifetime: three cells; the objects were in a namespace, never on the host" {
	local before pidfile=$BATS_TEST_TMPDIR/pid ns key
	ns=$(ns ipc ipc+user)
	before=$(host_state)
	# its pid names its objects: their keys must not be on the host after
	marked bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$pidfile" "$P" lifetime
	assert_success
	assert_cells "sysv-shm held-by-nsfs-fd setns $ns; posix-mq held-by-nsfs-fd setns $ns;
		sysv-shm destroyed-with-last-holder setns $ns" "survives gone destroyed kept"
	[[ $(host_state) == "$before" ]] || fail "left behind: $(diff <(echo "$before") <(host_state))"
	for key in "ipcns-lifetime-$(<"$pidfile")-small" "ipcns-lifetime-$(<"$pidfile")-big"; do
		key=$(signed_key "$key")
		! awk -v k="$key" 'FNR > 1 && $1 == k { found = 1 } END { exit !found }' \
			/proc/sysvipc/shm || fail "key $key is on the host"
	done
	[[ ! -e /dev/mqueue/ipcns-lifetime-$(<"$pidfile") ]]
}

@test "mqueue-fs: five cells; mqueue mounts where the user namespace owns the IPC namespace, not elsewhere" {
	local before ns
	ns=$(ns ipc+mnt ipc+user+mnt)
	before=$(host_state)
	marked "$P" mqueue-fs
	assert_success
	assert_cells "mqueue-fs mount-before-unshare unshare $ns; mqueue-fs fresh-mount unshare $ns;
		mqueue-fs create-through-fs - $ns; mqueue-fs mount-in-userns unshare ipc+user+mnt;
		mqueue-fs mount-in-userns-host-ipc unshare user+mnt" \
		"old-ns new-ns visible invisible allowed denied skip"
	[[ $(host_state) == "$before" ]] || fail "left behind: $(diff <(echo "$before") <(host_state))"
	# Either way: the same mount, by the same process, is allowed or denied
	# by who owns the IPC namespace.
	[[ $(observed mount-in-userns) == skip ]] && skip "no user namespaces here: $output"
	[[ $(observed mount-in-userns) == allowed ]] || fail "$output"
	[[ $(observed mount-in-userns-host-ipc) == denied ]] || fail "$output"
	# and the first mount shows the old namespace, the second the new one
	[[ $(observed mount-before-unshare) != "$(observed fresh-mount)" ]] || fail "$output"
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
