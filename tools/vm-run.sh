#!/usr/bin/env bash
# Runs the suite on a kernel under test: boots it in QEMU with this machine's
# root shared read-only over 9p, runs ./run-tests.sh inside as root, and
# brings back its record and exit status. ./run-tests.sh --kernel execs this.
# The guest's side is tools/vm-init.sh.
set -u

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

usage() {
	cat <<'EOF'
usage: ./run-tests.sh --kernel BZIMAGE [--modules DIR] [--config FILE|none] [--output DIR]
                      [--filter REGEX] [--timeout SECONDS] [--build DIR] [--no-install]
Boots BZIMAGE in QEMU (KVM when it works, else TCG), with this machine's root
read-only over 9p, runs the suite there as root, and writes its record here.
  --kernel BZIMAGE   an x86-64 bzImage (e.g. boot/vmlinuz-* of a kernel package)
  --modules DIR      its lib/modules/RELEASE tree, for virtio-pci and 9p when
                     they are modules (default: /lib/modules/RELEASE if there)
  --config FILE      its config (plain or gzipped), for the record and to
                     confirm skips that blame a missing option (default:
                     .config beside BZIMAGE, else config-RELEASE beside it as
                     in /boot, else the .config of the build tree whose
                     arch/x86/boot/bzImage it is; "none": do not look)
  --output DIR       where RESULTS.md, results.json, junit.xml, results.ktap,
                     cells.jsonl and vm-console.log (the guest's console, kept also when the
                     kernel does not boot) go (default: ./results-vm-RELEASE)
  --filter REGEX     run only the suite's tests whose names match
  --timeout SECONDS  bound on the VM: boot, suite, power-off (default 600)
  --build DIR        Meson build directory of the probes, built here first
  --no-install       install nothing; only say what is missing
Environment: IPCNS_VM_APPEND, more for the kernel's command line; IPCNS_TIMEOUT,
the bound on every probe call in the guest (default 30 s: emulation is slow).
exit (the guest suite's, in the project's one vocabulary; README): 0 every
      cell as expected, 1 a cell deviated, 2 usage, 3 broken or cannot run
      here, 4 nothing could be measured (every cell skipped), 7 the run
      leaked IPC objects in the guest, 8 the kernel did not boot or the guest
      broke down (panic, hang, no record)
EOF
}

say() { printf 'vm-run: %s\n' "$*" >&2; }
die() { say "$2"; exit "$1"; }
usage_error() { say "$1"; usage >&2; exit 2; }

kernel="" modules="" config="" output="" filter="" build="" install=1 timeout=600
while [ $# -gt 0 ]; do
	case $1 in
		--kernel | --modules | --config | --output | --filter | --timeout | --build)
			{ [ $# -ge 2 ] && [ -n "$2" ]; } || usage_error "$1 needs a value"
			case $1 in
				--kernel) kernel=$2 ;;
				--modules) modules=$2 ;;
				--config) config=$2 ;;
				--output) output=$2 ;;
				--filter) filter=$2 ;;
				--timeout) timeout=$2 ;;
				--build) build=$2 ;;
			esac
			shift 2 ;;
		--no-install) install=""; shift ;;
		-h | --help) usage; exit 0 ;;
		*) usage_error "unknown argument '$1'" ;;
	esac
done
[ -n "$kernel" ] || usage_error "--kernel BZIMAGE is required"
{ [ -f "$kernel" ] && [ -r "$kernel" ]; } || usage_error "no readable kernel file '$kernel'"
[ -z "$modules" ] || [ -d "$modules" ] || usage_error "no modules directory '$modules'"
# kernel_options FILE: whether FILE (plain or gzipped) sets any kernel option.
kernel_options() {
	{ gzip -dc "$1" 2>/dev/null || cat "$1"; } | grep -qE '^(CONFIG_[A-Za-z0-9_]+=|# CONFIG_[A-Za-z0-9_]+ is not set$)'
}
if [ -n "$config" ] && [ "$config" != none ]; then
	{ [ -f "$config" ] && [ -r "$config" ]; } || usage_error "--config: no readable file '$config'"
	kernel_options "$config" || usage_error "--config: '$config' holds no kernel options"
fi
[[ $timeout =~ ^[1-9][0-9]{0,5}$ ]] || usage_error "--timeout wants whole seconds (1-999999), not '$timeout'"
case $filter in *$'\n'*) usage_error "--filter is one line" ;; esac

# A bzImage has "HdrS" at 0x202 and, at 0x20e, where its version string is
# (less 0x200): anything else would only make QEMU or the kernel fail later.
export LC_ALL=C
[ "$(dd if="$kernel" bs=1 skip=514 count=4 status=none | tr -d '\0')" = HdrS ] ||
	die 8 "$kernel is not a bootable x86 kernel (no bzImage header): nothing to boot"
