"""Load on `rbh serve` (issue 18): 200 Alertmanager webhook deliveries of 10 alerts each in 60 s.

Clones the committed example into a temporary folder, indexes it, and starts `rbh serve` as a user
does (the console script, token from the environment) with two chat targets in RBH_SERVE_WEBHOOKS:
a Slack-compatible and a Teams webhook, both loopback servers in this process that answer like the
real services. Deliveries are sent open-loop (one every 60/200 s, not waiting for the previous
answer), each a version-4 payload of 10 alerts: 8 alerts of the example's rules with their rendered
annotations (resolved through alert lookup) and 2 alerts no rule knows (resolved by retrieval over
their summary and description), each group tagged with its own label so every chat message can be
matched to its delivery. Every ``{{ $value }}`` renders to a new number (as in real firings), so no
alert text repeats; ``--repeat-text`` renders the same number each time, so the service answers
repeated alerts from its per-generation memory.

Reported: deliveries refused or failed (must be 0), notifications lost (expected 2 per delivery,
must be 0), alerts matched, the webhook's answer latency p50/p99/max (the receiver's time: lookup,
retrieval and health for 10 alerts, then queueing), and the time from sending a delivery to its
message arriving at the chat server, p50/p99/max. Baseline in the same run: the same payload through
a new `rbh ask --alert-json` process (what a script wired into Alertmanager would run), for the first
BASELINE deliveries.

    .venv/bin/python bench/serve_load.py [--deliveries 200] [--seconds 60] [--baseline 5] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RBH = Path(sys.executable).parent / "rbh"
TOKEN = "bench-token-0123456789abcdef"
UNKNOWN = [
    ("DiskLatencyOdd", "Disk writes on the database volume are slow", "fsync latency on the data volume of postgres is above 200 ms"),
    ("CustomerEmailsDelayed", "Order confirmation e-mails are delayed", "the order events consumer is behind and e-mails go out late"),
    ("EdgeCacheMissSpike", "Cache misses at the edge doubled", "the frontend sees twice the usual cache misses and slower pages"),
]


class Sink:
    """Loopback chat webhook: records when each delivery's message arrived."""

    def __init__(self):
        self.arrived: dict[str, float] = {}
        self.count = 0
        self.lock = threading.Lock()
        self.done = threading.Condition(self.lock)
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length") or 0)).decode()
                now = time.perf_counter()
                m = re.search(r"delivery=(d\d+)", body)
                with sink.lock:
                    sink.count += 1
                    if m:
                        sink.arrived.setdefault(m.group(1), now)
                    sink.done.notify_all()
                self.send_response(200 if "slack" in self.path else 202)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"


def rule_alerts(repo: Path) -> list[dict]:
    """Alerts of the example's rules, with annotations rendered the simple way Prometheus would."""
    sys.path.insert(0, str(ROOT))
    from rbh.indexer.alerts import catalog_for_project
    from rbh.project import load_project

    catalog = catalog_for_project(load_project(repo))
    labels = {"namespace": "shop", "pod": "app-7d9c-xk2lp", "service": "checkout", "consumergroup": "order-events-consumer",
              "topic": "order-events", "instance": "10.0.3.7:9100", "node": "node-3", "persistentvolumeclaim": "data-postgres-0"}
    out = []
    for a in catalog.alerts:
        ann = {}
        for k, v in a.annotations.items():
            v = re.sub(r"\{\{\s*\$labels\.(\w+)\s*\}\}", lambda m: labels.get(m.group(1), "x"), str(v))
            ann[k] = re.sub(r"\{\{.*?\}\}", "\x00", v)  # \x00: the value, filled in per delivery
        out.append({"labels": {"alertname": a.name, "severity": "critical", **{k: labels[k] for k in ("namespace",)}},
                    "annotations": ann})
    return out


def payload(n: int, known: list[dict], varying: bool = True) -> dict:
    """Delivery *n*. With *varying*, every ``{{ $value }}`` renders to a new number, as in real firings,
    so no alert text repeats and rbh serve's per-generation memory of answers never helps."""
    alerts = []
    for i in range(8):
        a = known[(n * 8 + i) % len(known)]
        value = f"{n}.{i}" if varying else "42"
        ann = {k: v.replace("\x00", value) for k, v in a["annotations"].items()}
        alerts.append({**a, "labels": {**a["labels"], "delivery": f"d{n:04d}", "replica": str(i)}, "annotations": ann})
    for i in range(2):
        name, summary, description = UNKNOWN[(n + i) % len(UNKNOWN)]
        if varying:
            summary += f" ({n}.{i})"
        alerts.append({"labels": {"alertname": name, "severity": "warning", "delivery": f"d{n:04d}", "replica": str(8 + i)},
                       "annotations": {"summary": summary, "description": description}})
    return {"version": "4", "status": "firing", "receiver": "rbh", "groupKey": f"{{}}:{{delivery=\"d{n:04d}\"}}",
            "truncatedAlerts": 0, "groupLabels": {"delivery": f"d{n:04d}"}, "commonLabels": {}, "commonAnnotations": {},
            "externalURL": "http://127.0.0.1:9093",
            "alerts": [{"status": "firing", "startsAt": "2026-11-26T02:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
                        "generatorURL": "", "fingerprint": f"{n:08x}{i:08x}", **a} for i, a in enumerate(alerts)]}


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))] if s else float("nan")


