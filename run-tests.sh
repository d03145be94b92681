#!/usr/bin/env bash
# Measures, on the running kernel, which IPC mechanisms a new IPC namespace
# isolates. Writes RESULTS.md, results.json, junit.xml and results.ktap (with
# tools/record.py), and exits non-zero when the kernel deviates from
# its fixtures (fixtures/PROBE.tsv) or the run leaks.
set -u

src=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
# Installed (meson install), the probes are elsewhere and already built.
installed_probes=""
[ -f "$src/probes-dir" ] && [ ! -f "$src/meson.build" ] && installed_probes=$(cat "$src/probes-dir")

# Started from inside another Bats run (a CI's, or our own tests), the suite
# must not inherit that run's state, nor its PATH entry for Bats' internals
# (whose "bats" wants functions that a /bin/sh in between drops); only the
# library path is the user's.
for v in "${!BATS_@}"; do
	[ "$v" = BATS_LIB_PATH ] || unset "$v"
done
PATH=$(printf '%s\n' "${PATH//:/$'\n'}" | grep -v '/libexec/bats-core$' | paste -s -d :)
# Where bats_load_library finds bats-support and bats-assert: the user's
# BATS_LIB_PATH, Bats' default /usr/lib/bats, and /usr/lib, where Arch's
# packages put them (tools/deps.sh have_bats_lib looks in the same places).
for d in /usr/lib/bats /usr/lib; do
	[[ :${BATS_LIB_PATH:-}: == *":$d:"* ]] || BATS_LIB_PATH=${BATS_LIB_PATH:+$BATS_LIB_PATH:}$d
done
export BATS_LIB_PATH

usage() {
	cat <<'EOF'
usage: ./run-tests.sh [--output DIR] [--build DIR] [--filter REGEX] [--config FILE|none] [--no-install]
       ./run-tests.sh --self-test [--build DIR] [--no-install]
       ./run-tests.sh --kernel BZIMAGE [--config FILE|none] [--modules DIR] [--output DIR] [--filter REGEX] [--timeout S]
       ./run-tests.sh --compare RESULTS.json... [--output FILE]
       ./run-tests.sh --against PID | --container NAME|ID [--peer PID|NAME] [--expect isolated|FILE] [--output DIR]
Measures which IPC mechanisms a new IPC namespace isolates on this kernel and
records it. Installs missing packages when run as root (--no-install: only
say what is missing).
  --output DIR   where RESULTS.md, results.json, junit.xml, results.ktap and
                 cells.jsonl (the judge's raw record) go
                 (default: results/ in the source tree, and RESULTS.md at its top)
  --build DIR    Meson build directory (default: build/ in the source tree, or
                 $TMPDIR/ipcns-build-UID-HASH when the tree is read-only)
  --filter REGEX run only the tests whose names match
  --config FILE  the running kernel's config (plain or gzipped), to confirm
                 skips that blame a missing option and for the record
                 (default: /proc/config.gz, else /boot/config-RELEASE;
                 "none": do not look)
  --self-test    run the project's own tests (meson test) instead
  --build-only   install what is missing, build, print the build directory
  --raw          write only the raw record (cells.jsonl and meta) to --output,
                 for another machine to render (the --kernel guest does, on
                 the host's root: it checks no dependencies)
  --kernel       boot that kernel in QEMU and run the suite there (tools/vm-run.sh)
  --compare      merge results.json files of several runs into one table
                 (tools/record.py compare)
  --against PID  audit a running process (a container's): measure, in both
                 directions, which IPC channels it and this side reach of each
                 other's (suites/audit, probe-reach); the record goes to
                 --output (default results/audit-PID/), with a target block
  --container NAME|ID
                 the same for a podman or docker container, resolved by
                 whichever runtime knows it; its claims (inspect) are recorded
                 beside the measurement
  --peer PID|NAME
                 this side is that process or container instead of the host
                 (container against container: --ipc=container:X, pods)
  --expect isolated|FILE
                 judge the audit against a policy: "isolated" (nothing may be
                 shared; fixtures/policy-isolated/) or a fixtures file in the
                 format of fixtures/probe-reach.tsv; without it the audit only
                 records (every valid observation passes)
Environment (for testing the suite itself): IPCNS_FIXTURES, a directory of
other expectations; IPCNS_PROBES, a directory of other probes; IPCNS_TIMEOUT,
the bound on every probe call (default 10 s).
exit (one vocabulary with the probes and the judge; README): 0 every cell as
      expected, 1 a cell deviated, 2 usage, 3 broken: a measurement broke, the
      run was interrupted, or it cannot run (missing tools, build failed),
      4 skip: nothing could be measured (every cell skipped, or no IPC
      namespace could be made), 7 the run leaked IPC objects onto the host,
      8 --kernel: the kernel did not boot, panicked, hung or sent no record
      An audit (--against, --container): 0 recorded (and, with --expect, as
      the policy wants), 1 the policy is violated, 2 usage (no such process
      or container, or one that shares every namespace with this side),
      3 the target vanished or was replaced, or a measurement broke, or the
      runtime is not installed, 4 nothing could be measured, 7 leak
EOF
}

say() { printf 'run-tests: %s\n' "$*" >&2; }

# Two other jobs have their own scripts: booting a kernel under test in a VM
# (which runs this script inside), and merging records of several runs.
for arg; do
	case $arg in
		--kernel) exec "$src/tools/vm-run.sh" "$@" ;;
		--compare) exec python3 "$src/tools/record.py" compare "$@" ;;
	esac
done
die() { say "$2"; exit "$1"; }

output="" build="" filter="" config="" self_test="" build_only="" install=1 raw=""
against="" container="" peer="" expect=""
while [ $# -gt 0 ]; do
	case $1 in
		--output | --build | --filter | --config | --against | --container | --peer | --expect)
			if [ $# -lt 2 ] || [ -z "$2" ]; then
				say "$1 needs a value"
				usage >&2
				exit 2
			fi
			case $1 in
				--output) output=$2 ;;
				--build) build=$2 ;;
				--filter) filter=$2 ;;
				--config) config=$2 ;;
				--against) against=$2 ;;
				--container) container=$2 ;;
				--peer) peer=$2 ;;
				--expect) expect=$2 ;;
			esac
			shift 2 ;;
		--self-test) self_test=1; shift ;;
		--build-only) build_only=1; shift ;;
		--no-install) install=""; shift ;;
		--raw) raw=1; shift ;;
		-h | --help) usage; exit 0 ;;
		*) say "unknown argument '$1'"; usage >&2; exit 2 ;;
	esac
