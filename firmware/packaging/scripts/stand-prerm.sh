#!/bin/sh
# qrstand prerm: stop the daemon before its files go (not on upgrade:
# postinst restarts it into the new version).
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
    systemctl stop qrstand.service || true
    systemctl disable qrstand.service >/dev/null || true
fi
exit 0
