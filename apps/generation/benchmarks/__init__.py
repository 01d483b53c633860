"""Benchmarks run by `manage.py bench <name>`: one module per benchmark, registered in BENCHMARKS.

Each benchmark is a Benchmark: a one-line help, a function adding its options to its own sub-parser,
and a function that runs it with the parsed options and writes its report. Adding a benchmark means
adding a module and one entry below; the command needs no change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from apps.datasets import benchmarks as persist
from apps.datasets import benchmarks_api as api
from apps.datasets import benchmarks_api_cpu as api_cpu
from apps.exports import benchmarks as export
from apps.masking import benchmarks as masking
from apps.profiling import bench_fidelity as fidelity
from apps.profiling import benchmarks as profiling

from . import documents, engine, jobs, rsa_pool


@dataclass(frozen=True)
class Benchmark:
    help: str
    add_arguments: Callable  # (argparse parser) -> None
    run: Callable  # (options: dict, write: Callable[[str], None]) -> dict of measured figures


BENCHMARKS: dict[str, Benchmark] = {
    "engine": Benchmark(help=engine.HELP, add_arguments=engine.add_arguments, run=engine.run),
    "export": Benchmark(help=export.HELP, add_arguments=export.add_arguments, run=export.run),
    "persist": Benchmark(help=persist.HELP, add_arguments=persist.add_arguments, run=persist.run),
    "jobs": Benchmark(help=jobs.HELP, add_arguments=jobs.add_arguments, run=jobs.run),
    "api": Benchmark(help=api.HELP, add_arguments=api.add_arguments, run=api.run),
    "api-cpu": Benchmark(help=api_cpu.HELP, add_arguments=api_cpu.add_arguments, run=api_cpu.run),
    "documents": Benchmark(help=documents.HELP, add_arguments=documents.add_arguments, run=documents.run),
    "rsa-pool": Benchmark(help=rsa_pool.HELP, add_arguments=rsa_pool.add_arguments, run=rsa_pool.run),
    "profiling": Benchmark(help=profiling.HELP, add_arguments=profiling.add_arguments, run=profiling.run),
    "fidelity": Benchmark(help=fidelity.HELP, add_arguments=fidelity.add_arguments, run=fidelity.run),
    "masking": Benchmark(help=masking.HELP, add_arguments=masking.add_arguments, run=masking.run),
}
