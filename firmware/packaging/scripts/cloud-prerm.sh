#!/bin/sh
# qrstand-cloud prerm: stop the service before its files go.
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
    systemctl stop qrstand-cloud.service || true
    systemctl disable qrstand-cloud.service >/dev/null || true
fi
exit 0
