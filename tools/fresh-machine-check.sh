#!/usr/bin/env bash
# Runs CI (.ci/run) in a minimal Debian 12 chroot, as on a fresh machine.
#
#   sudo tools/fresh-machine-check.sh [--new] [CHROOT] [REPO]
#
# CHROOT (default /work/fresh) is made with debootstrap --variant=minbase
# when it does not exist, or anew with --new (about 30 s). Packages that an
# earlier run installed stay in a kept chroot, so only --new tests the
# installation from nothing. REPO (default: this clone) is cloned afresh into
# CHROOT/root/project, so only committed files take part. /proc is mounted for
# the run and unmounted afterwards.
set -euo pipefail

fresh=0
if [[ "${1:-}" == --new ]]; then
    fresh=1
    shift
fi
CHROOT="${1:-/work/fresh}"
REPO="${2:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"

if ((EUID != 0)); then
    echo "error: needs root (debootstrap, mount, chroot)" >&2
    exit 1
fi
command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y debootstrap

if mountpoint -q "$CHROOT/proc" 2>/dev/null; then umount "$CHROOT/proc"; fi
if ((fresh)); then rm -rf --one-file-system "$CHROOT"; fi
if [[ ! -d "$CHROOT/etc/apt" ]]; then
    start=$SECONDS
    debootstrap --variant=minbase bookworm "$CHROOT" http://deb.debian.org/debian
    # The same suites as an installed Debian 12 (and this host): main, updates, security.
    rm -f "$CHROOT/etc/apt/sources.list"
    cat >"$CHROOT/etc/apt/sources.list.d/debian.sources" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    echo "debootstrap: $((SECONDS - start)) s"
fi

rm -rf "$CHROOT/root/project"
git clone -q "$REPO" "$CHROOT/root/project"
git -C "$CHROOT/root/project" log --oneline -1
cp /etc/resolv.conf "$CHROOT/etc/resolv.conf"
mount -t proc proc "$CHROOT/proc"
trap 'umount "$CHROOT/proc"' EXIT

start=$SECONDS
status=0
chroot "$CHROOT" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    CI=true bash -c 'cd /root/project && bash .ci/run </dev/null' || status=$?
echo "fresh-machine CI: exit $status after $((SECONDS - start)) s"
exit "$status"
