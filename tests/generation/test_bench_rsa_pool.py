"""`manage.py bench rsa-pool`: a small run prints its figures; bad arguments are refused."""

import io
import re

import pytest
from django.core.management import CommandError, call_command


def test_rsa_pool_benchmark_prints_its_figures():
    stdout = io.StringIO()
    call_command("bench", "rsa-pool", "--keys", "1", "--signatures", "20", stdout=stdout)
    text = stdout.getvalue()
    assert "bench rsa-pool: 1 pool keys of 2048 bits, 20 signatures" in text
    assert re.search(r"key generation: [\d.]+ s mean, [\d.]+ s min, [\d.]+ s max per key", text)
    assert "same key when generated again: yes" in text
    assert re.search(r"RSASSA-PSS SHA-256 salt 0 \(engine\): [\d,]+ signatures/s", text)


@pytest.mark.parametrize(("args", "message"), [
    (["--bits", "1024"], "--bits must be one of 2048, 3072"),
    (["--keys", "17"], "--keys must be between 1 and 16"),
    (["--signatures", "0"], "--signatures must be at least 1"),
])
def test_bad_rsa_pool_arguments(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("bench", "rsa-pool", *args)
