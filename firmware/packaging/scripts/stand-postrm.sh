#!/bin/sh
# qrstand postrm: on purge, the journal and installed updates go too; the
# user stays (files elsewhere may still belong to it).
set -e
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload || true
fi
if [ "$1" = purge ]; then
    rm -rf /var/lib/qrstand
fi
exit 0
