#!/bin/sh
# qrstand postinst: the service user, its device groups, the unit.
set -e
if [ "$1" = configure ]; then
    if ! getent passwd qrstand >/dev/null; then
        adduser --system --group --home /var/lib/qrstand --no-create-home \
            --gecos "QR Stand daemon" qrstand
    fi
    # Device groups: spi, gpio and i2c exist on Raspberry Pi OS; lp, audio
    # and dialout on every Debian. Join those that exist.
    for g in spi gpio i2c lp audio dialout; do
        if getent group "$g" >/dev/null; then
            adduser qrstand "$g" >/dev/null
        fi
    done
    chown root:qrstand /etc/qrstand/qrstand.toml
    chmod 0640 /etc/qrstand/qrstand.toml
    if [ -d /run/udev ] && command -v udevadm >/dev/null; then
        udevadm control --reload-rules || true
        udevadm trigger --subsystem-match=usbmisc --subsystem-match=tty || true
    fi
    if [ -d /run/systemd/system ]; then
        systemctl daemon-reload
        systemctl enable qrstand.service >/dev/null
        # A stand with credentials starts (or restarts into the new
        # version); a fresh one waits for its provisioning file.
        if [ -n "$2" ] || grep -Eq '^(provision|device_id) *= *"[^"]+' /etc/qrstand/qrstand.toml; then
            systemctl restart qrstand.service || true
        fi
    fi
fi
exit 0
