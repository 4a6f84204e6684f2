# lib.sh holds what the bench and drill scripts share; they source it.

# free_port: a loopback port nobody listens on, between 20000 and 31999 — below the kernel's
# ephemeral range, so that a stack's own outgoing connections cannot take it first — and never
# one this script handed out before (a stack not yet listening on its ports must not get them
# twice). The ports handed out are kept in the file FREE_PORTS_FILE, which the script sets in
# its own work folder, since each $(free_port) is a subshell.
free_port() {
	local p
	: "${FREE_PORTS_FILE:?set FREE_PORTS_FILE to a file in the work folder of the script}"
	while :; do
		p=$((20000 + RANDOM % 12000))
		if ! grep -qx "$p" "$FREE_PORTS_FILE" 2>/dev/null && ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
			echo "$p" >>"$FREE_PORTS_FILE"
			echo "$p"
			return
		fi
	done
}
