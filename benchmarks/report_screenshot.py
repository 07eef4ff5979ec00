"""Render a pilot report in headless Chromium, take a screenshot, and count requests leaving the page.

Chromium runs with a proxy on the loopback address that answers 403 to everything and records every
request sent to it, so nothing leaves the machine and any http(s) fetch by the page (an image, a
font, a script) arrives there. Chromium's own service traffic (component updates, sign-in, time
queries to Google hosts) also arrives there whatever the flags say; it is listed apart as
``browser_requests``. The report passes when the page made no request and the screenshot is not
blank.

    python benchmarks/report_screenshot.py outputs/run/<date>/report.html --out report.png
    python benchmarks/report_screenshot.py --selftest      # a page with an external image must be caught

Needs a Chromium binary (Debian: apt-get install chromium). Prints one JSON line:
{"requests": [...], "screenshot": "...", "blank": false, "ok": true}; exit status 0 when ok.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Self

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome", "headless_shell")
#: hosts of Chromium's own background services (not requests of the page)
BROWSER_HOSTS = ("update.googleapis.com", "accounts.google.com", "clients2.google.com", "clientservices.googleapis.com",
                 "safebrowsing.googleapis.com", "optimizationguide-pa.googleapis.com", "redirector.gvt1.com",
                 "content-autofill.googleapis.com", "www.google.com")


def is_browser_request(line: str) -> bool:
    """True for a request line (``GET http://host/...`` or ``CONNECT host:443``) to a browser-service host."""
    parts = line.split()
    if len(parts) < 2:
        return False
    target = parts[1].split("://", 1)[-1]
    host = target.split("/", 1)[0].split(":", 1)[0].lower()
    return host in BROWSER_HOSTS


def find_browser() -> str | None:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


class RecordingProxy:
    """A TCP listener on 127.0.0.1 that records the first line of every request and closes it."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.requests: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(2.0)
                try:
                    data = conn.recv(4096)
                except OSError:
                    data = b""
                line = data.split(b"\r\n", 1)[0].decode("latin-1", "replace")
                self.requests.append(line or "(connection without a request line)")
                try:
                    conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                except OSError:
                    pass

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


def screenshot(html: Path, out: Path, width: int = 1280, height: int = 2400, browser: str | None = None,
               timeout: float = 120.0) -> dict:
    """Render ``html`` to ``out`` (PNG); returns the requests seen by the proxy and whether the image is blank."""
    browser = browser or find_browser()
    if browser is None:
        raise SystemExit("no Chromium found (apt-get install chromium)")
    with RecordingProxy() as proxy, tempfile.TemporaryDirectory() as profile:
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--mute-audio",
               f"--window-size={width},{height}", f"--proxy-server=http://127.0.0.1:{proxy.port}",
               "--proxy-bypass-list=<-loopback>", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--disable-extensions", "--disable-default-apps", "--no-first-run",
               ("--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication,"
                "NetworkTimeServiceQuerying,ComponentUpdater,SafeBrowsing,CertificateTransparencyComponentUpdater"),
               "--disable-client-side-phishing-detection", "--disable-domain-reliability", "--no-pings",
               "--allow-browser-signin=false", "--disable-breakpad", "--metrics-recording-only",
               f"--user-data-dir={profile}", "--virtual-time-budget=3000", f"--screenshot={out}",
               html.resolve().as_uri()]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        requests = list(proxy.requests)
    if proc.returncode != 0 or not out.is_file():
        raise SystemExit(f"chromium failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    from PIL import Image

    image = Image.open(out).convert("L")
    lo, hi = image.getextrema()
    return {"requests": [r for r in requests if not is_browser_request(r)],
            "browser_requests": [r for r in requests if is_browser_request(r)],
            "screenshot": str(out), "size": list(image.size), "blank": hi - lo < 16}


def selftest(out_dir: Path) -> dict:
    """A page that fetches an external image: the proxy must see the request."""
    page = out_dir / "selftest.html"
    page.write_text('<!DOCTYPE html><html><body><h1>selftest</h1>'
                    '<img src="http://report-selftest.invalid/pixel.png"></body></html>')
    return screenshot(page, out_dir / "selftest.png", height=400)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", nargs="?", type=Path)
    parser.add_argument("--out", type=Path, default=None, help="PNG path (default: next to the report)")
    parser.add_argument("--height", type=int, default=2400)
    parser.add_argument("--selftest", action="store_true")
    ns = parser.parse_args(argv)
    if ns.selftest:
        with tempfile.TemporaryDirectory() as tmp:
            result = selftest(Path(tmp))
        result["ok"] = bool(result["requests"])  # the external image must have been caught
    else:
        if ns.report is None:
            parser.error("give a report.html (or --selftest)")
        out = ns.out or ns.report.with_suffix(".png")
        result = screenshot(ns.report, out, height=ns.height)
        result["ok"] = not result["requests"] and not result["blank"]
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
