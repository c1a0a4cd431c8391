#!/usr/bin/env bash
# Starts or stops a throw-away Orthanc (with the DICOMweb plugin) for conformance checks of Lumen's DICOMweb API.
#
#   scripts/orthanc.sh start [STATE_DIR]   start Orthanc on 127.0.0.1 with a free HTTP port and empty storage;
#                                          prints `ORTHANC_URL=http://127.0.0.1:PORT` and `ORTHANC_DIR=STATE_DIR`
#   scripts/orthanc.sh stop STATE_DIR      stop the Orthanc started with that state folder and delete the folder
#
# Orthanc listens on loopback only, with remote access and authentication off and the DICOM (C-STORE) port on a free
# port as well; storage and index live in STATE_DIR (a new temporary folder by default). This script must not touch
# any other Orthanc instance or the system's /etc/orthanc configuration.
set -euo pipefail

ORTHANC_BIN="${ORTHANC_BIN:-/usr/sbin/Orthanc}"

find_plugin() {
    local p
    for p in /usr/share/orthanc/plugins/libOrthancDicomWeb.so /usr/lib/orthanc/libOrthancDicomWeb.so*; do
        [ -e "$p" ] && { echo "$p"; return 0; }
    done
    if command -v dpkg >/dev/null 2>&1; then
        p=$(dpkg -L orthanc-dicomweb 2>/dev/null | grep -m1 'libOrthancDicomWeb\.so' || true)
        [ -n "$p" ] && { echo "$p"; return 0; }
    fi
    return 1
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

cmd="${1:-}"
case "$cmd" in
start)
    [ -x "$ORTHANC_BIN" ] || { echo "orthanc.sh: $ORTHANC_BIN not found (apt-get install orthanc orthanc-dicomweb)" >&2; exit 2; }
    plugin=$(find_plugin) || { echo "orthanc.sh: DICOMweb plugin not found (apt-get install orthanc-dicomweb)" >&2; exit 2; }
    dir="${2:-$(mktemp -d -t lumen-orthanc.XXXXXX)}"
    mkdir -p "$dir/storage"
    http_port=$(free_port)
    dicom_port=$(free_port)
    cat >"$dir/orthanc.json" <<EOF
{
  "Name": "LUMEN-CONFORMANCE",
  "StorageDirectory": "$dir/storage",
  "IndexDirectory": "$dir/storage",
  "HttpServerEnabled": true,
  "HttpPort": $http_port,
  "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false,
  "DicomServerEnabled": false,
  "DicomPort": $dicom_port,
  "Plugins": ["$plugin"],
  "DicomWeb": { "Enable": true, "Root": "/dicom-web/", "EnableWado": false }
}
EOF
    "$ORTHANC_BIN" "$dir/orthanc.json" >"$dir/orthanc.log" 2>&1 &
    echo $! >"$dir/orthanc.pid"
    url="http://127.0.0.1:$http_port"
    for _ in $(seq 1 100); do
        if curl -fsS "$url/system" >/dev/null 2>&1; then
            echo "ORTHANC_URL=$url"
            echo "ORTHANC_DIR=$dir"
            exit 0
        fi
        if ! kill -0 "$(cat "$dir/orthanc.pid")" 2>/dev/null; then
            echo "orthanc.sh: Orthanc exited during start-up; log follows" >&2
            cat "$dir/orthanc.log" >&2
            exit 1
        fi
        sleep 0.2
    done
    echo "orthanc.sh: Orthanc did not answer on $url within 20 s; log: $dir/orthanc.log" >&2
    kill "$(cat "$dir/orthanc.pid")" 2>/dev/null || true
    exit 1
    ;;
stop)
    dir="${2:?usage: orthanc.sh stop STATE_DIR}"
    [ -f "$dir/orthanc.json" ] || { echo "orthanc.sh: $dir is not an Orthanc state folder made by this script" >&2; exit 2; }
    if [ -f "$dir/orthanc.pid" ]; then
        pid=$(cat "$dir/orthanc.pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start [STATE_DIR] | stop STATE_DIR" >&2
    exit 2
    ;;
esac
