# shellcheck shell=bash
# A copy of the source tree and of the built probes that an ordinary user can
# read and run, wherever the checkout is: under /root or a 0700 home, or on a
# read-only tree. It is root's and 0755: the user reads it but cannot write
# to it, so run-tests.sh runs the probes of the copied build as they are
# instead of building there. Tests that run the suite as another user load
# this file (`load user-copy`) and remove the copy in teardown.

# The ordinary user: nobody.
NOBODY=65534

# user_copy [FILE...]: make the copy, from IPCNS_SRC and IPCNS_BUILD; set
# USER_COPY (the directory), USER_SRC (its tree) and USER_BUILD (its build,
# for --build). FILEs (a helper program, say) are copied into USER_COPY.
user_copy() {
	local f
	USER_COPY=$(mktemp -d /tmp/ipcns-user.XXXXXX) || return 1
	USER_SRC=$USER_COPY/src USER_BUILD=$USER_COPY/build
	mkdir "$USER_SRC" "$USER_BUILD" || return 1
	for f in "$IPCNS_SRC"/*; do
		# Meson builds in the tree (build/ and the like): only the probes of
		# IPCNS_BUILD are needed, below.
		[ -e "$f/meson-private" ] && continue
		cp -R "$f" "$USER_SRC/" || return 1
	done
	cp -R "$IPCNS_BUILD/probes" "$USER_BUILD/" || return 1
	# A probe the build links from the source tree (probe-util-linux) must
	# point into the copy: the user may not read the original.
	for f in "$USER_BUILD"/probes/*; do
		[ -L "$f" ] || continue
		case $(readlink "$f") in
			"$IPCNS_SRC"/*) ln -sfn "$USER_SRC/$(realpath --relative-to="$IPCNS_SRC" "$(readlink "$f")")" "$f" ;;
		esac
	done
	[ $# -eq 0 ] || cp "$@" "$USER_COPY/" || return 1
	# The checkout may have been made with umask 077.
	chmod -R a+rX,go-w "$USER_COPY"
}

# user_probes: a copy of the built probes alone (IPCNS_PROBES, else
# IPCNS_BUILD/probes), for tests that run probes as the ordinary user; sets
# USER_COPY and USER_PROBES.
user_probes() {
	USER_COPY=$(mktemp -d /tmp/ipcns-user.XXXXXX) || return 1
	USER_PROBES=$USER_COPY/probes
	cp -R "${IPCNS_PROBES:-$IPCNS_BUILD/probes}" "$USER_PROBES" || return 1
	chmod -R a+rX,go-w "$USER_COPY"
}

# as_user CMD...: CMD as the ordinary user, with TMPDIR=/tmp and in the copy
# (Bats returns to the directory it started in, which the user must be able
# to enter: meson's build directory may be under /root).
as_user() {
	setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups env -C "$USER_COPY" TMPDIR=/tmp "$@"
}

# user_copy_remove: remove the copy, if one was made.
user_copy_remove() {
	[ -z "${USER_COPY:-}" ] || rm -rf "$USER_COPY"
	return 0
}
