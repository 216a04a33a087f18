#!/bin/sh
# qrstand-cloud postrm: on purge, the SQLite data goes too (a PostgreSQL
# database is the operator's to drop).
set -e
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload || true
fi
if [ "$1" = purge ]; then
    rm -rf /var/lib/qrstand-cloud
fi
exit 0