done
if { [ -n "$self_test" ] || [ -n "$build_only" ]; } && { [ -n "$output" ] || [ -n "$filter" ] || [ -n "$config" ]; }; then
	say "--self-test and --build-only take only --build and --no-install"
	usage >&2
	exit 2
fi

audit=""
if [ -n "$against" ] || [ -n "$container" ]; then
	audit=1
	if [ -n "$against" ] && [ -n "$container" ]; then
		say "--against and --container name one target: give one of them"
		usage >&2
		exit 2
	fi
	if [ -n "$self_test" ] || [ -n "$build_only" ] || [ -n "$raw" ] || [ -n "$filter" ]; then
		say "an audit (--against, --container) takes only --peer, --expect, --output, --build, --config and --no-install"
		usage >&2
		exit 2
	fi
elif [ -n "$peer" ] || [ -n "$expect" ]; then
	say "--peer and --expect go with --against or --container"
	usage >&2
	exit 2
fi

writable() { [ -w "$1" ] && [ -d "$1" ]; }

# The kernel's config: FILE, or where distributions and the kernel keep it.
if [ -z "$config" ]; then
	for f in /proc/config.gz "/boot/config-$(uname -r)"; do
		[ -r "$f" ] && { config=$f; break; }
	done
elif [ "$config" = none ]; then
	config=""
elif [ ! -f "$config" ] || [ ! -r "$config" ]; then
	say "--config: no readable file '$config'"
	usage >&2
	exit 2
fi

