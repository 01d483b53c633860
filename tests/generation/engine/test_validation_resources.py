"""No validation call uses more than 2 s of CPU or 200 MB of memory, whatever the input.

Each worst case runs in a child process under an address-space limit (a regression then fails with a
MemoryError in the child instead of taking the machine down), and is measured there: CPU time of the call
(time.process_time, not wall time, so a loaded machine does not fail it) and peak resident memory
(VmHWM) above the resident size after an empty validation. Each case runs in its own fork of a process
that has already validated an empty document, so no case pays for another's imports or caches.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest
from faker.config import AVAILABLE_LOCALES

CPU_SECONDS = 2.0
MEMORY_MB = 200
ADDRESS_SPACE = 2 * 1024**3  # numpy and Faker map about 0.8 GB of address space before any work


def _doc(columns: dict, rows=5, **table) -> dict:
    return {"version": 1, "name": "w", "tables": {"t": {"rows": rows, "columns": columns, **table}}}


def _one(spec: dict, rows=5) -> dict:
    return _doc({"a": {"type": "integer"}, "c": spec}, rows)


def worst_cases() -> dict[str, object]:
    template_chain = {"a": {"type": "string", "length": {"min": 100, "max": 100}},
                      "b": {"type": "template", "template": "{a}" * 300},
                      "c": {"type": "template", "template": "{b}" * 300}}
    per_parent = {"version": 1, "name": "q", "tables": {
        "p": {"rows": 1000, "primary_key": "id", "columns": {"id": {"type": "sequence"}}},
        "k": {"rows": {"per": "p_id", "min": 10**9, "max": 10**9},
              "columns": {"p_id": {"type": "reference", "table": "p"}}}}}
    many_columns = json.dumps(_doc({f"c{i}": {"type": "uuid"} for i in range(70_000)}))
    assert len(many_columns) < 2_000_000
    yaml_nodes = ("version: 1\nname: y\ntables:\n  t:\n    rows: 1\n    columns:\n      c: {type: choice, values: ["
                  + ", ".join(f"v{i}" for i in range(59_950)) + "]}\n")
    yaml_big = "version: 1\nname: y\ntables:\n  t:\n    rows: 1\n    columns:\n" + "".join(
        f"      c{i}: {{type: uuid, description: x}}\n" for i in range(45_000))
    assert len(yaml_big) < 2_000_000
    patterns = _doc({f"c{i}": {"type": "string", "pattern": f"(a{{0,9}}|b{{0,9}}){{0,{40 + i}}}"} for i in range(60)})
    return {
        "regex": _one({"type": "string", "pattern": "(a{0,9}|b{0,9}){0,1000}"}),
        "regex_under_estimate": _one({"type": "string", "pattern": "(a{0,9}|b{0,9}){0,100}"}),
        "regex_longest_accepted": _one({"type": "string", "pattern": "[a-z]{1000}" * 10, "unique": True}),
        "regex_wide": _one({"type": "string", "pattern": r"(\w{1000}){10}"}),
        "many_patterns": patterns,
        "pylist": _one({"type": "faker", "provider": "pylist",
                        "args": {"nb_elements": 2_000_000, "variable_nb_elements": False}}),
        "pystr": _one({"type": "faker", "provider": "pystr", "args": {"min_chars": 60_000_000,
                                                                     "max_chars": 60_000_000}}),
        "pystr_format": _one({"type": "faker", "provider": "pystr_format",
                              "args": {"string_format": "{{seed_instance}}{{binary}}"}}),
        "template_chain": _doc(template_chain),
        "float_bounds": _one({"type": "float", "min": -1e308, "max": 1e308}),
        "poisson": _one({"type": "integer", "distribution": {"poisson": {"lam": 1e300}}}),
        "digits": _one({"type": "constant", "value": int("9" * 400)}),
        "when_kind": _doc({"a": {"type": "integer"}, "c": {"type": "choice", "values": ["x"], "when": [
            {"if": {"column": "a", "op": ">", "value": 1}, "then": {"values": [1]}}]}}),
        "nul": _one({"type": "choice", "values": ["a\x00"] * 5000}),
        "per_parent": per_parent,
        "series_time": _one({"type": "series_time", "start": "9999-12-01T00:00:00", "step": "1d"}, rows=10**6),
        "many_columns": many_columns,
        "many_columns_mapping": _doc({f"c{i}": {"type": "uuid"} for i in range(100_000)}),
        "yaml_nodes": yaml_nodes,
        "yaml_big": yaml_big,
        "deep_json": "[" * 10_000 + "]" * 10_000,
        "faker_locales": _doc({f"c{i}": {"type": "faker", "provider": "name", "locale": locale}
                               for i, locale in enumerate(sorted(AVAILABLE_LOCALES))}, rows=1),
        "nested_arrays": _one({"type": "array", "max_length": 1000, "of": {"type": "array", "max_length": 1000, "of": {
            "type": "array", "max_length": 1000, "of": {"type": "string", "length": {"min": 10_000, "max": 10_000}}}}}),
    }


CHILD = textwrap.dedent("""
    import json, os, pickle, resource, sys, time

    resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
    from apps.generation.engine import validate_spec


    def resident(field):
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field):
                    return int(line.split()[1]) / 1024


    validate_spec({{"version": 1, "name": "e", "tables": {{"t": {{"rows": 1, "columns": {{
        "f": {{"type": "faker", "provider": "name"}}, "p": {{"type": "string", "pattern": "[a-z]{{3}}"}}}}}}}}}})
    cases = pickle.load(sys.stdin.buffer)  # the documents are the caller's memory, not validation's
    baseline = resident("VmRSS")
    out = {{}}
    for name, document in cases.items():
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            with open("/proc/self/clear_refs", "w") as refs:
                refs.write("5")  # VmHWM starts again from the resident size the fork began with
            started = time.process_time()
            try:
                outcome = [str(p)[:200] for p in validate_spec(document)]
            except MemoryError:
                outcome = "MemoryError"
            found = {{"cpu": time.process_time() - started, "mb": resident("VmHWM") - baseline, "problems": outcome}}
            os.write(write, json.dumps(found).encode())
            os._exit(0)
        os.close(write)
        with os.fdopen(read, "rb") as pipe:
            data = pipe.read()
        os.waitpid(pid, 0)
        out[name] = json.loads(data) if data else {{"cpu": 0, "mb": 0, "problems": "child died"}}
    print(json.dumps(out))
""")


@pytest.fixture(scope="module")
def measured() -> dict:
    import pickle

    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-c", CHILD.format(limit=ADDRESS_SPACE)], input=pickle.dumps(worst_cases()),
        capture_output=True, env=env, cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))), timeout=600, check=False)
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    return json.loads(result.stdout)


@pytest.mark.parametrize("case", sorted(worst_cases()))
def test_validation_is_bounded_in_cpu_and_memory(measured, case):
    found = measured[case]
    assert found["problems"] not in ("MemoryError", "child died"), case
    assert found["cpu"] < CPU_SECONDS, (case, found)
    assert found["mb"] < MEMORY_MB, (case, found)
    # Every worst case but the longest accepted pattern is refused, and none crashes the validator.
    problems = found["problems"]
    assert (problems == []) == (case == "regex_longest_accepted"), (case, problems)
    assert not any("could not be validated" in p for p in problems), (case, problems)
