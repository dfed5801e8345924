"""Network namespaces for the scripts that record real traffic (scripts/capture/record.py,
bench/record.py): each run gets a namespace of its own whose `lo` has MTU 1500 and TSO/GSO/GRO
off, so segments are the size a real link gives and nothing else on the machine is captured.
Needs root (ip netns)."""

import shutil
import subprocess
import time


def sh(*args, check=True, **kw):
    return subprocess.run(list(args), check=check, **kw)


def wait_for(pred, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        time.sleep(0.05)
    raise RuntimeError(f"timeout waiting for {what}")


class Netns:
    """`with Netns(name) as ns:` creates the namespace (replacing a stale one of that name), sets
    up its lo, and deletes it on the way out."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        sh("ip", "netns", "del", self.name, check=False, stderr=subprocess.DEVNULL)
        sh("ip", "netns", "add", self.name)
        try:
            self.run("ip", "link", "set", "lo", "mtu", "1500", "up")
            if shutil.which("ethtool"):
                self.run("ethtool", "-K", "lo", "tso", "off", "gso", "off", "gro", "off",
                         check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except BaseException:
            self.__exit__()
            raise
        return self

    def cmd(self, *args):
        return ["ip", "netns", "exec", self.name, *args]

    def run(self, *args, **kw):
        return sh(*self.cmd(*args), **kw)

    def popen(self, *args, **kw):
        return subprocess.Popen(self.cmd(*args), **kw)

    def __exit__(self, *exc):
        sh("ip", "netns", "del", self.name, check=False)