# An audit's target and peer: processes of the host's pid namespace, each
# pinned by its start time, which probe-reach checks again once it holds a
# pidfd. Their facts go to the record as "target ROLE KEY VALUE..." lines.
target_meta="" target_pid="" target_start="" peer_pid="" peer_start=""
# proc_start PID: field 22 of /proc/PID/stat, counted after the comm in
# parentheses (which may hold spaces and parentheses of its own).
proc_start() {
	local stat
	read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
	# shellcheck disable=SC2086 # split into fields on purpose
	set -- ${stat##*) }
	[ -n "${20:-}" ] && echo "${20}"
}
ns_inode() { stat -L -c %i "/proc/$1/ns/$2" 2>/dev/null || echo -; }
meta_line() { local IFS=$'\t'; target_meta+="target"$'\t'"$*"$'\n'; }

# resolve ROLE OPTION WHO: WHO (a pid for --against, a container's name or
# id for --container, either for --peer) as R_PID and R_START, its facts
# added to target_meta. What names no process is usage (2).
usage_die() { say "$1"; usage >&2; exit 2; }
resolve() {
	local role=$1 opt=$2 who=$3 facts key from to runtime name id ipcmode netmode t same=0
	# --peer: digits alone are a pid; anything else, a container (whose id
	# may well start with a digit).
	[ "$opt" = --peer ] && [[ $who =~ ^[0-9]+$ ]] && opt=--peer-pid
	case $opt in
		--against | --peer-pid)
			opt=${opt%-pid}
			[[ $who =~ ^[1-9][0-9]{0,9}$ ]] || usage_die "$opt wants a pid, got '${who:0:64}'"
			R_PID=$who ;;
		*)
			[[ $who =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$ ]] || usage_die "$opt wants a container's name or id, got '${who:0:64}'"
			# tools/container.sh asks podman, then docker: exit 2 for a name
			# neither knows, 3 when neither can be asked.
			facts=$("$src/tools/container.sh" resolve "$who") || {
				t=$?
				[ "$t" = 2 ] && usage >&2
				exit "$t"
			}
			# "RUNTIME NAME ID PID IPCMODE NETWORKMODE", then "bind SOURCE
			# DESTINATION" lines: the runtime's own claims.
			IFS=$'\t' read -r runtime name id R_PID ipcmode netmode <<<"$facts"
			meta_line "$role" runtime "$runtime"
			meta_line "$role" name "$name"
			meta_line "$role" id "$id"
			meta_line "$role" IpcMode "$ipcmode"
			meta_line "$role" NetworkMode "$netmode"
			while IFS=$'\t' read -r key from to; do
				[ "$key" = bind ] && meta_line "$role" "bind $to" "$from"
			done <<<"$facts"
			[[ $R_PID =~ ^[1-9][0-9]*$ ]] || die 3 "$opt $who: the runtime gave no pid ('$R_PID'): is the container running?" ;;
	esac
	R_START=$(proc_start "$R_PID") || usage_die "$opt $who: no process $R_PID (it does not exist or has exited)"
	for t in ipc mnt net user; do
		[ "$(ns_inode "$R_PID" "$t")" = "$(ns_inode $$ "$t")" ] && same=$((same + 1))
	done
	[ "$same" = 4 ] && usage_die "$opt $who: process $R_PID shares its ipc, mnt, net and user namespaces with this side: it is no container, and there is nothing to audit"
	meta_line "$role" pid "$R_PID"
	meta_line "$role" start "$R_START"
	meta_line "$role" comm "$(cat "/proc/$R_PID/comm" 2>/dev/null)"
	for t in ipc mnt net user pid uts cgroup; do
		meta_line "$role" ns "$t" "$(ns_inode $$ "$t")" "$(ns_inode "$R_PID" "$t")"
	done
}
if [ -n "$audit" ]; then
	resolve target "$([ -n "$container" ] && echo --container || echo --against)" "${container:-$against}"
	target_pid=$R_PID target_start=$R_START
	if [ -n "$peer" ]; then
		resolve peer --peer "$peer"
		peer_pid=$R_PID peer_start=$R_START
		[ "$peer_pid" = "$target_pid" ] && usage_die "--peer $peer: the peer is the target itself"
	fi
	case $expect in
		'') ;;
		isolated) ;;
		*) { [ -f "$expect" ] && [ -r "$expect" ]; } || usage_die "--expect: neither \"isolated\" nor a readable file: '${expect:0:200}'"
			grep -qv '^[[:space:]]*\(#\|$\)' "$expect" || usage_die "--expect: $expect holds no policy row" ;;
	esac
fi

# Dependencies, then the probes: built once per build directory, under a lock
# so that concurrent runs share one build.
if [ -n "$installed_probes" ]; then
	[ -z "$self_test" ] || die 2 "--self-test runs in the source tree, not in an install"
	[ -x "$installed_probes/ipcns" ] || die 3 "no probes in $installed_probes"
	command -v bats >/dev/null || die 3 "bats is not installed"
	command -v python3 >/dev/null || die 3 "python3 is not installed (it writes the record)"