version_at=$(od -An -tu2 -j 526 -N 2 "$kernel" | tr -d ' ')
release=$(dd if="$kernel" bs=1 skip=$((version_at + 512)) count=256 status=none | tr '\0' '\n' | head -n 1 | cut -d ' ' -f 1)
[[ $release =~ ^[A-Za-z0-9._+~-]+$ ]] || release=unknown
if [ -z "$modules" ] && [ -d "/lib/modules/$release" ]; then
	modules=/lib/modules/$release
fi
# The config a kernel's build or package leaves beside it: tools/build-kernel.sh
# and make O=DIR (DIR/.config), Debian's /boot (config-RELEASE), a build tree.
if [ -z "$config" ]; then
	kdir=$(dirname "$kernel")
	for f in "$kdir/.config" "$kdir/config-$release" "$kdir/../../../.config"; do
		[ "$f" = "$kdir/../../../.config" ] && [[ $kernel != *arch/x86/boot/bzImage ]] && continue
		[ -f "$f" ] && [ -r "$f" ] && kernel_options "$f" && { config=$f; break; }
	done
fi
no_config=""
[ "$config" = none ] && config="" no_config=1

writable() { [ -w "$1" ] && [ -d "$1" ]; }
if [ -z "$output" ]; then
	writable . || usage_error "the current directory is not writable: pass --output DIR"
	output=results-vm-$release
fi

deps=(vm)
[ -z "$install" ] && deps=(--check vm)
"$src/tools/deps.sh" "${deps[@]}" || die 3 "missing dependencies (see above)"
busybox=$(command -v busybox.static || command -v busybox)
mkdir -p "$output" 2>/dev/null
writable "$output" || die 3 "cannot write to $output"

# The guest runs this machine's probes: built here by ./run-tests.sh itself
# (same default directory, same lock); the guest sees the same paths.
build_args=(--build-only)
[ -n "$build" ] && build_args+=(--build "$build")
[ -z "$install" ] && build_args+=(--no-install)
build=$("$src/run-tests.sh" "${build_args[@]}") || die 3 "cannot build the probes (above)"

work=$(mktemp -d "${TMPDIR:-/tmp}/ipcns-vm.XXXXXX") || die 3 "cannot make a temporary directory"
qemu_pid=""
# timeout(1) passes the TERM on to QEMU.
trap '[ -n "$qemu_pid" ] && kill -TERM "$qemu_pid" 2>/dev/null && wait "$qemu_pid" 2>/dev/null; rm -rf "$work"' EXIT
interrupted=""
trap 'interrupted=INT' INT
trap 'interrupted=TERM' TERM
trap 'interrupted=HUP' HUP

# The initramfs: busybox, the guest's init, the modules that reach 9p over
# virtio-pci with everything they depend on (dependencies first), settings.
initramfs=$work/initramfs
mkdir -p "$initramfs/bin" "$initramfs/ipcns-vm/modules"
cp "$busybox" "$initramfs/bin/busybox"
cp "$src/tools/vm-init.sh" "$initramfs/init"
printf '%s\n' "$filter" >"$initramfs/ipcns-vm/filter"
printf '%s\n' "${IPCNS_TIMEOUT:-30}" >"$initramfs/ipcns-vm/ipcns_timeout"
printf '%s\n%s\n' "$src" "$build" >"$initramfs/ipcns-vm/paths"
# The guest's suite reads the config from here; with neither file it looks
# where it would on a machine (/proc/config.gz, /boot/config-RELEASE).
if [ -n "$config" ]; then
	cp "$config" "$initramfs/ipcns-vm/config" || die 3 "cannot copy $config"
	say "the kernel's config: $config"
elif [ -n "$no_config" ]; then
	: >"$initramfs/ipcns-vm/no-config"
fi
: >"$initramfs/ipcns-vm/modules/order"

