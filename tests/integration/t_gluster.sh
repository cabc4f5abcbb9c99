#!/usr/bin/env bash
# t_gluster.sh - the HAProxy scenario of t_haproxy.sh (balanced.sh) with the
# two ferryd instances on two separate FUSE mounts of one GlusterFS volume
# (issue 11), plus a cross-mount lock check: a part held through one
# mount is busy through the other.  The test starts its own glusterd
# (private working directory, bound to 127.0.0.2), a volume on a brick in
# its temporary directory (created with `force`, client.strict-locks on),
# mounts it twice, and at the end unmounts, stops and deletes it all.  If
# GlusterFS cannot start, the test fails and says why.  Label integration;
# needs root; installs glusterfs-server, glusterfs-client and haproxy.
source "$(dirname "$0")/../e2e/lib.sh" "$@"
source "$(dirname "$0")/packages.sh"
[[ -n $FAULTPROXY && -n $PROBE ]] || { fail "faultproxy and fr_probe must be built"; finish; }
[[ $(id -u) == 0 ]] || { fail "GlusterFS needs root here (glusterd, FUSE mounts)"; finish; }
need_packages haproxy:haproxy python3:python3 glusterd:glusterfs-server mount.glusterfs:glusterfs-client
[[ -c /dev/fuse ]] || { fail "GlusterFS cannot start: no /dev/fuse"; finish; }
if pids=$(pgrep -x glusterd); then
	fail "GlusterFS cannot start: a glusterd is already running (pid $pids); this test runs its own"
	finish
fi

GD=$T/gluster
VOL=ferrytest$$
mkdir -p "$GD/gd" "$GD/brick" "$GD/m1" "$GD/m2" "$GD/log"
GL=(timeout 60 gluster --mode=script)
RUN_DIR_EXISTED=
[[ -d /var/run/gluster ]] && RUN_DIR_EXISTED=1
GPID=
MOUNTED=()

gluster_cleanup() {
	local m p
	for m in "${MOUNTED[@]}"; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	MOUNTED=()
	if [[ -n $GPID ]]; then
		"${GL[@]}" volume stop "$VOL" >/dev/null 2>&1
		"${GL[@]}" volume delete "$VOL" >/dev/null 2>&1
		# brick processes of our volume that survived the stop
		for p in /var/run/gluster/vols/"$VOL"/*.pid; do
			[[ -f $p ]] && kill -KILL "$(cat "$p")" 2>/dev/null
		done
		kill -TERM "$GPID" 2>/dev/null
		wait "$GPID" 2>/dev/null
		GPID=
	fi
	rm -rf "/var/run/gluster/vols/$VOL"
	rm -f /var/log/glusterfs/bricks/"${GD//\//-}"*.log /var/log/glusterfs/bricks/"${GD#/}"*.log
	rm -f "/var/log/glusterfs/bricks/$(echo "${GD#/}/brick" | tr / -).log"
	[[ -n $RUN_DIR_EXISTED ]] || rm -rf /var/run/gluster
}
trap 'rc=$?; gluster_cleanup; (exit $rc); on_exit' EXIT

# gluster_failed STEP: the test fails, naming the step and GlusterFS's own
# last error.
gluster_failed() {
	fail "GlusterFS cannot start: $1"
	grep -hE '\] (E|C) \[' "$GD/log/"*.log /var/log/glusterfs/bricks/*.log 2>/dev/null | tail -3 | sed 's/^/  | /'
	[[ -s $GD/out ]] && tail -3 "$GD/out" | sed 's/^/  | /'
	finish
}

cat >"$GD/glusterd.vol" <<EOF
volume management
    type mgmt/glusterd
    option working-directory $GD/gd
    option transport-type socket
    option transport.socket.bind-address 127.0.0.2
    option transport.socket.listen-port 24007
    option ping-timeout 0
    option event-threads 1
    option base-port 49152
    option max-port 49300
end-volume
EOF
glusterd -N -f "$GD/glusterd.vol" -p "$GD/glusterd.pid" -l "$GD/log/glusterd.log" >"$GD/out" 2>&1 &
GPID=$!
wait_until 30 "${GL[@]}" pool list || gluster_failed "glusterd did not answer within 30 s"
"${GL[@]}" volume create "$VOL" "127.0.0.2:$GD/brick" force >"$GD/out" 2>&1 ||
	gluster_failed "volume create: $(tail -1 "$GD/out")"
"${GL[@]}" volume set "$VOL" client.strict-locks on >"$GD/out" 2>&1 ||
	gluster_failed "volume set client.strict-locks on: $(tail -1 "$GD/out")"
"${GL[@]}" volume start "$VOL" >"$GD/out" 2>&1 || gluster_failed "volume start: $(tail -1 "$GD/out")"
for m in m1 m2; do
	timeout 60 mount -t glusterfs -o "log-file=$GD/log/$m.log" "127.0.0.2:/$VOL" "$GD/$m" >"$GD/out" 2>&1 ||
		gluster_failed "mount $m: $(tail -1 "$GD/out")"
	MOUNTED+=("$GD/$m")
done
echo shared >"$GD/m1/hello"
expect_eq shared "$(cat "$GD/m2/hello" 2>/dev/null)" "GlusterFS is up: a file written through one mount reads through the other"
rm -f "$GD/m1/hello"

make_pki
ROOT_A=$GD/m1
ROOT_B=$GD/m2
same_root() { echo "$ROOT_A/$1"; }
source "$(dirname "$0")/balanced.sh"
expect_grep 'file system of --root: fuse\.glusterfs' "$LOG_1" "the start-up probe names GlusterFS"

# ---- locks are cluster-wide: a part held through m1 is busy through m2 ----
printf '%s\n' 'send {"op":"put","path":"lock.bin","size":3000000}' recv 'body 1000000 random' 'sleep 4' abort |
	timeout 30 "$PROBE" -s "127.0.0.1:$PORT_1" --ca "$CA" --cert "$CLI_CRT" --key "$CLI_KEY" >"$T/l1.out" &
holder=$!
expect_true "instance 1 (mount m1) holds a part" wait_until 15 bash -c '[[ $(stat -c %s "$1"/.ferry-part.* 2>/dev/null | sort -n | tail -1) == 1000000 ]]' _ "$ROOT_B"
printf '%s\n' 'send {"op":"put","path":"lock.bin","size":3000000,"resume":true}' recv abort |
	timeout 30 "$PROBE" -s "127.0.0.1:$PORT_2" --ca "$CA" --cert "$CLI_CRT" --key "$CLI_KEY" >"$T/l2.out"
expect_grep '"code":"busy"' "$T/l2.out" "instance 2 (mount m2): resuming that part is busy (strict-locks)"
wait "$holder"
printf '%s\n' 'send {"op":"put","path":"lock.bin","size":3000000,"resume":true}' recv abort |
	timeout 30 "$PROBE" -s "127.0.0.1:$PORT_2" --ca "$CA" --cert "$CLI_CRT" --key "$CLI_KEY" >"$T/l2.out"
expect_grep '"offset":1000000,' "$T/l2.out" "once released, instance 2 resumes it through the other mount"
for pid in "${!SERVER_LOG[@]}"; do stop_server "$pid"; done
finish
