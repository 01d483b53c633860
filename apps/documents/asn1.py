"""A small DER reader for the CMS envelopes the verifier opens (SOD, master list).

Independent of the generator's encoder on purpose: the report must not trust the code it checks. It reads
tag, length and contents, refusing indefinite lengths and anything that runs past its parent.
"""

from __future__ import annotations

from dataclasses import dataclass


class ASN1Error(ValueError):
    pass


@dataclass(frozen=True)
class Node:
    tag: int
    data: bytes  # the whole element (tag, length, contents)
    start: int  # offset of the contents inside `data`

    @property
    def contents(self) -> bytes:
        return self.data[self.start:]

    @property
    def constructed(self) -> bool:
        return bool(self.tag & 0x20)

    def children(self) -> list[Node]:
        return read_all(self.contents)


def read_one(data: bytes, offset: int = 0) -> tuple[Node, int]:
    if offset + 2 > len(data):
        raise ASN1Error("truncated element")
    tag = data[offset]
    if tag & 0x1F == 0x1F:
        raise ASN1Error("multi-byte tags are not expected here")
    first = data[offset + 1]
    pos = offset + 2
    if first < 0x80:
        size = first
    elif first == 0x80:
        raise ASN1Error("indefinite length is not DER")
    else:
        count = first & 0x7F
        if count > 4 or pos + count > len(data):
            raise ASN1Error("bad length")
        size = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    end = pos + size
    if end > len(data):
        raise ASN1Error("element runs past its parent")
    return Node(tag, data[offset:end], pos - offset), end


def read_all(data: bytes) -> list[Node]:
    nodes, offset = [], 0
    while offset < len(data):
        node, offset = read_one(data, offset)
        nodes.append(node)
    return nodes


def parse(data: bytes) -> Node:
    node, end = read_one(data)
    if end != len(data):
        raise ASN1Error("trailing bytes after the element")
    return node


def oid(node: Node) -> str:
    if node.tag != 0x06 or not node.contents:
        raise ASN1Error("expected an OBJECT IDENTIFIER")
    body = node.contents
    parts = [body[0] // 40, body[0] % 40] if body[0] < 80 else [2, body[0] - 80]
    value = 0
    for byte in body[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(str(p) for p in parts)


def integer(node: Node) -> int:
    if node.tag != 0x02:
        raise ASN1Error("expected an INTEGER")
    return int.from_bytes(node.contents, "big", signed=True)
