# shellcheck shell=bash
# What scenario.sh and probes/probe-util-linux.sh share: reading a tool's
# refusal; and, for the judge, checking a skip's blame against the kernel's
# config. Sourced.

# refusal ERR [user]: when ERR, the first line a util-linux tool or a probe
# printed, means that this kernel or this privilege does not offer what was
# asked (rather than that something broke), REASON says so and names what
# would enable it: a kernel option, a capability, a sysctl. "user": a user
# namespace was asked for too. False for any other error.
# shellcheck disable=SC2034 # REASON is the caller's
refusal() {
	local err=$1 user=${2:-} option=""
	case $err in
		*"is off)"* | *"needs "*) REASON=$err ;; # a probe's words already name it
		*"Invalid argument"*)
			[ -e /proc/self/ns/ipc ] || option=CONFIG_IPC_NS
			[ -n "$user" ] && [ ! -e /proc/self/ns/user ] && option+="${option:+ and }CONFIG_USER_NS"
			if [ -n "$option" ]; then
				REASON="this kernel lacks the namespace ($option is off): $err"
			else
				REASON="refused, although this kernel has the namespaces (/proc/self/ns has them): a seccomp filter or a chroot? $err"
			fi ;;
		*"Operation not permitted"* | *"Permission denied"*)
			# without CONFIG_USER_NS an ordinary user's unshare --user gets EPERM
			if [ -n "$user" ] && [ ! -e /proc/self/ns/user ] && [ -e /proc/self/ns/mnt ]; then
				REASON="this kernel lacks the namespace (CONFIG_USER_NS is off): $err"
			elif [ -n "$user" ] && [ "$(cat /proc/sys/kernel/apparmor_restrict_unprivileged_userns 2>/dev/null)" = 1 ]; then
				REASON="user namespaces are kept from unconfined programs by AppArmor (kernel.apparmor_restrict_unprivileged_userns=1): $err"
			elif [ -n "$user" ] && [ "$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null)" = 0 ]; then
				REASON="user namespaces are kept from ordinary users (kernel.unprivileged_userns_clone=0): $err"
			else
				REASON="needs CAP_SYS_ADMIN in the owning user namespace: $err"
			fi ;;
		*"No space left"*) REASON="no namespace may be made here (user.max_user_namespaces or max_ipc_namespaces): $err" ;;
		*"Function not implemented"*)
			[ -e /proc/sysvipc ] || option=CONFIG_SYSVIPC
			[ -e /proc/sys/fs/mqueue ] || option+="${option:+ or }CONFIG_POSIX_MQUEUE"
			if [ -n "$option" ]; then
				REASON="this kernel lacks the call ($option is off): $err"
			else
				REASON="a call was refused as unknown, although this kernel has SysV IPC and POSIX queues: a seccomp filter? $err"
			fi ;;
		*) return 1 ;;
	esac
}

# confirm_skip: a skip's DETAIL that names a kernel option as off, checked
# against the kernel's config where it is known (IPCNS_KCONFIG: "CONFIG_X=V"
# lines, V "n" for not set; IPCNS_KCONFIG_SOURCE: where they came from).
# Confirmed, DETAIL says so; contradicted (the config has it), false, with
# DETAIL saying why: a skip that blames an option the kernel has would hide
# whatever really refused.
# On a kernel without a namespace every cell is a skip: the options are
# found in bash and each looked up once (CONFIG_VALUE), not three processes a
# cell (seconds each under emulation).
declare -A CONFIG_VALUE=()
confirm_skip() {
	local option value rest=$DETAIL options=() source=${IPCNS_KCONFIG_SOURCE:-"the kernel's config"}
	[ -n "${IPCNS_KCONFIG:-}" ] && [ -r "$IPCNS_KCONFIG" ] || return 0
	while [[ $rest =~ (CONFIG_[A-Z0-9_]*)\ is\ off ]]; do
		[[ " ${options[*]} " == *" ${BASH_REMATCH[1]} "* ]] || options+=("${BASH_REMATCH[1]}")
		rest=${rest#*"${BASH_REMATCH[0]}"}
	done
	# in order, as sort -u gives them
	[ "${#options[@]}" -lt 2 ] || mapfile -t options < <(printf '%s\n' "${options[@]}" | sort -u)
	for option in "${options[@]}"; do
		[ -n "${CONFIG_VALUE[$option]+set}" ] || CONFIG_VALUE[$option]=$(sed -n "s/^$option=//p" "$IPCNS_KCONFIG")
		value=${CONFIG_VALUE[$option]}
		case ${value:-n} in
			n) DETAIL+=" (confirmed: $source has no $option)" ;;
			*) DETAIL="$source has $option=$value, yet: $DETAIL"
				return 1 ;;
		esac
	done
}
