# shellcheck shell=bash
# shellcheck disable=SC2154 # output: set by Bats' run
# What the contract tests of the probes that print OBSERVE lines share
# (probe-lifetime, probe-mqueue-fs, probe-limits, probe-util-linux): a run
# under a mark, the host's state such a run could change, and the shape of
# the cells. Loaded after helpers.

# cells_setup_file: the built probes (IPCNS_PROBES, else build/ of the
# source tree), and no bound inherited from the caller. From setup_file.
cells_setup_file() {
	export IPCNS_PROBES=${IPCNS_PROBES:-$BATS_TEST_DIRNAME/../build/probes}
	unset IPCNS_TIMEOUT
}

# cells_setup PROBE...: fails unless each is built; then a TMPDIR of the
# test's own, and a mark in the environment of whatever the run starts, so
# that its leftovers can be told from others'; FAKE_KERNEL where it is built.
# From setup.
cells_setup() {
	local p
	for p; do
		[[ -x $IPCNS_PROBES/$p ]] || fail "no $p in IPCNS_PROBES=$IPCNS_PROBES (build first)"
	done
	export TMPDIR=$BATS_TEST_TMPDIR/tmp
	mkdir -p "$TMPDIR"
	MARK=IPCNS_CELLS_TEST=$$-$BATS_TEST_NUMBER
	: "${FAKE_KERNEL:=${IPCNS_PROBES%/probes}/tests/fake-kernel}"
}

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
				if (w[i] == "") continue
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

# ns ROOT ROOTLESS: the namespaces a cell names, as root or not.
ns() { (( EUID == 0 )) && echo "$1" || echo "$2"; }

# as_nobody CMD...: CMD as uid 65534 (from root), bounded, with the mark,
# and a TMPDIR that uid may write (Bats' own is root's alone); skips where
# that cannot be.
as_nobody() {
	local tmp
	(( EUID == 0 )) || skip "runs as uid 65534 from root"
	command -v setpriv >/dev/null || skip "setpriv is not installed"
	nobody_path "$1" || skip "uid 65534 cannot run $1, nor a copy of it"
	if ! tmp=$(mktemp -d /tmp/ipcns-nobody.XXXXXX) || ! chmod 1777 "$tmp"; then
		fail "no TMPDIR for uid 65534"
	fi
	# the probe's fellow probes from the same place (probe-util-linux runs ipcns)
	IPCNS_PROBES=${NOBODY_PATH%/*} TMPDIR=$tmp \
		marked setpriv --reuid=65534 --regid=65534 --clear-groups "$NOBODY_PATH" "${@:2}"
	rm -rf "$tmp"
}
