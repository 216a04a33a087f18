#!/bin/sh
# qrstand-cloud postinst: the service user and the unit.
set -e
if [ "$1" = configure ]; then
    if ! getent passwd qrstand-cloud >/dev/null; then
        adduser --system --group --home /var/lib/qrstand-cloud --no-create-home \
            --gecos "QR Stand cloud" qrstand-cloud
    fi
    chown root:qrstand-cloud /etc/qrstand-cloud/qrstand-cloud.env
    chmod 0640 /etc/qrstand-cloud/qrstand-cloud.env
    if [ -d /run/systemd/system ]; then
        systemctl daemon-reload
        systemctl enable qrstand-cloud.service >/dev/null
        if [ -n "$2" ]; then
            systemctl restart qrstand-cloud.service || true
        fi
    fi
fi
exit 0
