# shellcheck shell=bash disable=SC2034 # RC, OUT, ERR, ROWS are the caller's
# The verbs of probe-util-linux (sourced): a tool call bounded by timeout(1),
# its output and first line of stderr, the rows ipcs and lsipc list, a cell's
# line, and signals held off while something that cleanup must undo is made.
# Uses IPCNS_TIMEOUT and WORK (a directory of the probe's own).

t() { timeout -k 1 "$IPCNS_TIMEOUT" "$@"; }

# observe MECH SCENARIO NAMESPACES OBSERVED DETAIL
observe() {
	printf 'OBSERVE\t%s\t%s\tutil-linux\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "${5//$'\t'/ }"
}

# capture CMD...: RC, OUT, and ERR (the first line of stderr).
capture() {
	RC=0
	OUT=$("$@" 2>"$WORK/err") || RC=$?
	ERR=""
	IFS= read -r ERR <"$WORK/err"
}

# ipcs_rows [CMD...]: "KIND KEY ID" for every object that ipcs lists (run
# through CMD, e.g. "unshare --ipc --"), in ROWS; false if ipcs failed.
ipcs_rows() {
	capture t "$@" ipcs
	ROWS=$(awk '/Message Queues/ { k = "q" } /Shared Memory/ { k = "m" }
		/Semaphore Arrays/ { k = "s" } $1 ~ /^0x/ { print k, $1, $2 }' <<<"$OUT")
	[ "$RC" = 0 ] && [[ $OUT == *"Message Queues"* ]]
}

# lsipc_rows [CMD...]: the same rows, from lsipc --json.
lsipc_rows() {
	# shellcheck disable=SC2016 # expanded by that sh
	capture t "$@" sh -c 'for k in q s m; do echo "$k"; lsipc -"$k" --json -o KEY,ID || exit; done'
	ROWS=$(awk '/^[qsm]$/ { k = $0 } /"key":/ { gsub(/[",]/, "", $2); key = $2 }
		/"id":/ { gsub(/[",]/, "", $2); print k, key, $2 }' <<<"$OUT")
	[ "$RC" = 0 ]
}

# key_of ROWS KIND ID: the key ROWS give for that id.
key_of() {
	awk -v k="$2" -v id="$3" '$1 == k && $3 == id { print $2 }' <<<"$1"
}

# A signal while CMD makes something that cleanup must undo waits until
# end_critical, when what was made is on record.
critical() {
	CRITICAL=1
	"$@"
}

end_critical() {
	CRITICAL=""
	[ -z "$PENDING" ] || exit "$PENDING"
}

on_signal() {
	if [ -n "$CRITICAL" ]; then PENDING=$1; else exit "$1"; fi
}
