#!/usr/bin/env bash
# Two QR Stand cloud nodes on one PostgreSQL database behind a private
# Mosquitto (dynamic security, started from cloud/deploy/mosquitto/
# mosquitto.conf with only ports and paths changed), plus the simulated
# stand. For trying scale-out on one machine; see cloud/docs/scale.md.
#
#   cloud/deploy/two-nodes.sh            # from the repository root; Ctrl-C stops everything
#
# Needs: mosquitto + mosquitto_ctrl (Debian: apt install mosquitto
# mosquitto-clients), PostgreSQL on 127.0.0.1:5432 (trust auth as postgres).
# Ports: Mosquitto 18830, node 1 http://127.0.0.1:8081, node 2 :8082, stand
# simulator :8090. State lives in ./.run-two (delete it to start over;
# dropdb -h 127.0.0.1 -U postgres qrstand_two drops the database).
set -euo pipefail
DIR=$PWD/.run-two
PG_ADMIN=${PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
DSN=${DSN:-postgres://postgres@127.0.0.1:5432/qrstand_two?sslmode=disable}
MQTT_PORT=${MQTT_PORT:-18830}
mkdir -p "$DIR"/mq "$DIR"/node1 "$DIR"/node2 .build
go build -o .build/ ./cloud/cmd/qrstand-cloud ./firmware/cmd/qrstand

# Mosquitto: the documented config on a loopback port, no TLS listener.
if [ ! -f "$DIR/mq/dynamic-security.json" ]; then
  mosquitto_ctrl dynsec init "$DIR/mq/dynamic-security.json" qrstand_admin two-nodes-admin >/dev/null
fi
sed -e "s|^listener 1883 127.0.0.1|listener $MQTT_PORT 127.0.0.1|" \
    -e "s|/var/lib/mosquitto/|$DIR/mq/|g" \
    -e '/^listener 8883/,/^tls_version/d' \
    cloud/deploy/mosquitto/mosquitto.conf > "$DIR/mq/mosquitto.conf"
# Root would drop to the mosquitto user, which cannot write $DIR.
[ "$(id -u)" = 0 ] && echo "user root" >> "$DIR/mq/mosquitto.conf"

psql "$PG_ADMIN" -qtc "SELECT 1 FROM pg_database WHERE datname = 'qrstand_two'" | grep -q 1 ||
  psql "$PG_ADMIN" -qc "CREATE DATABASE qrstand_two"

[ -f "$DIR/secret.key" ] || head -c 32 /dev/urandom | base64 > "$DIR/secret.key"
[ -f "$DIR/broker.pw" ] || head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$DIR/broker.pw"
# One deployment: the same database, broker and keys on every node.
export QRSTAND_DEV=1 QRSTAND_DATABASE=postgres QRSTAND_POSTGRES_DSN=$DSN
export QRSTAND_SECRET_KEY=$(cat "$DIR/secret.key")
export QRSTAND_BROKER_KIND=mosquitto QRSTAND_BROKER_URL=tcp://127.0.0.1:$MQTT_PORT
export QRSTAND_BROKER_PASSWORD=$(cat "$DIR/broker.pw")
export QRSTAND_BROKER_ADMIN_USER=qrstand_admin QRSTAND_BROKER_ADMIN_PASSWORD=two-nodes-admin

pids=()
trap 'kill -INT "${pids[@]}" 2>/dev/null; wait; exit 0' INT TERM
mosquitto -c "$DIR/mq/mosquitto.conf" 2>"$DIR/mq/mosquitto.log" & pids+=($!)
until (exec 3<>/dev/tcp/127.0.0.1/$MQTT_PORT) 2>/dev/null; do sleep 0.1; done
# Node 1 first: it migrates and (dev mode) seeds the demo logins and the
# demo stand; node 2 is a plain sandbox node (dev seeding would hand out a
# new pairing code).
.build/qrstand-cloud -node node-1 -data "$DIR/node1" -http 127.0.0.1:8081 -metrics 127.0.0.1:9465 2>"$DIR/node1.log" & pids+=($!)
until curl -sf http://127.0.0.1:8081/healthz >/dev/null; do sleep 0.2; done
QRSTAND_DEV=0 QRSTAND_SANDBOX=1 .build/qrstand-cloud -node node-2 -data "$DIR/node2" -http 127.0.0.1:8082 -metrics 127.0.0.1:9466 2>"$DIR/node2.log" & pids+=($!)
until curl -sf http://127.0.0.1:8082/healthz >/dev/null; do sleep 0.2; done
.build/qrstand -sim "$DIR/stand" -provision "$DIR/node1/demo-stand.json" -http 127.0.0.1:8090 2>"$DIR/stand.log" & pids+=($!)
echo "two-nodes: node 1 http://127.0.0.1:8081  node 2 http://127.0.0.1:8082  stand http://127.0.0.1:8090"
echo "two-nodes: logs in $DIR/*.log; kill one node (kill -9) and pay again: the other delivers. Ctrl-C stops all."
wait