elif [ -n "$raw" ] && [ -z "$self_test$build_only" ]; then
	: # the --kernel guest, on the host's root, whose tools vm-run.sh has just checked
else
	deps=("$([ -n "$self_test" ] && echo test || echo run)")
	[ -z "$install" ] && deps=(--check "${deps[@]}")
	"$src/tools/deps.sh" "${deps[@]}" || die 3 "missing dependencies (see above)"
fi
top_record=""
if [ -z "$self_test" ] && [ -z "$build_only" ]; then
	if [ -z "$output" ]; then
		[ -z "$installed_probes" ] || die 2 "installed, the record needs a place: pass --output DIR"
		writable "$src" || die 2 "the source tree is read-only: pass --output DIR"
		if [ -n "$audit" ]; then
			# An audit's record is its own, never the kernel's RESULTS.md.
			label=${container:-$against}
			output=$src/results/audit-${label//[!A-Za-z0-9_.-]/_}
		else
			output=$src/results top_record=1
		fi
	fi
	mkdir -p "$output" 2>/dev/null
	writable "$output" || die 3 "cannot write to $output"
fi
if [ -n "$installed_probes" ]; then
	build=$installed_probes
elif [ -z "$build" ]; then
	# Outside a read-only tree: one build a user and source tree.
	if writable "$src"; then
		build=$src/build
	else
		build=${TMPDIR:-/tmp}/ipcns-build-$(id -u)-$(printf %s "$src" | cksum | cut -d ' ' -f 1)
	fi
fi
mkdir -p "$build" 2>/dev/null
if [ -n "$installed_probes" ]; then
	: # nothing to build
elif writable "$build"; then
	(
		flock -w 600 9 || die 3 "timed out waiting for the lock on $build"
		if [ ! -f "$build/build.ninja" ]; then
			meson setup "$build" "$src" >"$build/setup.log" 2>&1 ||
				{ cat "$build/setup.log" >&2; die 3 "meson setup failed"; }
		elif [ -n "$self_test" ]; then
			# Set up before the test dependencies were installed (by the
			# plain run, say), the build lacks the tests that need them
			# (Check's): Meson looks for them again.
			meson setup --reconfigure "$build" "$src" >"$build/setup.log" 2>&1 ||
				{ cat "$build/setup.log" >&2; die 3 "meson setup --reconfigure failed"; }
		fi
		ninja -C "$build" >"$build/ninja.log" 2>&1 || { cat "$build/ninja.log" >&2; die 3 "build failed"; }
	) 9>"$build/.lock" || exit $?
elif [ ! -x "$build/probes/ipcns" ]; then
	die 3 "$build is not writable and holds no built probes"
fi

# For the other jobs (tools/vm-run.sh, tools/stress.sh): the built probes.
if [ -n "$build_only" ]; then
	build=$(cd "$build" && pwd)
	echo "$build"
	exit 0
fi

if [ -n "$self_test" ]; then
	rc=0
	meson test -C "$build" --print-errorlogs || rc=1
	# One closing line over every subtest (Check's and Bats' TAP alike).
	awk '/^ok .*# [Ss][Kk][Ii][Pp]/ { s++; next } /^ok / { p++ } /^not ok / { f++ }
		END { printf "self-test: %d passed, %d failed, %d skipped\n", p, f, s }' \
		"$build/meson-logs/testlog.txt"
	exit "$rc"
fi

probes=${IPCNS_PROBES:-${installed_probes:-$build/probes}}
run_id=$(date +%s)-$$
work=$(mktemp -d "${TMPDIR:-/tmp}/ipcns-run.XXXXXX") || die 3 "cannot make a temporary directory"
echo $$ >"$work/owner"
# Every option as "CONFIG_X=V" (V "n" for "is not set"): what skips that
# blame a missing option are checked against (suites/lib.sh confirm_skip).
if [ -n "$config" ]; then
	{ gzip -dc "$config" 2>/dev/null || cat "$config"; } |
		sed -n 's/^\(CONFIG_[A-Za-z0-9_]*\)=\(.*\)/\1=\2/p; s/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1=n/p' >"$work/kconfig"
	[ -s "$work/kconfig" ] || die 2 "--config: $config holds no kernel options"
	export IPCNS_KCONFIG=$work/kconfig IPCNS_KCONFIG_SOURCE=$config
fi
mkdir "$work/tmp"
: >"$work/cells.jsonl"
: >"$work/names"
: >"$work/notes"
trap 'rm -rf "$work"' EXIT

# The host's IPC objects, IPC sysctls and mounts (with their type), one a
# line, to compare before and after. One awk reads /proc and bash lists the
# directories: under emulation (--kernel) every process costs some 50 ms,
# and a run takes three snapshots.
snapshot() {
	local f files=() procs
	for f in /proc/sysvipc/{msg,sem,shm} /proc/sys/kernel/{msgmax,msgmnb,msgmni,sem,shmmax,shmall,shmmni,shm_rmid_forced,msg_next_id,sem_next_id,shm_next_id} /proc/sys/fs/mqueue/*; do
		[ -r "$f" ] && files+=("$f")
	done
	# A sysctl's blanks become "_" (kernel.sem: 32000_1024000000_500_32000).
	procs=$(awk 'FILENAME ~ /^\/proc\/sysvipc\// { if (FNR > 1) print "sysv-" substr(FILENAME, 15) " key=" $1; next }
		FILENAME ~ /^\/proc\/sys\// { gsub(/[\t ]+/, "_"); print "sysctl " substr(FILENAME, 11) "=" $0; next }
		{ for (i = 7; i < NF && $i != "-"; i++); print "mount " $5 " " $(i + 1) }' "${files[@]}" /proc/self/mountinfo)
	printf '%s\n' "$procs"
	shopt -s nullglob dotglob
	files=(/dev/shm/*)
	[[ $'\n'$procs$'\n' == *$'\nmount /dev/mqueue mqueue\n'* ]] && files+=(/dev/mqueue/*)
	shopt -u nullglob dotglob
	[ ${#files[@]} = 0 ] || printf '%s\n' "${files[@]}"
}

# Even a probe that hangs must not hang the run.
bounded() {
	timeout -k 1 "${IPCNS_TIMEOUT:-10}" "$@"
}

# sysv_key NAME: KEY, the key of NAME's SysV objects as /proc/sysvipc prints
# it (signed decimal), as probe-sysv derives it; empty if it cannot say.
declare -A sysv_keys=()
sysv_key() {
	if [ -n "${sysv_keys[$1]+set}" ]; then
		KEY=${sysv_keys[$1]}
		return
	fi
	KEY=$(bounded "$probes/probe-sysv" msg address "$1") && [[ $KEY =~ ^0x[0-9a-f]{8}$ ]] || KEY=""
	if [ -n "$KEY" ]; then
		KEY=$((KEY))
		[ "$KEY" -gt 2147483647 ] && KEY=$((KEY - 4294967296))
	fi
	sysv_keys[$1]=$KEY
}

# sweep NAMES LISTING [BEFORE]: every object a run made on the host, as its
# scenarios logged it before making it: whatever still answers a probe has
# leaked. Remove it, say so. Only a name that LISTING (a snapshot taken
# after the run) shows is asked about, a process a name costing seconds
# under emulation; a SysV name only when LISTING has a SysV object of its
# kind that BEFORE (the snapshot before the run) had not. The probe is asked
# outright where nothing is listed: queues without /dev/mqueue mounted, the
# files of a libc without /dev/shm.
sweep() {
	local mech name line ask probe
	local -A there=() before=() abstract=()
	if [ -n "${3:-}" ]; then
		while read -r line; do
			[[ $line == sysv-* ]] && before[$line]=1
		done <"$3"
	fi
	while read -r line; do
		[ -z "${before[$line]:-}" ] || continue
		there[$line]=1
		[[ $line == sysv-* ]] && there[${line% key=*}]=1 # this kind has one
	done <"$2"
	while read -r mech name; do
		case $mech in
			sysv-*)
				ask=${there[$mech]:-}
				if [ -n "$ask" ]; then
					sysv_key "$name"
					[ -z "$KEY" ] || ask=${there[$mech key=$KEY]:-}
				fi ;;
			posix-mq)
				ask=1
				[ -n "${there[mount /dev/mqueue mqueue]:-}" ] && ask=${there[/dev/mqueue/$name]:-} ;;
			posix-sem | posix-shm)
				ask=1
				# glibc's named semaphores are sem.NAME, musl's NAME
				[ -d /dev/shm ] && ask=${there[/dev/shm/$name]:-${there[/dev/shm/sem.$name]:-}} ;;
			fifo | unix-path) ask=""; [ -e "$name" ] || [ -L "$name" ] && ask=1 ;;
			unix-abstract)
				if [ "${#abstract[@]}" = 0 ] && [ -r /proc/net/unix ]; then
					abstract[-]=1
					while read -r _ _ _ _ _ _ _ line; do
						[[ $line == @* ]] && abstract[${line#@}]=1
					done </proc/net/unix
				fi
				ask=1
				[ -n "${abstract[-]:-}" ] && ask=${abstract[$name]:-} ;;
			*) ask=1 ;;
		esac
		[ -n "$ask" ] || continue
		case $mech in
			sysv-*) probe=("$probes/probe-sysv" "${mech#sysv-}") ;;
			posix-*) probe=("$probes/probe-posix" "${mech#posix-}") ;;
			*) probe=("$probes/probe-endpoint" "$mech") ;;
		esac
		bounded "${probe[@]}" get "$name" >/dev/null 2>&1 || continue
		echo "leaked $mech $name (removed now)"
		bounded "${probe[@]}" remove "$name" >/dev/null 2>&1
	done <"$1"
}

# A run killed outright (SIGKILL: no trap runs) leaves its directory behind,
# with the names it logged. The next run clears what such a run left: what
# it made on the host, then the directory. Live runs are left alone, and so
# is a directory too young to have its owner written yet.
sweep_stale() {
	local dir owner n
	for dir in "${TMPDIR:-/tmp}"/ipcns-run.*; do
		if [ ! -d "$dir" ] || [ ! -O "$dir" ] || [ "$dir" = "$work" ]; then
			continue
		fi
		owner=$(cat "$dir/owner" 2>/dev/null)
		if [ -n "$owner" ]; then
			kill -0 "$owner" 2>/dev/null && continue
		elif [ -z "$(find "$dir" -maxdepth 0 -mmin +1)" ]; then
			continue
		fi
		[ -f "$work/host" ] || snapshot >"$work/host"
		n=$( { [ -f "$dir/names" ] && sweep "$dir/names" "$work/host"; } | grep -c '^leaked')
		echo "cleared the directory of a run killed earlier ($dir): $n object(s) it left on the host removed"
		rm -rf "$dir"
	done
}

# ours OBJECT: whether a SysV object of the snapshot ("sysv-msg key=K") has
# the key of a name this run logged.
declare -A our_keys=()
ours() {
	local mech name
	if [ "${#our_keys[@]}" = 0 ]; then
		our_keys[-]=1
		while read -r mech name; do
			case $mech in sysv-*) ;; *) continue ;; esac
			sysv_key "$name"
			[ -z "$KEY" ] || our_keys[$mech key=$KEY]=1
		done <"$work/names"
	fi
	[ -n "${our_keys[$1]:-}" ]
}

# Bats' version, for the record: its start-up takes a second under
# emulation, spent meanwhile.
bats --version >"$work/bats-version" 2>/dev/null &
bats_version=$!
sweep_stale >>"$work/notes"
# Whether this kernel and privilege let us make an IPC namespace at all:
# if not, every cell is still recorded (as a skip saying why), but the run
# measured nothing of IPC namespaces, whatever host-side controls passed.
no_ns="" user_opt=()
[ "$EUID" = 0 ] || user_opt=(--user)
if [ -n "$audit" ]; then
	: # an audit makes no namespace: it enters the target's
elif ! why=$(bounded "$probes/ipcns" "${user_opt[@]}" -- true 2>&1); then
	no_ns=${why#ipcns: }
	echo "no IPC namespace can be made here: $no_ns" >>"$work/notes"
fi
snapshot | sort >"$work/before"
start=$EPOCHREALTIME

# The suite runs in its own process group, under a subreaper that ends every
# holder and server it leaves; a signal to us ends the whole group.
suite_pid="" interrupted=""
# shellcheck disable=SC2317 # reached through the traps below
on_signal() {
	interrupted=$1
	say "interrupted by SIG$1: stopping the suite and cleaning up"
	[ -n "$suite_pid" ] && kill -TERM -- "-$suite_pid" 2>/dev/null
}
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP
# An audit runs the audit suite only, judged by the policy it was given.
suites=$src/suites fixtures=${IPCNS_FIXTURES:-$src/fixtures}
if [ -n "$audit" ]; then
	suites=$src/suites/audit
	case $expect in
		isolated) fixtures=$src/fixtures/policy-isolated ;;
		?*) mkdir "$work/policy" && cp "$expect" "$work/policy/probe-reach.tsv" && fixtures=$work/policy ;;
	esac
fi
set -m
IPCNS_PROBES=$probes IPCNS_FIXTURES=$fixtures IPCNS_RECORD=$work/cells.jsonl \
	IPCNS_NAMES=$work/names IPCNS_RUN_ID=$run_id TMPDIR=$work/tmp \
	IPCNS_TARGET=$target_pid IPCNS_PEER=$peer_pid \
	"$probes/ipcns" --entry fork --reap -t 900 -- \
	bats --tap ${filter:+--filter "$filter"} "$suites" &
suite_pid=$!
set +m
suite_rc=0
wait "$suite_pid" || suite_rc=$?
while kill -0 "$suite_pid" 2>/dev/null; do # a signal cut the wait short
	suite_rc=0
	wait "$suite_pid" || suite_rc=$?
done
end=$EPOCHREALTIME

snapshot | sort >"$work/after"
sweep "$work/names" "$work/after" "$work/before" >>"$work/notes"
leaks=$(grep -c '^leaked' "$work/notes")
[ "$leaks" = 0 ] || snapshot | sort >"$work/after" # less what the sweep removed
# Objects that appeared meanwhile: ours (by name or key) are leaks as well.
while read -r obj; do
	case $obj in
		*"ipcns-$run_id-"*) echo "leaked $obj (removed now)"; rm -f "$obj"; leaks=$((leaks + 1)) ;;
		sysctl*) echo "the host's $obj changed during the run (before: $(grep -F "${obj%%=*}=" "$work/before"))"
			leaks=$((leaks + 1)) ;;
		"mount $work"*) echo "leaked $obj"; leaks=$((leaks + 1)) ;;
		sysv-*) if ours "$obj"; then
				echo "leaked $obj"; leaks=$((leaks + 1))
			else
				echo "appeared during the run, not made by it: $obj"
			fi ;;
		*) echo "appeared during the run, not made by it: $obj" ;;
	esac
done < <(comm -13 "$work/before" "$work/after") >>"$work/notes"
# The verdicts, counted once (the judge, suites/scenario.sh, writes
# "verdict" with no space and one word).
read -r pass fail skip broken < <(awk 'match($0, /"verdict":"[a-z]*"/) { n[substr($0, RSTART + 11, RLENGTH - 12)]++ }
	END { print n["pass"] + 0, n["fail"] + 0, n["skip"] + 0, n["broken"] + 0 }' "$work/cells.jsonl")
[ -n "$interrupted" ] && echo "the run was interrupted by SIG$interrupted; the record is partial" >>"$work/notes"
# A target that exited, or whose pid now names another process, makes the
# audit's cells worthless, whatever they say.
vanished=""
for p in "$target_pid:$target_start" "$peer_pid:$peer_start"; do
	[ "$p" = : ] && continue
	[ "$(proc_start "${p%:*}")" = "${p#*:}" ] && continue
	vanished=1
	echo "process ${p%:*} (the audit's target or peer) exited or was replaced during the audit: the record is void" >>"$work/notes"
done
[ "$suite_rc" != 0 ] && [ -z "$interrupted" ] && [ $((fail + broken)) = 0 ] &&
	echo "the suite exited $suite_rc without a failed cell: see the Bats output" >>"$work/notes"
[ "$leaks" = 0 ] && echo "leak check: no IPC object, /dev/shm or /dev/mqueue entry, mount or IPC sysctl change of this run is left on the host" >>"$work/notes"

# The record, with as few processes as it can (each costs some 50 ms under
# emulation, --kernel).
# version TEXT: the first version number in TEXT, in V.
version() { V=""; [[ $1 =~ [0-9][0-9.]*[0-9] ]] && V=${BASH_REMATCH[0]}; }
distro=""
{ while IFS= read -r line; do
	case $line in PRETTY_NAME=*) distro=${line#PRETTY_NAME=} distro=${distro#\"} distro=${distro%\"} ;; esac
done </etc/os-release; } 2>/dev/null
read -r release arch < <(uname -rm)
# tenths of a second between two EPOCHREALTIMEs (whose point follows the locale)
tenths=$(( (10#${end//[.,]/} - 10#${start//[.,]/} + 50000) / 100000 ))
{
	printf 'kernel\t%s\narch\t%s\ndistro\t%s\n' "$release" "$arch" "${distro:-unknown}"
	printf 'privilege\t%s\n' "$([ "$EUID" = 0 ] && echo root || echo rootless)"
	version "$(unshare --version 2>/dev/null)"
	printf 'util-linux\t%s\n' "$V"
	wait "$bats_version" 2>/dev/null
	line="" && read -r line <"$work/bats-version"
	version "$line"
	printf 'bats\t%s\n' "$V"
	cc=$(cc --version 2>/dev/null)
	case ${cc%%$'\n'*} in
		*clang*) version "$cc"; printf 'cc\tclang %s\n' "$V" ;;
		*) printf 'cc\tgcc %s\n' "$(cc -dumpfullversion 2>/dev/null)" ;;
	esac
	TZ=UTC0 printf 'date\t%(%Y-%m-%dT%H:%M:%SZ)T\nduration\t%d.%d\n' -1 $((tenths / 10)) $((tenths % 10))
	printf 'run_id\t%s\ncommand\t%s\n' "$run_id" "./run-tests.sh${audit:+ ${container:+--container $container}${against:+--against $against}${peer:+ --peer $peer}${expect:+ --expect $expect}}"
	printf '%s' "$target_meta"
	[ -z "$audit" ] || printf 'target\tpolicy\t%s\n' "${expect:-none}"
	# The options the suite's cells depend on, and the sysctls that decide
	# who may make namespaces (a CI runner's AppArmor policy, say).
	if [ -n "$config" ]; then
		printf 'config_source\t%s\n' "$config"
		awk -F = 'BEGIN { n = split("NAMESPACES IPC_NS USER_NS NET_NS PID_NS SYSVIPC POSIX_MQUEUE " \
			"CHECKPOINT_RESTORE UNIX TMPFS SHMEM MEMFD_CREATE EVENTFD", o, " ") }
			{ v[$1] = substr($0, length($1) + 2) }
			END { for (i = 1; i <= n; i++) printf "config\tCONFIG_%s\t%s\n", o[i], ("CONFIG_" o[i]) in v ? v["CONFIG_" o[i]] : "n" }' \
			"$work/kconfig"
	fi
	for f in kernel/apparmor_restrict_unprivileged_userns kernel/unprivileged_userns_clone \
		user/max_user_namespaces user/max_ipc_namespaces; do
		[ -r "/proc/sys/$f" ] && read -r v <"/proc/sys/$f" && printf 'sysctl\t%s\t%s\n' "${f//\//.}" "$v"
	done
	while IFS= read -r line; do printf 'note\t%s\n' "$line"; done <"$work/notes"
} >"$work/meta"
# A guest (--kernel) hands its raw record to the host, which renders it: one
# writer of RESULTS.md.
if [ -n "$raw" ]; then
	cp "$work/meta" "$output/meta" || die 3 "could not write the record"
else
	python3 "$src/tools/record.py" render "$work/cells.jsonl" "$work/meta" "$output" || die 3 "could not write the record"
fi
cp "$work/cells.jsonl" "$output/cells.jsonl"
[ -n "$top_record" ] && cp "$output/RESULTS.md" "$src/RESULTS.md"

say "$((pass + fail + skip + broken)) cells: $pass pass, $fail fail, $skip skipped, $broken broken; record in $output"
while IFS= read -r line; do
	[[ $line == "leak check"* ]] || say "$line"
done <"$work/notes"
# An audit's answer, as RESULTS.md puts it first: what is shared, and with whom.
[ -n "$audit" ] && sed -n 's/^- \*\*\([^*]*\):\*\* /audit: \1: /p' "$output/RESULTS.md" >&2

# The one exit-code vocabulary (README): the host first, then the kernel's
# deviations, then what broke, then whether anything was measured at all.
if [ "$leaks" -gt 0 ]; then
	say "LEAK: this run left $leaks IPC object(s) on the host (listed above)"
	exit 7
fi
[ -n "$vanished" ] && exit 3
[ "$fail" -gt 0 ] && exit 1
[ "$broken" -gt 0 ] && exit 3
[ -n "$interrupted" ] && exit 3
[ "$suite_rc" != 0 ] && exit 3
{ [ "$pass" = 0 ] || [ -n "$no_ns" ]; } && exit 4
exit 0
