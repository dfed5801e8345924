#!/usr/bin/env python3
"""Records the benchmark capture (called by run.sh, runs as root).

    record.py OUT.pcap --size-mb N [--shape many|single|short] [--connections C]
    record.py OUT.jsonl --size-mb N --live WSTAP     (live.sh: `wstap sniff` instead of tcpdump)

Shapes: `many` (default) is C connections (default 16) sending at once until the capture holds
N MiB; `single` is the same with one connection (nothing to spread over threads); `short` is C
short connections (default 2,000; traffic.py --short: handshake with permessage-deflate, a
handful of messages, close), sized so that together they make about N MiB.

Runs traffic.py's server and client in a network namespace of their own whose `lo` has MTU 1500
and TSO/GSO/GRO off (as scripts/capture/record.py does), so segments are the size a real link
gives; tcpdump writes OUT.pcap and, once it holds N MiB, the peers are told to stop.  Their logs
are merged into OUT.truth.jsonl (one line per connection and direction).  The capture is written
to a temporary name and renamed at the end, so an interrupted run never leaves a capture that
looks complete.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "scripts"))
from netns import Netns, sh, wait_for  # noqa: E402
PORT = 9300
NS = "wstap-bench"
SHAPES = {"many": 16, "single": 1, "short": 2000}  # default connections of each shape



def lo_bytes(ns):
    """Bytes sent on the namespace's lo so far (each packet once)."""
    out = subprocess.run(ns.cmd("cat", "/sys/class/net/lo/statistics/tx_bytes"), check=True,
                         capture_output=True, text=True).stdout
    return int(out)