declare -A module_file=() module_done=()
if [ -n "$modules" ]; then
	while IFS= read -r f; do
		name=${f##*/} name=${name%%.ko*}
		module_file[${name//-/_}]=$f
	done < <(find "$modules" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz')
fi
# add_module NAME: copies it (uncompressed: busybox's insmod may not
# decompress) after its dependencies, as its .modinfo "depends=" names them.
add_module() {
	local name=$1 f copy dep deps
	[ -n "${module_done[$name]:-}" ] && return 0
	module_done[$name]=1
	f=${module_file[$name]:-}
	if [ -z "$f" ]; then
		[ -n "$modules" ] && ! grep -qs "/${name}.ko" "$modules/modules.builtin" &&
			say "warning: module $name is neither in $modules nor listed as built in"
		return 0
	fi
	copy=$initramfs/ipcns-vm/modules/$name.ko
	case $f in
		*.xz) xz -dc "$f" >"$copy" ;;
		*.zst) zstd -dcq "$f" >"$copy" ;;
		*.gz) gzip -dc "$f" >"$copy" ;;
		*) cp "$f" "$copy" ;;
	esac || die 3 "cannot decompress $f"
	deps=$(tr '\0' '\n' <"$copy" | sed -n 's/^depends=//p' | head -n 1)
	for dep in ${deps//,/ }; do
		add_module "${dep//-/_}"
	done
	printf '%s %s.ko\n' "$name" "$name" >>"$initramfs/ipcns-vm/modules/order"
}
for m in virtio_pci 9pnet_virtio 9p; do
	add_module "$m"
done
(cd "$initramfs" && find . | "$busybox" cpio -o -H newc -R 0:0 2>/dev/null) >"$work/initramfs.cpio" ||
	die 3 "cannot make the initramfs"

cpus=$(nproc)
[ "$cpus" -gt 4 ] && cpus=4
# shellcheck disable=SC2054 # QEMU's options are comma-separated lists
qemu_args=(
	-nodefaults -no-user-config -display none -no-reboot -m 2048 -smp "$cpus"
	-kernel "$kernel" -initrd "$work/initramfs.cpio"
	-append "console=ttyS0 panic=-1 ${IPCNS_VM_APPEND:-}"
	-fsdev local,id=root,path=/,readonly=on,security_model=none,multidevs=remap
	-device virtio-9p-pci,fsdev=root,mount_tag=/dev/root
	-fsdev "local,id=record,path=$work/record,security_model=none"
	-device virtio-9p-pci,fsdev=record,mount_tag=ipcns-record
	-serial stdio
)
started=$SECONDS
mkfifo "$work/console"

now() { printf '%s' "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# boot ACCEL: runs the VM until it powers off, fails or runs out of time,
# following its console (each stage has its own bound: the kernel's first
# line, the guest's /init, the whole run). Sets phase (how far it got:
# kernel, init, suite, done), why (what went wrong), boot_s and suite_s.
boot() {
	local accel=$1 cpu=max kernel_wait=30 init_wait=180
	[ "$accel" = kvm ] && cpu=host kernel_wait=10 init_wait=60
	local t0=$SECONDS end=$((started + timeout)) t_start t_init="" t_suite="" done_at=""
	local line pending="" rc deadline left timed_out="" panic="" guest_error="" bound
	phase=kernel why=""
	[ "$end" -gt "$t0" ] || { why="no time left of --timeout $timeout s"; return 1; }
	rm -rf "$work/record" && mkdir "$work/record"
	printf -- '--- %s\n' "$accel" >>"$work/console.log"
	t_start=$(now)
	# No core file of a QEMU that aborts (as with KVM on some hosts).
	# timeout(1) is only a backstop, later than the bounds below.
	(ulimit -c 0 && exec timeout -k 5 $((end - t0 + 10)) qemu-system-x86_64 "${qemu_args[@]}" \
		-accel "$accel" -cpu "$cpu") </dev/null >"$work/console" 2>"$work/qemu.err" &
	qemu_pid=$!
	exec {console}<"$work/console"
	while [ -z "$interrupted" ]; do
		case $phase in
			kernel) deadline=$((t0 + kernel_wait)) ;;
			init) deadline=$((t0 + init_wait)) ;;
			suite) deadline=$end ;;
			done) deadline=$((done_at + 30)) ;; # powering off
		esac
		[ "$deadline" -gt "$end" ] && deadline=$end
		left=$((deadline - SECONDS))
		[ "$left" -gt 0 ] || { timed_out=1; break; }
		rc=0
		IFS= read -r -t "$left" -u "$console" line || rc=$?
		if [ "$rc" -gt 128 ]; then # timed out (or a signal): keep what came
			pending+=$line
			continue
		fi
		line=$pending$line pending=""
		[ "$rc" != 0 ] && [ -z "$line" ] && break # end of file: QEMU is gone
		line=${line%$'\r'}
		[ "$phase" = kernel ] && phase=init # the kernel prints: it runs
		printf '%s\n' "$line" >>"$work/console.log"
		case $line in
			"ipcns-vm: init started"*) phase=suite t_init=$(now) ;;
			"ipcns-vm: suite starting"*) t_suite=$(now) ;;
			"ipcns-vm: suite exit"*) phase="done" done_at=$SECONDS suite_s=$(elapsed "$t_suite" "$(now)") ;;
			"ipcns-vm: error: "*) guest_error=${line#ipcns-vm: error: } ;;
			*"Kernel panic - not syncing: "*) panic=${line#*Kernel panic - not syncing: } ;;
		esac
		# The suite's own output, as run-tests.sh prints it on the host.
		[ -n "$t_suite" ] && [ "$phase" = suite ] && [[ $line != ipcns-vm:* ]] && printf '%s\n' "$line"
		[ "$rc" = 0 ] || break # end of file after a last line without newline
	done
	# Having powered off, QEMU has exited; otherwise end it.
	[ -n "$timed_out$interrupted" ] && kill -TERM "$qemu_pid" 2>/dev/null
	rc=0
	wait "$qemu_pid" 2>/dev/null || rc=$? # quietly: the reason is in qemu.err
	qemu_pid=""
	exec {console}<&-
	[ -n "$t_init" ] && boot_s=$(elapsed "$t_start" "$t_init")
	[ "$phase" = "done" ] && return 0 # the record says the rest
	if [ -n "$interrupted" ]; then
		why=interrupted
	elif [ -n "$guest_error" ]; then
		why="the guest stopped: $guest_error"
	elif [ -n "$panic" ]; then
		why="the kernel panicked: $panic"
	elif [ -n "$timed_out" ]; then
		bound="in $((deadline - t0)) s"
		[ "$deadline" = "$end" ] && bound="before --timeout $timeout s ran out"
		case $phase in
			kernel) why="the kernel printed nothing $bound" ;;
			init) why="the kernel started but did not reach /init $bound" ;;
			*) why="the run did not finish before --timeout $timeout s ran out" ;;
		esac
	else
		case $phase in
			kernel) why="QEMU stopped (exit $rc) before the kernel printed a line"
				[ "$accel" = tcg ] && why+=": an image that does not boot here" ;;
			init) why="the kernel stopped (QEMU exit $rc) before it ran /init" ;;
			*) why="the guest stopped (QEMU exit $rc) before the suite finished" ;;
		esac
		[ -s "$work/qemu.err" ] && why+="; QEMU said: $(head -n 1 "$work/qemu.err")"
	fi
	return 1
}

