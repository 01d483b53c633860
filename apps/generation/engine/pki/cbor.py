"""Deterministic CBOR (RFC 8949 4.2.1: shortest forms, map keys sorted by their encodings) for ISO 18013-5.

Only what the mobile security object and issuer-signed items hold: integers, byte and text strings, arrays,
maps, tags, booleans and null. A small encoder keeps mdoc bytes a pure function of the row without another
dependency.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tag:
    number: int
    value: object


def _head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | info]) + n.to_bytes(size, "big")
    raise ValueError("integer too large for CBOR")


def dumps(value) -> bytes:
    if value is None:
        return b"\xf6"
    if value is True:
        return b"\xf5"
    if value is False:
        return b"\xf4"
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, bytes | bytearray):
        return _head(2, len(value)) + bytes(value)
    if isinstance(value, str):
        data = value.encode("utf-8")
        return _head(3, len(data)) + data
    if isinstance(value, list | tuple):
        return _head(4, len(value)) + b"".join(dumps(v) for v in value)
    if isinstance(value, dict):
        items = sorted((dumps(k), dumps(v)) for k, v in value.items())
        return _head(5, len(items)) + b"".join(k + v for k, v in items)
    if isinstance(value, Tag):
        return _head(6, value.number) + dumps(value.value)
    raise TypeError(f"cannot encode {type(value).__name__} as CBOR")


def embedded(value) -> Tag:
    """#6.24(bstr .cbor value): CBOR carried as a byte string, hashed and signed as those exact bytes."""
    return Tag(24, dumps(value))