def write_progress(path, size):
    """The capture's size so far, for traffic.py --short (renamed into place: never half-written)."""
    with open(path + ".tmp", "w") as f:
        f.write(str(size))
    os.replace(path + ".tmp", path)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--size-mb", type=int, required=True)
    p.add_argument("--shape", choices=SHAPES, default="many")
    p.add_argument("--connections", type=int, help="default: 16 (many), 1 (single), 2000 (short)")
    p.add_argument("--tls", action="store_true",
                   help="the same traffic over TLS 1.3 AES-128-GCM (wss://); the client's key log goes to OUT.keylog")
    p.add_argument("--live", metavar="WSTAP",
                   help="decode live with `WSTAP sniff --format jsonl` into OUT instead of recording a "
                        "pcap; N MiB is then counted on lo's byte counter")
    args = p.parse_args()
    if args.connections is None:
        args.connections = SHAPES[args.shape]
    if args.shape == "single" and args.connections != 1:
        p.error("--shape single is one connection")
    if args.connections < 1:
        p.error("--connections must be positive")
    target = args.size_mb << 20
    short = args.shape == "short"

    tmp = tempfile.mkdtemp(prefix="wstap-bench-")
    os.chmod(tmp, 0o777)
    pcap = args.out + ".partial"
    slog, clog = os.path.join(tmp, "server.jsonl"), os.path.join(tmp, "client.jsonl")
    ready, stop = os.path.join(tmp, "ready"), os.path.join(tmp, "stop")
    progress = os.path.join(tmp, "progress")
    errpath = os.path.join(tmp, "tcpdump.stderr")
    procs = []
    namespace = Netns(NS).__enter__()
    ns = namespace.cmd
    try:
        err = open(errpath, "w")
        # A 512 MiB kernel buffer: the peers can outrun tcpdump's writes for a moment on a busy
        # machine, and a dropped packet would be a lost message in the check.
        if args.live:
            out = open(pcap, "w")
            dump = subprocess.Popen(ns(args.live, "sniff", "-i", "lo", "--filter", f"tcp port {PORT}",
                                       "--format", "jsonl"), stdout=out, stderr=err)
        else:
            dump = subprocess.Popen(ns("tcpdump", "-Z", "root", "-s", "0", "-B", "524288", "-i", "lo",
                                       "-w", pcap, f"tcp port {PORT}"),
                                    stdout=subprocess.DEVNULL, stderr=err)
        procs.append(dump)
        wait_for(lambda: "listening on" in open(errpath).read() or dump.poll() is not None, 15,
                 "tcpdump")
        if dump.poll() is not None:
            raise RuntimeError("tcpdump died: " + open(errpath).read())
        py = sys.executable
        traffic = os.path.join(HERE, "traffic.py")
        server_tls, client_tls, env = [], [], None
        if args.tls:
            cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                            "-days", "2", "-subj", "/CN=localhost"], check=True, capture_output=True)
            conf = os.path.join(tmp, "openssl.cnf")
            with open(conf, "w") as f:
                f.write("openssl_conf = default_conf\n[default_conf]\nssl_conf = ssl_sect\n[ssl_sect]\n"
                        "system_default = system_default_sect\n[system_default_sect]\n"
                        "Ciphersuites = TLS_AES_128_GCM_SHA256\n")
            env = dict(os.environ, OPENSSL_CONF=conf)
            server_tls = ["--tls", "--cert", cert, "--key", key]
            client_tls = ["--tls", "--keylog", args.out + ".keylog.partial"]
        server = subprocess.Popen(ns(py, traffic, "server", "--port", str(PORT), "--log", slog,
                                     "--ready", ready, "--stop", stop, "--connections", str(args.connections),
                                     *server_tls), env=env)
        procs.append(server)
        wait_for(lambda: os.path.exists(ready), 30, "server ready")
        short_args = ["--short", "--target-bytes", str(target), "--progress", progress] if short else []
        base = lo_bytes(namespace)
        write_progress(progress, 0)
        client = subprocess.Popen(ns(py, traffic, "client", "--port", str(PORT), "--log", clog,
                                     "--connections", str(args.connections), "--stop", stop,
                                     *short_args, *client_tls), env=env)
        procs.append(client)
        started = time.time()
        last = 0
        while not os.path.exists(stop):
            if args.live:
                size = lo_bytes(namespace) - base
            else:
                size = os.path.getsize(pcap) if os.path.exists(pcap) else 0
            if short:
                # Short connections end by themselves; the client sizes them from this file.
                write_progress(progress, size)
                if client.poll() is not None:
                    break
            elif size >= target:
                open(stop, "w").close()
            elif client.poll() is not None:
                raise RuntimeError("the client ended early")
            if time.time() - last > 5:
                print(f"[record] {size >> 20} / {args.size_mb} MiB "
                      f"({time.time() - started:.0f} s)", flush=True)
                last = time.time()
            time.sleep(0.2)
        if client.wait(timeout=300) != 0:
            raise RuntimeError("the client failed")
        if server.wait(timeout=60) != 0:
            raise RuntimeError("the server failed")
        traffic_seconds = time.time() - started
        # tcpdump stops at SIGINT without draining its kernel buffer, which may still hold the
        # last packets on a busy machine: wait until the file stops growing first.
        stable_since, last_size = time.time(), -1
        while time.time() - stable_since < 2.0:
            size = os.path.getsize(pcap)
            if size != last_size:
                stable_since, last_size = time.time(), size
            time.sleep(0.1)
        dump.send_signal(signal.SIGINT)
        cpu = None
        if args.live:
            # wait4 gives the CPU time sniff used: the headroom left at this packet rate.
            _, code, usage = os.wait4(dump.pid, 0)
            dump.returncode = os.waitstatus_to_exitcode(code)
            cpu = usage.ru_utime + usage.ru_stime
        else:
            dump.wait(timeout=60)
        err.close()
        stats = open(errpath).read().strip().replace("\n", " | ")
        print("[record] " + ("sniff" if args.live else "tcpdump") + ":", stats, flush=True)
        lines = []
        for path in (clog, slog):
            with open(path) as f:
                lines += [line for line in f if line.strip()]
        if len(lines) != 2 * args.connections:
            raise RuntimeError(f"expected {2 * args.connections} truth lines, got {len(lines)}")
        with open(args.out + ".truth.jsonl", "w") as f:
            f.writelines(sorted(lines))
        if args.tls:
            os.rename(args.out + ".keylog.partial", args.out + ".keylog")
        os.rename(pcap, args.out)
        if args.live:
            print(f"[record] live: {(lo_bytes(namespace) - base) >> 20} MiB on lo in {traffic_seconds:.1f} s of "
                  f"traffic", flush=True)
            with open(args.out + ".seconds", "w") as f:
                f.write(f"{traffic_seconds:.3f} {lo_bytes(namespace) - base} {cpu:.2f}\n")
        print(f"[record] {args.out}: {os.path.getsize(args.out) >> 20} MiB in "
              f"{time.time() - started:.0f} s", flush=True)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        namespace.__exit__()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
