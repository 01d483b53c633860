"""A small CBOR decoder for the verifier (independent of the generator's encoder): definite lengths only,
bounded depth, and each tag kept with its value so #6.24 byte strings can be hashed as they were sent."""

from __future__ import annotations

from dataclasses import dataclass

MAX_DEPTH = 32


class CBORError(ValueError):
    pass


@dataclass(frozen=True)
class Tagged:
    number: int
    value: object


def loads(data: bytes):
    value, end = _read(data, 0, 0)
    if end != len(data):
        raise CBORError("trailing bytes")
    return value


def _read(data: bytes, pos: int, depth: int):
    if depth > MAX_DEPTH:
        raise CBORError("nested too deeply")
    if pos >= len(data):
        raise CBORError("truncated")
    first = data[pos]
    major, info = first >> 5, first & 0x1F
    pos += 1
    if major == 7:
        simple = {20: False, 21: True, 22: None}
        if info in simple:
            return simple[info], pos
        raise CBORError("unsupported simple value or float")
    if info < 24:
        n = info
    elif info in (24, 25, 26, 27):
        size = 1 << (info - 24)
        if pos + size > len(data):
            raise CBORError("truncated")
        n = int.from_bytes(data[pos:pos + size], "big")
        pos += size
    else:
        raise CBORError("indefinite lengths are not accepted")
    if major == 0:
        return n, pos
    if major == 1:
        return -1 - n, pos
    if major in (2, 3):
        if pos + n > len(data):
            raise CBORError("truncated")
        chunk = data[pos:pos + n]
        return (chunk if major == 2 else chunk.decode("utf-8")), pos + n
    if major == 4:
        items = []
        for _ in range(n):
            item, pos = _read(data, pos, depth + 1)
            items.append(item)
        return items, pos
    if major == 5:
        mapping = {}
        for _ in range(n):
            key, pos = _read(data, pos, depth + 1)
            value, pos = _read(data, pos, depth + 1)
            if isinstance(key, list | dict):
                raise CBORError("unhashable map key")
            mapping[key] = value
        return mapping, pos
    value, pos = _read(data, pos, depth + 1)
    return Tagged(n, value), pos
