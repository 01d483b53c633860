"""`bench rsa-pool`: what RSA-PSS document keys cost on one core: generating pool keys, and signing with them.

A fresh child process (multiprocessing "spawn", pinned to one core) generates K keys of the deterministic pool
(apps/generation/engine/pki/rsa_pool.py) of one size, as the first generation of a plan with RSA certificates
does once per process, then signs S messages the size of a SOD's signed attributes with RSASSA-PSS (SHA-256,
salt length 0) through the engine's signing module, beside `cryptography` signing the same messages with the
same key and PSS salt length 32 (the randomised form): what the deterministic form costs or saves. It checks
that generating a key again gives the same key.
"""

from __future__ import annotations

import os
import time

from apps.core.benchmarking import peak_rss_mb, run_in_child

HELP = "RSA pool key generation seconds and RSASSA-PSS signatures per second on one core"
BENCH_SECRET = b"bench-document-secret"


def add_arguments(parser) -> None:
    parser.add_argument("--bits", type=int, default=2048, help="key size: 2048 (default) or 3072")
    parser.add_argument("--keys", type=int, default=4, help="pool keys to generate (default 4, at most 16)")
    parser.add_argument("--signatures", type=int, default=2_000, help="signatures to time (default 2,000)")


def _child(bits: int, count: int, signatures: int, connection) -> None:
    try:
        core = None
        if hasattr(os, "sched_setaffinity"):
            core = min(os.sched_getaffinity(0))
            os.sched_setaffinity(0, {core})
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        from apps.generation.engine.pki import rsa_pool, signing

        seconds = []
        for index in range(count):
            started = time.perf_counter()
            rsa_pool.pool_key(bits, BENCH_SECRET, 1, index)
            seconds.append(time.perf_counter() - started)
        first = rsa_pool.pool_key(bits, BENCH_SECRET, 1, 0)
        rsa_pool.pool_key.cache_clear()
        same = rsa_pool.pool_key(bits, BENCH_SECRET, 1, 0).private_numbers() == first.private_numbers()
        messages = [os.urandom(110) for _ in range(signatures)]
        started = time.perf_counter()
        for message in messages:
            signing.sign(first, message, hashes.SHA256)
        deterministic = signatures / (time.perf_counter() - started)
        randomised_padding = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        started = time.perf_counter()
        for message in messages:
            first.sign(message, randomised_padding, hashes.SHA256())
        raw = signatures / (time.perf_counter() - started)
        connection.send(("ok", {"core": core, "bits": bits, "keys": count, "key_seconds": seconds,
                                "same_key_again": same, "signatures": signatures,
                                "pss_salt0_per_second": deterministic, "pss_salt32_per_second": raw,
                                "peak_rss_mb": peak_rss_mb()}))
    except BaseException as exc:  # the parent reports it; a silent child would leave it waiting
        connection.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        connection.close()


def run(options: dict, write) -> dict:
    from apps.generation.engine.pki.rsa_pool import POOL_SIZE, SIZES

    bits, count, signatures = options["bits"], options["keys"], options["signatures"]
    if bits not in SIZES:
        raise ValueError(f"--bits must be one of {', '.join(map(str, SIZES))}")
    if not 1 <= count <= POOL_SIZE:
        raise ValueError(f"--keys must be between 1 and {POOL_SIZE} (the pool's size)")
    if signatures < 1:
        raise ValueError("--signatures must be at least 1")
    result = run_in_child(_child, bits, count, signatures, name="bench-rsa-pool")
    seconds = result["key_seconds"]
    write(f"bench rsa-pool: {count} pool keys of {bits} bits, {signatures:,} signatures, one core ({result['core']})")
    write(f"  key generation: {sum(seconds) / len(seconds):.2f} s mean, {min(seconds):.2f} s min, "
          f"{max(seconds):.2f} s max per key; the whole pool of {POOL_SIZE}: about "
          f"{POOL_SIZE * sum(seconds) / len(seconds):.0f} s, once per process")
    write(f"  same key when generated again: {'yes' if result['same_key_again'] else 'NO'}")
    write(f"  RSASSA-PSS SHA-256 salt 0 (engine): {result['pss_salt0_per_second']:,.0f} signatures/s")
    write(f"  RSASSA-PSS SHA-256 salt 32 (cryptography, randomised): {result['pss_salt32_per_second']:,.0f} "
          "signatures/s")
    write(f"  peak RSS: {result['peak_rss_mb']:.0f} MB")
    return result
