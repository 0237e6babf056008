#!/usr/bin/env bash
# e2e.sh -- end-to-end tests against a real GlusterFS lab (npm run test:e2e).
#
# Brings up the lab (scripts/lab: LAB_NODES nodes, default 4, each with LAB_DISKS disks of
# LAB_DISK_SIZE, default 2 x 10G; 4 nodes so that a replica-3 create can retry around a node whose
# glusterd is down, test/e2e/lifecycle.e2e.test.ts step 7), runs `vitest -c vitest.e2e.config.ts` with any arguments given
# here, and ALWAYS takes the lab down again on exit (EXIT trap), also after a failure or Ctrl-C.
# Needs root on Linux; the first run apt-installs glusterfs, lvm2, openssh etc. (see scripts/lab).
# The lab's location: GLAB_DIR / GLAB_NET / GLAB_NAME (defaults /tmp/glusterlab, 10.99.0, glab).
set -euo pipefail

ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
LAB="$ROOT/scripts/lab"
NODES=${LAB_NODES:-4}
DISKS=${LAB_DISKS:-2}
DISK_SIZE=${LAB_DISK_SIZE:-10G}
export GLAB_DIR=${GLAB_DIR:-/tmp/glusterlab}

say() { printf '[e2e %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

[ "$(id -u)" = 0 ] || { say "must run as root (the lab creates namespaces, loop devices, mounts)"; exit 1; }

lab_down() {
  local rc=$?
  trap - EXIT
  trap '' INT TERM HUP
  say "taking the lab down"
  "$LAB" down || say "WARNING: lab down failed; run: GLAB_DIR=$GLAB_DIR $LAB down"
  exit "$rc"
}
trap lab_down EXIT
# turn signals into a normal exit so the EXIT trap runs once, with a failing status
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if "$LAB" is-up; then
  say "a lab is already up in $GLAB_DIR (left over?): taking it down first"
  "$LAB" down
fi

t0=$(date +%s.%N)
"$LAB" up "$NODES" --disks "$DISKS" --disk-size "$DISK_SIZE"
say "lab up in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')s"

# What the tests read: the lab itself (scripts/lab env --json, found through GLAB_DIR), and this.
eval "$("$LAB" env)"
export GLAB_DIR BRICKYARD_E2E=1

cd "$ROOT"
set +e
npx vitest run -c vitest.e2e.config.ts "$@"
rc=$?
set -e
exit "$rc"
