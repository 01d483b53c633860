"""`bench api-cpu`: the CPU one API request costs the app, per request class of `bench api`'s mix, in one process.

The same fixture as `bench api` (a tenant of its own, a `bench-persons` version of --rows rows, a 20-row
dataset, the owner's token) and the same requests (`benchmarks_api.request_makers`, the mix), sent through
Django's test client (the whole middleware and DRF stack, no HTTP server) to PostgreSQL. Each request is timed
with `time.thread_time()` (the CPU of this thread: the app, the driver and the test client, not PostgreSQL's
process), which a loaded machine inflates far less than wall time. Requests go round the mix's sequence, so
every class is measured under the same conditions; the first --warmup rounds are not counted. Before them,
--fill dataset creates and generates (not measured) fill the dataset and job lists' first pages, as the
load run's own writes fill them within its first seconds.

Printed per class: requests, median and p90 CPU ms; and the mix's mean CPU per request weighted as `bench api`
sends it, with the requests per second two cores could serve at that cost alone (2 / mean), an upper bound
the real server stays below (PostgreSQL, the HTTP server and the load generator share the cores).
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import UTC, datetime

from . import benchmarks_api as api

HELP = "CPU per API request of each class of the `bench api` mix, in one process (Django test client, PostgreSQL)"


def add_arguments(parser) -> None:
    parser.add_argument("--rows", type=int, default=20_000, help="rows of the version read (default 20,000)")
    parser.add_argument(
        "--rounds", type=int, default=15, help="measured passes over the mix's 20-request sequence (default 15)"
    )
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured passes first (default 3)")
    parser.add_argument(
        "--fill",
        type=int,
        default=50,
        help="dataset creates and generates sent first, unmeasured (default 50: full list pages)",
    )


def _send(client, request, token: str):
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"}
    if request.method == "GET":
        return client.get(request.path, **headers)
    return client.post(request.path, data=request.body, content_type="application/json", **headers)


def measure(fixture, *, rounds: int, warmup: int, fill: int = 0) -> dict[str, list[float]]:
    """class -> CPU ms of each measured request; raises if any answer is not the class's success."""
    from django.test import Client
    from django.test.utils import override_settings

    client = Client(HTTP_HOST="127.0.0.1")
    make = api.request_makers(fixture, "mix")(0)
    token = fixture.tokens[0]
    spent: dict[str, list[float]] = {kind: [] for kind in api.MIX}
    rates = {"anon": "1000000/minute", "user": api.THROTTLE_USER_RATE, "auth_failure": "1000000/minute"}
    with override_settings(DEBUG=False, SYNTHHUB_THROTTLE_RATES=rates):
        writes = api.request_makers(fixture, "mix")(1)  # client 1's sequence: its own dataset names
        sent = {"dataset create": 0, "generate": 0}
        while min(sent.values()) < fill:
            request = writes()
            if request.kind in sent and sent[request.kind] < fill:
                response = _send(client, request, token)
                if response.status_code != request.expected:
                    raise RuntimeError(f"{request.kind} answered {response.status_code}: {response.content[:300]!r}")
                sent[request.kind] += 1
        for n in range((warmup + rounds) * len(api.MIX_CYCLE)):
            request = make()
            started = time.thread_time()
            response = _send(client, request, token)
            used = time.thread_time() - started
            if response.status_code != request.expected:
                raise RuntimeError(
                    f"{request.kind} {request.method} answered {response.status_code}: {response.content[:300]!r}"
                )
            if n >= warmup * len(api.MIX_CYCLE):
                spent[request.kind].append(used * 1000)
    return spent


def run(options: dict, write) -> dict:
    from django.db import close_old_connections

    from apps.datasets.benchmarks import require_postgresql

    require_postgresql("api-cpu")
    rows, rounds, warmup, fill = options["rows"], options["rounds"], options["warmup"], options.get("fill", 50)
    if rows < 2 * api.PAGE_SIZE:
        raise ValueError(f"--rows must be at least {2 * api.PAGE_SIZE}, got {rows}")
    if not 1 <= rounds <= 1000 or not 0 <= warmup <= 100 or not 0 <= fill <= 1000:
        raise ValueError("--rounds must be in [1, 1000], --warmup in [0, 100] and --fill in [0, 1000]")
    write(
        f"API CPU per request: {rounds} x {len(api.MIX_CYCLE)} requests of the bench api mix (after {warmup} x "
        f"{len(api.MIX_CYCLE)} unmeasured, and {fill} dataset creates and generates first), Django test client, "
        f"a {rows:,}-row bench-persons version on PostgreSQL, time.thread_time, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    fixture = api.Fixture(rows=rows, clients=1, write=write)
    try:
        close_old_connections()
        spent = measure(fixture, rounds=rounds, warmup=warmup, fill=fill)
    finally:
        fixture.cleanup()
    figures = {
        kind: {
            "requests": len(values),
            "median_ms": statistics.median(values),
            "p90_ms": statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0],
        }
        for kind, values in spent.items()
    }
    mix_ms = sum(api.MIX[kind] * figures[kind]["median_ms"] for kind in api.MIX) / sum(api.MIX.values())
    figures["mix"] = {"mean_ms": mix_ms, "two_core_bound_rps": 2000 / mix_ms}
    write(f"  {'class':<32}{'requests':>9}{'weight':>8}{'median ms':>11}{'p90 ms':>9}")
    for kind in sorted(api.MIX):
        row = figures[kind]
        write(f"  {kind:<32}{row['requests']:>9,}{api.MIX[kind]:>7}%{row['median_ms']:>11.2f}{row['p90_ms']:>9.2f}")
    write(
        f"  mix, weighted mean of the medians: {mix_ms:.2f} ms CPU per request "
        f"(two cores doing nothing else: at most {2000 / mix_ms:,.0f} req/s)"
    )
    write("  figures: " + json.dumps({k: {n: round(v, 3) for n, v in f.items()} for k, f in figures.items()}))
    return figures
