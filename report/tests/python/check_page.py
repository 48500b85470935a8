#!/usr/bin/env python3
"""Loads an HTML page in headless Chromium and checks that it renders cleanly.

Drives the browser over the Chrome DevTools Protocol on a pipe (--remote-debugging-pipe: JSON messages
ending in NUL on file descriptors 3 and 4), so it needs only the standard library and the given
Chromium binary: no browser is downloaded, no port is opened.

Checks: the page loads; its <section> ids are the expected ones; it has the expected number of <svg>
elements, each laid out with a nonzero size and drawn content; every <img> has loaded with a nonzero
size; no console error, uncaught exception, log error or failed load; no request leaves the file
(anything but file: and data: URLs).

usage: check_page.py CHROMIUM PAGE [--sections a,b,c] [--svgs N] [--screenshot OUT.png]
Prints one line per problem and exits 1 if there is any; exits 0 otherwise.
"""

import argparse
import base64
import json
import os
import select
import subprocess
import sys
import tempfile
import time

TIMEOUT = 90.0

PROBE = """JSON.stringify({
  title: document.title,
  sections: [...document.querySelectorAll('section')].map(s => s.id),
  svgs: [...document.querySelectorAll('svg')].map(e => {
    const r = e.getBoundingClientRect();
    return {width: r.width, height: r.height, shapes: e.querySelectorAll('path, polyline, line, rect, circle, text').length};
  }),
  imgs: [...document.images].map(i => ({complete: i.complete, width: i.naturalWidth, height: i.naturalHeight, src: i.src.slice(0, 80)})),
})"""


class Browser:
    """Chromium with a DevTools pipe; `call` sends a command and returns its result, keeping events."""

    def __init__(self, chromium, profile):
        cmd_r, self.cmd_w = os.pipe()  # we write commands, Chromium reads them on fd 3
        self.res_r, res_w = os.pipe()  # Chromium writes replies and events on fd 4

        def fds():
            # Via fresh descriptors: dup2 onto a descriptor's own number would keep its close-on-exec flag.
            a, b = os.dup(cmd_r), os.dup(res_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        args = [
            chromium, "--headless=new", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
            "--disable-background-networking", "--disable-component-update", "--mute-audio",
            f"--user-data-dir={profile}", "--window-size=1400,1000", "about:blank",
        ]
        self.proc = subprocess.Popen(args, preexec_fn=fds, close_fds=False, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        os.close(cmd_r)
        os.close(res_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.deadline = time.monotonic() + TIMEOUT

    def _read_message(self):
        while b"\0" not in self.buf:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no reply from Chromium within {TIMEOUT:.0f} s")
            ready, _, _ = select.select([self.res_r], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.res_r, 1 << 20)
            if not chunk:
                err = self.proc.stderr.read().decode(errors="replace")[-2000:] if self.proc.poll() is not None else ""
                raise RuntimeError(f"Chromium closed the DevTools pipe (exit {self.proc.poll()}): {err}")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.cmd_w, json.dumps(msg).encode() + b"\0")
        while True:
            m = self._read_message()
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method, seconds):
        end = min(self.deadline, time.monotonic() + seconds)
        while not any(e.get("method") == method for e in self.events):
            if time.monotonic() > end:
                return False
            saved, self.deadline = self.deadline, end
            try:
                self.events.append(self._read_message())
            except TimeoutError:
                return False
            finally:
                self.deadline = saved
        return True

    def drain(self, seconds):
        """Collects events for `seconds` more (late console errors)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            ready, _, _ = select.select([self.res_r], [], [], max(0.0, end - time.monotonic()))
            if ready:
                chunk = os.read(self.res_r, 1 << 20)
                if not chunk:
                    break
                self.buf += chunk
                while b"\0" in self.buf:
                    msg, self.buf = self.buf.split(b"\0", 1)
                    self.events.append(json.loads(msg))

    def close(self):
        try:
            self.call("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def event_problems(events):
    problems = []
    for e in events:
        m, p = e.get("method"), e.get("params", {})
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            problems.append(f"console {p['type']}: {text}")
        elif m == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            problems.append(f"page error: {d.get('exception', {}).get('description') or d.get('text')}")
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            entry = p["entry"]
            problems.append(f"log error ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}".strip())
        elif m == "Network.requestWillBeSent":
            url = p.get("request", {}).get("url", "")
            if not (url.startswith("file:") or url.startswith("data:")):
                problems.append(f"request leaves the page: {url}")
        elif m == "Network.loadingFailed" and not p.get("canceled"):
            problems.append(f"failed load: {p.get('errorText')}")
    return problems


def probe_problems(probe, sections, svgs):
    problems = []
    if sections is not None and probe["sections"] != sections:
        problems.append(f"sections {probe['sections']}, expected {sections}")
    if svgs is not None and len(probe["svgs"]) != svgs:
        problems.append(f"{len(probe['svgs'])} <svg> elements, expected {svgs}")
    for k, s in enumerate(probe["svgs"]):
        if not (s["width"] > 0 and s["height"] > 0 and s["shapes"] > 0):
            problems.append(f"<svg> #{k + 1} does not render: {s}")
    for k, i in enumerate(probe["imgs"]):
        if not (i["complete"] and i["width"] > 0 and i["height"] > 0):
            problems.append(f"<img> #{k + 1} does not render: {i}")
    return problems


def check(chromium, page, sections, svgs, screenshot):
    with tempfile.TemporaryDirectory(prefix="check-page-") as profile:
        b = Browser(chromium, profile)
        try:
            target = b.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = b.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                b.call(f"{domain}.enable", session=session)
            nav = b.call("Page.navigate", {"url": "file://" + os.path.abspath(page)}, session=session)
            if nav.get("errorText"):
                return [f"navigation failed: {nav['errorText']}"], None
            if not b.wait_event("Page.loadEventFired", 60):
                return ["the page did not finish loading within 60 s"], None
            b.drain(0.5)
            value = b.call("Runtime.evaluate", {"expression": PROBE, "returnByValue": True}, session=session)
            probe = json.loads(value["result"]["value"])
            if screenshot:
                shot = b.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session=session)
                with open(screenshot, "wb") as f:
                    f.write(base64.b64decode(shot["data"]))
            return event_problems(b.events) + probe_problems(probe, sections, svgs), probe
        finally:
            b.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("chromium")
    ap.add_argument("page")
    ap.add_argument("--sections", help="expected <section> ids, comma-separated, in order")
    ap.add_argument("--svgs", type=int, help="expected number of <svg> elements")
    ap.add_argument("--screenshot", help="also write a full-page PNG here")
    a = ap.parse_args()
    if not os.path.isfile(a.page):
        print(f"{a.page}: no such page", file=sys.stderr)
        return 1
    sections = a.sections.split(",") if a.sections else None
    problems, probe = check(a.chromium, a.page, sections, a.svgs, a.screenshot)
    if probe is not None:
        print(f"loaded {a.page}: title {probe['title']!r}, sections {probe['sections']}, "
              f"{len(probe['svgs'])} svg, {len(probe['imgs'])} img")
    for p in problems:
        print(f"problem: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
