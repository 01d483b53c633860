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


@dataclass(frozen=True)
class Raw:
    """Bytes that already are one CBOR item (parts that repeat across documents are encoded once)."""

    data: bytes


def _head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | info]) + n.to_bytes(size, "big")
    raise ValueError("integer too large for CBOR")


def _int(value: int) -> bytes:
    return _head(0, value) if value >= 0 else _head(1, -1 - value)


def _bytes(value: bytes) -> bytes:
    return _head(2, len(value)) + bytes(value)


def _text(value: str) -> bytes:
    data = value.encode("utf-8")
    return _head(3, len(data)) + data


def _array(value) -> bytes:
    return _head(4, len(value)) + b"".join([dumps(v) for v in value])


def _map(value: dict) -> bytes:
    items = sorted([(dumps(k), dumps(v)) for k, v in value.items()])
    return _head(5, len(items)) + b"".join([k + v for k, v in items])


# Dispatch on the exact type (bool before int matters: True is an int too).
_ENCODERS = {
    type(None): lambda v: b"\xf6", bool: lambda v: b"\xf5" if v else b"\xf4", int: _int, bytes: _bytes,
    bytearray: _bytes, str: _text, list: _array, tuple: _array, dict: _map,
    Tag: lambda v: _head(6, v.number) + dumps(v.value), Raw: lambda v: v.data,
}


def dumps(value) -> bytes:
    encoder = _ENCODERS.get(type(value))
    if encoder is None:
        raise TypeError(f"cannot encode {type(value).__name__} as CBOR")
    return encoder(value)


def embedded(value) -> Tag:
    """#6.24(bstr .cbor value): CBOR carried as a byte string, hashed and signed as those exact bytes."""
    return Tag(24, dumps(value))
