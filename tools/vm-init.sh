#!/bin/busybox sh
# shellcheck shell=sh
# The guest's init for tools/vm-run.sh, run by a static busybox.
#   stage 1 (/init of the initramfs): loads the modules that reach the host's
#     root over 9p, mounts it read-only with tmpfs where the suite writes, and
#     switches to it: a plain chroot would refuse the suite user namespaces.
#   stage 2 (PID 1 on the host's root): mounts /dev/shm and /dev/mqueue, runs
#     the suite, which writes its raw record (cells.jsonl, meta, its exit
#     status) into a read-write 9p share for the host to render, and powers
#     off.
# The host reads the console (first serial port) for the markers "ipcns-vm:".
# The initramfs holds /bin/busybox, this script as /init, and /ipcns-vm/:
# modules/ with an "order" file ("NAME FILE" a line, dependencies first),
# "filter" (the --filter REGEX, may be empty), "ipcns_timeout", "paths"
# (the source tree and the build on the host's root, one a line), and
# "config" (the kernel's config, for the suite's --config) or "no-config"
# (--config none) or neither (the suite looks for one itself).

say() { echo "ipcns-vm: $*"; }

# The host reports the reason and this kernel's console; there is nothing
# else to do here.
fatal() {
	say "error: $*"
	$bb poweroff -f
	$bb sleep 10 # poweroff -f does not return; this never runs
}

stage1() {
	bb=/bin/busybox
	$bb mkdir -p /proc /sys /dev /newroot
	$bb mount -t devtmpfs devtmpfs /dev || fatal "cannot mount devtmpfs (CONFIG_DEVTMPFS)"
	exec </dev/console >/dev/console 2>&1
	{ $bb mount -t proc proc /proc && $bb mount -t sysfs sysfs /sys; } || fatal "cannot mount /proc or /sys"
	say "init started, kernel $($bb uname -r), $($bb cut -d ' ' -f 1 /proc/uptime) s after boot"

	# Built in, a module is already in /sys/module; else it must load.
	while read -r name file; do
		[ -d "/sys/module/$name" ] && continue
		$bb insmod "/ipcns-vm/modules/$file" || fatal "cannot load module $name ($file)"
	done </ipcns-vm/modules/order

	$bb mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=262144,cache=loose /dev/root /newroot ||
		fatal "cannot mount the host's root over 9p: this kernel needs virtio-pci, 9pnet_virtio and 9p (built in, or --modules DIR)"
	# The source tree and the build may be under /tmp or /run, which get a
	# tmpfs below: bind them first to where the suite will find them.
	$bb mount -t tmpfs -o mode=0755 tmpfs /newroot/run || fatal "cannot mount a tmpfs on /run"
	$bb mkdir -p /newroot/run/ipcns-vm/src /newroot/run/ipcns-vm/build /newroot/run/ipcns-vm/record
	{ read -r src && read -r build; } </ipcns-vm/paths
	{ $bb mount --bind "/newroot$src" /newroot/run/ipcns-vm/src &&
		$bb mount --bind "/newroot$build" /newroot/run/ipcns-vm/build; } ||
		fatal "cannot see $src or $build on the host's root"
	$bb mount -t tmpfs -o mode=1777 tmpfs /newroot/tmp || fatal "cannot mount a tmpfs on /tmp"
	$bb mount -t 9p -o rw,trans=virtio,version=9p2000.L,msize=262144 ipcns-record /newroot/run/ipcns-vm/record ||
		fatal "cannot mount the host's share for the record (9p tag ipcns-record)"
	$bb cp /bin/busybox /init /ipcns-vm/filter /ipcns-vm/ipcns_timeout /newroot/run/ipcns-vm/ ||
		fatal "cannot copy busybox to the new root"
	for f in config no-config; do
		[ -e "/ipcns-vm/$f" ] || continue
		$bb cp "/ipcns-vm/$f" /newroot/run/ipcns-vm/ || fatal "cannot copy the kernel's config to the new root"
	done
	for dir in dev proc sys; do
		$bb mount --move "/$dir" "/newroot/$dir" || fatal "cannot move /$dir"
	done
	exec $bb switch_root /newroot /run/ipcns-vm/busybox sh /run/ipcns-vm/init stage2
}

stage2() {
	dir=/run/ipcns-vm
	bb=$dir/busybox
	# What udev would make: bash's process substitution needs /dev/fd.
	$bb ln -sf /proc/self/fd /dev/fd
	$bb ln -sf /proc/self/fd/0 /dev/stdin
	$bb ln -sf /proc/self/fd/1 /dev/stdout
	$bb ln -sf /proc/self/fd/2 /dev/stderr
	$bb mkdir -p /dev/shm /dev/mqueue
	$bb mount -t tmpfs -o mode=1777 tmpfs /dev/shm || fatal "cannot mount a tmpfs on /dev/shm"
	# Without POSIX message queues the suite skips them; it needs no mount.
	$bb mount -t mqueue mqueue /dev/mqueue || say "no mqueue filesystem on this kernel"

	export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	export HOME=/tmp TMPDIR=/tmp LANG=C.UTF-8 IPCNS_TIMEOUT
	IPCNS_TIMEOUT=$($bb cat $dir/ipcns_timeout)
	filter=$($bb cat $dir/filter)
	say "suite starting, $($bb cut -d ' ' -f 1 /proc/uptime) s after boot"
	set -- --no-install --raw --build $dir/build --output $dir/record
	[ -n "$filter" ] && set -- "$@" --filter "$filter"
	if [ -f $dir/config ]; then
		set -- "$@" --config $dir/config
	elif [ -f $dir/no-config ]; then
		set -- "$@" --config none
	fi
	rc=0
	(cd / && $dir/src/run-tests.sh "$@") || rc=$?
	say "suite exit $rc, $($bb cut -d ' ' -f 1 /proc/uptime) s after boot"

	# The status last: the host takes a record with one as complete.
	echo "$rc" >$dir/record/status
	$bb sync
	$bb poweroff -f
}

# Anywhere else it would mount over this machine's /dev, /proc and /sys.
if [ "$$" != 1 ]; then
	echo "usage: vm-init.sh [stage2]: the init of tools/vm-run.sh's guest (PID 1), not a command" >&2
	exit 2
fi
# The kernel hands init the words of its command line it does not know.
case ${1:-} in
	stage2) stage2 ;;
	*) stage1 ;;
esac
