"""Screenshot a web page after it has run for a while, in headless Chromium (how docs/live-view.png
was made; README, "Watch a session live").

    python3 docs/screenshot.py URL OUT.png [--seconds 25] [--size 1400x900]

`chromium --headless --screenshot` shoots at the load event, before rerun's viewer (WebAssembly)
has started, and `--virtual-time-budget` does not wait for it either; so this starts Chromium with
its DevTools port on loopback, opens the page, waits in real time, and asks for the screenshot over
the DevTools protocol. Needs only the standard library and Debian's `chromium`. WebGL runs on
SwiftShader (software), which the viewer flags as "Software rasterizer".
"""
import argparse
import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

MAX_MESSAGE_BYTES = 64 << 20  # a 1400x900 PNG in base64 is a few MB at most


class WebSocket:
    """The client side of RFC 6455, just enough for the DevTools protocol (text frames)."""

    def __init__(self, url: str, timeout: float):
        parts = urllib.parse.urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk or len(head) > 8192:
                raise RuntimeError(f"DevTools at {url} did not answer the WebSocket handshake: {head[:200]!r}")
            head += chunk
        if not head.startswith(b"HTTP/1.1 101"):
            raise RuntimeError(f"DevTools at {url} refused the WebSocket upgrade: {head.splitlines()[0]!r}")

    def _read(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise RuntimeError("DevTools closed the connection")
            data += chunk
        return data

    def send(self, text: str) -> None:
        payload, mask = text.encode(), os.urandom(4)
        n = len(payload)
        length = bytes([0x80 | n]) if n < 126 else (bytes([0x80 | 126]) + struct.pack(">H", n) if n < 1 << 16
                                                    else bytes([0x80 | 127]) + struct.pack(">Q", n))
        self.sock.sendall(bytes([0x81]) + length + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def receive(self) -> str:
        message = b""
        while True:
            first, second = self._read(2)
            n = second & 0x7F
            n = struct.unpack(">H", self._read(2))[0] if n == 126 else struct.unpack(">Q", self._read(8))[0] if n == 127 else n
            if len(message) + n > MAX_MESSAGE_BYTES:
                raise RuntimeError(f"DevTools message of more than {MAX_MESSAGE_BYTES} bytes: refused")
            message += self._read(n)
            if first & 0x80:
                return message.decode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("out", help="PNG file to write")
    parser.add_argument("--seconds", type=float, default=25.0, help="real time to let the page run (default 25)")
    parser.add_argument("--size", default="1400x900", help="page size in pixels, WIDTHxHEIGHT (default 1400x900)")
    parser.add_argument("--port", type=int, default=19222, help="DevTools port on 127.0.0.1 (default 19222)")
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if chromium is None:
        print("screenshot: no `chromium` on PATH; on Debian: apt-get install -y chromium", file=sys.stderr)
        return 2
    width, height = (int(v) for v in args.size.split("x"))
    profile = tempfile.mkdtemp(prefix="pckit-screenshot-")
    browser = subprocess.Popen([chromium, "--headless", "--no-sandbox", "--use-gl=angle", "--use-angle=swiftshader",
                                "--enable-unsafe-swiftshader", "--hide-scrollbars", f"--window-size={width},{height}",
                                "--remote-debugging-address=127.0.0.1", f"--remote-debugging-port={args.port}",
                                f"--user-data-dir={profile}", "about:blank"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        page, deadline = None, time.monotonic() + 30
        while page is None:
            try:
                targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{args.port}/json", timeout=1))
                page = next(t for t in targets if t["type"] == "page")
            except (OSError, StopIteration, ValueError):
                if time.monotonic() > deadline or browser.poll() is not None:
                    print(f"screenshot: Chromium's DevTools did not come up on port {args.port} within 30 s "
                          f"(exit code {browser.poll()}); is the port taken? try --port", file=sys.stderr)
                    return 1
                time.sleep(0.2)
        ws = WebSocket(page["webSocketDebuggerUrl"], timeout=60)
        calls = 0

        def call(method, **params):
            nonlocal calls
            calls += 1
            ws.send(json.dumps({"id": calls, "method": method, "params": params}))
            while True:
                reply = json.loads(ws.receive())
                if reply.get("id") == calls:
                    if "error" in reply:
                        raise RuntimeError(f"DevTools {method} failed: {reply['error']}")
                    return reply["result"]

        # The page gets exactly WIDTHxHEIGHT (a headless window's own size leaves less to the page).
        call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        call("Page.navigate", url=args.url)
        time.sleep(args.seconds)
        png = base64.b64decode(call("Page.captureScreenshot", format="png")["data"])
        with open(args.out, "wb") as f:
            f.write(png)
        print(f"wrote {args.out} ({len(png)} bytes)")
        return 0
    finally:
        browser.terminate()
        browser.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
