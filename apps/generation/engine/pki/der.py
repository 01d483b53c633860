"""A minimal DER encoder for the CMS structures `cryptography` cannot build (ICAO eContent types).

Only what SignedData, the LDS security object and the CSCA master list need: lengths, INTEGER, OID,
OCTET STRING, SEQUENCE, SET (sorted as DER requires), UTCTime and tagged wrappers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache


def length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    if n < 0x100:
        return bytes((0x81, n))
    if n < 0x10000:
        return bytes((0x82, n >> 8, n & 0xFF))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag: int, body: bytes) -> bytes:
    return bytes((tag,)) + length(len(body)) + body


def integer(value: int) -> bytes:
    size = max(1, (value.bit_length() + 8) // 8) if value >= 0 else (value.bit_length() + 8) // 8
    return tlv(0x02, value.to_bytes(size, "big", signed=True))


@cache
def oid(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    body = bytearray([40 * parts[0] + parts[1]])
    for part in parts[2:]:
        chunk = [part & 0x7F]
        part >>= 7
        while part:
            chunk.append(0x80 | (part & 0x7F))
            part >>= 7
        body.extend(reversed(chunk))
    return tlv(0x06, bytes(body))


def octets(data: bytes) -> bytes:
    return tlv(0x04, data)


def null() -> bytes:
    return b"\x05\x00"


def sequence(*items: bytes) -> bytes:
    return tlv(0x30, b"".join(items))


def set_of(*items: bytes) -> bytes:
    # DER orders the elements of a SET OF by their encodings.
    return tlv(0x31, b"".join(sorted(items)))


def explicit(number: int, body: bytes) -> bytes:
    return tlv(0xA0 | number, body)


def implicit_constructed(number: int, content: bytes) -> bytes:
    """A constructed [number] IMPLICIT tag over the contents (without tag and length) of a SET/SEQUENCE."""
    return tlv(0xA0 | number, content)


def contents(encoded: bytes) -> bytes:
    """The contents octets of one DER element."""
    first = encoded[1]
    if first < 0x80:
        return encoded[2:2 + first]
    size = first & 0x7F
    n = int.from_bytes(encoded[2:2 + size], "big")
    return encoded[2 + size:2 + size + n]


def utc_time(moment: datetime) -> bytes:
    moment = moment.astimezone(UTC) if moment.tzinfo else moment
    if 1950 <= moment.year < 2050:
        return tlv(0x17, moment.strftime("%y%m%d%H%M%SZ").encode())
    return tlv(0x18, moment.strftime("%Y%m%d%H%M%SZ").encode())


@cache
def algorithm(dotted: str, *, with_null: bool = False) -> bytes:
    return sequence(oid(dotted), null()) if with_null else sequence(oid(dotted))
