#!/usr/bin/env python3
"""Records captures/app/mqtt-mqttjs.pcap + mqtt-mqttjs.truth.jsonl: the mosquitto broker of
record_mqtt.py and MQTT.js 4.3 (Debian node-mqtt) clients over WebSocket, MQTT 3.1.1 and 5.

Run as root: `scripts/capture/app/record_mqttjs.py` (deps: scripts/capture/app/install.sh).

Why a second MQTT capture: MQTT.js 4 hands each MQTT packet to its WebSocket stream in several
writes, and every write is a WebSocket message, so here MQTT packets are split across WebSocket
messages (paho and mosquitto never do that). The client is mqttjs_client.js; see its header for
the two kinds of truth lines (`unit` "ws-message" and "mqtt-packet").
"""

import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import appcap  # noqa: E402
import record_mqtt  # noqa: E402

PORT = record_mqtt.PORT


def run_clients(ns, tmp):
    logpath = os.path.join(tmp, "clients.jsonl")
    ns.run("env", "NODE_PATH=/usr/share/nodejs", "node", os.path.join(HERE, "mqttjs_client.js"), str(PORT), logpath,
           timeout=60)
    return logpath


def main():
    if len(sys.argv) != 1:
        sys.exit("usage: record_mqttjs.py   (as root)")
    if not shutil.which("mosquitto") or not os.path.isdir("/usr/share/nodejs/mqtt"):
        sys.exit("mosquitto / node-mqtt not installed (scripts/capture/app/install.sh)")
    appcap.record("mqtt-mqttjs", [PORT],
                  lambda ns, tmp: record_mqtt.with_broker(ns, tmp, run_clients, "mqtt-mqttjs.broker.log"))


if __name__ == "__main__":
    main()
