"""Binary output helpers shared by the writers."""

from __future__ import annotations

import hashlib
import io
from typing import BinaryIO


class ForwardingWriter(io.RawIOBase):
    """Passes bytes through to `target`, counting them and optionally hashing them on the way.

    Writers hand this to libraries that expect a complete file object (`tell`, `closed`, `flush`),
    so the caller's stream may be anything with `write(bytes)`, seekable or not (a zip member, an
    HTTP response). Closing it never closes the target: the caller owns that.
    """

    def __init__(self, target: BinaryIO, *, sha256: bool = False):
        super().__init__()
        self._target = target
        self._hash = hashlib.sha256() if sha256 else None
        self.bytes_written = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        if self.closed:
            raise ValueError("write to a closed ForwardingWriter")
        view = memoryview(data).cast("B")
        if self._hash is not None:
            self._hash.update(view)
        written = 0
        while written < len(view):
            # Raw streams may take fewer bytes than offered; file-likes that return None (HTTP responses)
            # take everything.
            count = self._target.write(view[written:])
            written += len(view) - written if count is None else count
        self.bytes_written += len(view)
        return len(view)

    def tell(self) -> int:
        return self.bytes_written

    def flush(self) -> None:
        flush = getattr(self._target, "flush", None)
        if flush is not None and not getattr(self._target, "closed", False):
            flush()

    @property
    def sha256(self) -> str:
        if self._hash is None:
            raise ValueError("this writer was created without sha256=True")
        return self._hash.hexdigest()


class TextBuffer:
    """Collects text and writes it to a binary stream as UTF-8 once enough has gathered.

    Encoding many small pieces one at a time is slow; joining them and writing in blocks of about
    `block_chars` characters keeps both the call count and the memory bounded.
    """

    def __init__(self, stream: BinaryIO, *, block_chars: int = 1 << 20):
        self._stream = stream
        self._parts: list[str] = []
        self._size = 0
        self._block = block_chars

    def write(self, text: str) -> None:
        self._parts.append(text)
        self._size += len(text)
        if self._size >= self._block:
            self.flush()

    def flush(self) -> None:
        if self._parts:
            self._stream.write("".join(self._parts).encode("utf-8"))
            self._parts.clear()
            self._size = 0