accel=tcg
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	accel=kvm
	# KVM may be offered and still not boot (a nested host without VMX): a
	# kernel that printed nothing, or did not reach /init, goes to TCG.
	if ! boot kvm && [ -z "$interrupted" ] && [ "$SECONDS" -lt $((started + timeout)) ]; then
		case $phase in
			kernel | init) say "KVM: $why; trying TCG"; accel=tcg ;;
		esac
	fi
fi
[ "$accel" = tcg ] && [ -z "$interrupted" ] && boot tcg
[ -n "$interrupted" ] && die 1 "interrupted by SIG$interrupted: the VM is stopped, no record"

# The guest's raw record, rendered here: one writer of RESULTS.md.
status=$(cat "$work/record/status" 2>/dev/null)
if ! [[ $status =~ ^[0-9]+$ ]] || [ ! -f "$work/record/cells.jsonl" ] || [ ! -f "$work/record/meta" ]; then
	cp "$work/console.log" "$output/vm-console.log"
	say "${why:-no record came back from the guest}"
	if grep -q -v '^--- ' "$work/console.log"; then
		say "the kernel's console ($output/vm-console.log) ended with:"
		grep -v '^--- ' "$work/console.log" | tail -n 15 | sed 's/^/  /' >&2
	fi
	exit 8
fi

cp "$work/console.log" "$output/vm-console.log"
summary="$release under QEMU ${accel^^} ($cpus vCPUs): /init reached ${boot_s:-?} s after start, the suite ran ${suite_s:-?} s"
config_note="Its config: none beside it; the guest looked for /proc/config.gz and /boot/config-$release."
[ -n "$no_config" ] && config_note="Its config: not looked for (--config none)."
[ -n "$config" ] && config_note="Its config: $(realpath -- "$config") (in the guest /run/ipcns-vm/config)."
printf 'note\tmeasured in a virtual machine by tools/vm-run.sh: %s. %s The guest'"'"'s console is in vm-console.log.\n' \
	"$summary" "$config_note" >>"$work/record/meta"
python3 "$src/tools/record.py" render "$work/record/cells.jsonl" "$work/record/meta" "$output" ||
	die 3 "could not render the guest's record"
cp "$work/record/cells.jsonl" "$output/cells.jsonl"
say "$summary; record in $output"
oopses=$(grep -cE 'Kernel panic|BUG:|Oops:|WARNING: CPU' "$work/console.log")
[ "$oopses" -gt 0 ] && say "the kernel's console has $oopses oops/BUG/WARNING line(s): see $output/vm-console.log"
exit "$status"