async def drive(url: str, payloads: list[dict], seconds: float) -> list[tuple[int, float, float, dict | None]]:
    """Open-loop: delivery i is sent at i * seconds / n whatever happened to the previous ones."""
    import httpx

    interval = seconds / len(payloads)
    results: list = [None] * len(payloads)
    async with httpx.AsyncClient(timeout=120, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        t0 = time.perf_counter()

        async def one(i: int, body: dict) -> None:
            await asyncio.sleep(max(0.0, t0 + i * interval - time.perf_counter()))
            start = time.perf_counter()
            try:
                resp = await client.post(url, json=body)
                results[i] = (resp.status_code, start, time.perf_counter(), resp.json())
            except Exception as exc:  # noqa: BLE001 - counted as failed
                results[i] = (0, start, time.perf_counter(), {"error": repr(exc)})

        await asyncio.gather(*(one(i, p) for i, p in enumerate(payloads)))
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--deliveries", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--baseline", type=int, default=5, help="deliveries also run through a new 'rbh ask --alert-json' process")
    ap.add_argument("--repeat-text", action="store_true",
                    help="render {{ $value }} as the same number every time: alert texts repeat and are answered from memory")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="rbh-serve-load-"))
    serve = None
    try:
        repo = tmp / "example"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(repo)], check=True)
        subprocess.run([str(RBH), "index", "--repo", str(repo), "-q"], check=True)
        known = rule_alerts(repo)
        payloads = [payload(n, known, varying=not args.repeat_text) for n in range(args.deliveries)]
        sink = Sink()
        env = {**os.environ, "RBH_SERVE_TOKEN": TOKEN,
               "RBH_SERVE_WEBHOOKS": f"chat:slack={sink.base}/slack teams:teams={sink.base}/teams"}
        serve = subprocess.Popen([str(RBH), "serve", "--repo", str(repo), "--port", "0"], env=env,
                                 stderr=subprocess.PIPE, text=True)
        line = serve.stderr.readline()
        m = re.search(r"listening on (http://\S+)", line)
        if not m:
            print(f"rbh serve did not start: {line}{serve.stderr.read()}", file=sys.stderr)
            return 1
        threading.Thread(target=lambda: [None for _ in serve.stderr], daemon=True).start()  # keep draining its log
        url = m.group(1) + "/v1/alertmanager"

        results = asyncio.run(drive(url, payloads, args.seconds))
        expected = 2 * len(payloads)
        deadline = time.monotonic() + 120
        with sink.lock:
            while sink.count < expected and sink.done.wait(max(0.0, deadline - time.monotonic())):
                pass
            arrived = dict(sink.arrived)
            received = sink.count

        ok = [r for r in results if r[0] == 200]
        answer = [(end - start) for _, start, end, _ in ok]
        e2e = [arrived[f"d{i:04d}"] - results[i][1] for i in range(len(payloads)) if f"d{i:04d}" in arrived and results[i][0] == 200]
        matched = sum(r[3]["matched"] for r in ok)
        alerts = sum(r[3]["alerts"] for r in ok)
        span = max(r[2] for r in results) - min(r[1] for r in results)

        base = []
        for p in payloads[: args.baseline]:
            start = time.perf_counter()
            proc = subprocess.run([str(RBH), "ask", "--repo", str(repo), "--alert-json", "-", "--json", "-k", "10"],
                                  input=json.dumps(p), capture_output=True, text=True)
            base.append(time.perf_counter() - start)
            if proc.returncode != 0:
                print(f"baseline ask failed: {proc.stderr.strip()[:300]}", file=sys.stderr)

        print(f"\n`rbh serve` under {len(payloads)} Alertmanager deliveries x 10 alerts in {args.seconds:.0f} s "
              f"(example repository, {os.cpu_count()} cores, sent over {span:.1f} s, alert texts "
              f"{'repeating' if args.repeat_text else 'all different'})\n")
        print("| measure | value | target |")
        print("|---|---|---|")
        print(f"| deliveries answered 200 | {len(ok)} of {len(payloads)} | all |")
        print(f"| chat notifications received (2 targets) | {received} of {expected} | all |")
        print(f"| notifications lost | {expected - received} | 0 |")
        print(f"| alerts matched to a runbook section | {matched} of {alerts} |  |")
        print(f"| webhook answer p50 / p99 / max | {percentile(answer, .5) * 1000:.0f} / {percentile(answer, .99) * 1000:.0f} / "
              f"{max(answer) * 1000:.0f} ms |  |")
        print(f"| delivery sent -> chat message, p50 / p99 / max | {percentile(e2e, .5) * 1000:.0f} / "
              f"{percentile(e2e, .99) * 1000:.0f} / {max(e2e) * 1000:.0f} ms |  |")
        if base:
            print(f"| baseline: same payload, new `rbh ask --alert-json` process, p50 (n={len(base)}) | "
                  f"{percentile(base, .5) * 1000:.0f} ms |  |")
        slowest = sorted(range(len(results)), key=lambda i: results[i][1] - results[i][2])[:5]
        print("\nslowest deliveries (index: answer ms): "
              + ", ".join(f"{i}: {(results[i][2] - results[i][1]) * 1000:.0f}" for i in slowest))
        return 0 if len(ok) == len(payloads) and received == expected else 1
    finally:
        if serve is not None:
            serve.terminate()
            try:
                serve.wait(timeout=30)
            except subprocess.TimeoutExpired:
                serve.kill()
        if args.keep:
            print(f"kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
