"""Load the public status page of a running Odoo, on this machine only.

    python benchmarks/load_status.py http://127.0.0.1:8306/status -n 4000 -c 16 --rate 200
    python benchmarks/load_status.py http://127.0.0.1:8306/status -n 4000 -c 16 --etag

Sends ``-n`` GET requests, ``-c`` at a time (each on a new connection, as
many visitors would), at most ``--rate`` per second when given, and prints
the requests per second, the errors and the latency percentiles. With
``--etag``, the requests carry the page's ``If-None-Match`` (a browser or a
proxy revalidating): the answer expected is 304. Bounded on purpose, and only
for a server on 127.0.0.1: it is not a tool to load anybody else's server.
"""

import argparse
import http.client
import statistics
import sys
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

MAX_REQUESTS = 100_000
MAX_CONCURRENCY = 64


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="the page, e.g. http://127.0.0.1:8069/status")
    parser.add_argument("-n", "--requests", type=int, default=2000)
    parser.add_argument("-c", "--concurrency", type=int, default=8)
    parser.add_argument("--rate", type=float, help="at most this many requests per second")
    parser.add_argument("--etag", action="store_true", help="send the page's If-None-Match")
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args(argv)
    url = urlsplit(args.url)
    if url.scheme != "http" or url.hostname != "127.0.0.1":
        parser.error("only http://127.0.0.1 URLs: this script loads a local server only")
    if not 1 <= args.requests <= MAX_REQUESTS:
        parser.error(f"--requests: 1 to {MAX_REQUESTS}")
    if not 1 <= args.concurrency <= MAX_CONCURRENCY:
        parser.error(f"--concurrency: 1 to {MAX_CONCURRENCY}")
    if args.rate is not None and args.rate <= 0:
        parser.error("--rate: more than 0")
    args.port = url.port or 80
    args.path = (url.path or "/") + (f"?{url.query}" if url.query else "")
    return args


def get(args, headers=None):
    """One GET on a new connection: (status, headers, seconds)."""
    start = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=args.timeout)
    try:
        connection.request("GET", args.path, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status, dict(response.getheaders()), time.perf_counter() - start
    finally:
        connection.close()


def percentile(values, share):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(share * (len(values) - 1))))]


def run(args):
    headers = {}
    status, first_headers, _seconds = get(args)
    if status != 200:
        raise SystemExit(f"{args.path}: HTTP {status}")
    if args.etag:
        headers["If-None-Match"] = first_headers.get("ETag", "")
    expected = 304 if args.etag else 200
    latencies = []
    statuses = Counter()
    lock = threading.Lock()
    next_index = iter(range(args.requests))
    start = time.perf_counter()

    def worker():
        while True:
            with lock:
                index = next(next_index, None)
            if index is None:
                return
            if args.rate:
                delay = start + index / args.rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            try:
                status, _headers, seconds = get(args, headers)
            except OSError as error:
                status, seconds = type(error).__name__, None
            with lock:
                statuses[status] += 1
                if seconds is not None:
                    latencies.append(seconds)

    threads = [threading.Thread(target=worker) for _i in range(args.concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    errors = sum(count for status, count in statuses.items() if status != expected)
    return {
        "requests": args.requests,
        "concurrency": args.concurrency,
        "rate": args.rate,
        "seconds": elapsed,
        "rps": args.requests / elapsed,
        "errors": errors,
        "statuses": dict(statuses),
        "p50_ms": 1000 * percentile(latencies, 0.50),
        "p95_ms": 1000 * percentile(latencies, 0.95),
        "p99_ms": 1000 * percentile(latencies, 0.99),
        "mean_ms": 1000 * statistics.fmean(latencies) if latencies else 0.0,
        "page_bytes": int(first_headers.get("Content-Length", 0) or 0),
    }


def main(argv=None):
    args = parse_args(argv)
    result = run(args)
    print(
        f"{args.path} ({'If-None-Match' if args.etag else 'full page'}): "
        f"{result['requests']} requests, {result['concurrency']} concurrent"
        f"{', paced at %g/s' % result['rate'] if result['rate'] else ''}\n"
        f"  {result['rps']:.1f} requests/s over {result['seconds']:.1f} s, "
        f"{result['errors']} errors, statuses {result['statuses']}\n"
        f"  latency p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms, "
        f"p99 {result['p99_ms']:.1f} ms"
    )
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
