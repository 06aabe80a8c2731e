"""One streaming pass over a file: SHA-256, SHA-1 and MD5, optionally copying it.

Each digest (and the copy) runs in its own thread fed by a bounded queue: hashlib
releases the GIL on large buffers, so on two cores the three digests overlap and the
copy costs little. Memory stays at a few chunks whatever the file size.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

CHUNK_SIZE = 4 * 1024 * 1024
QUEUE_DEPTH = 4  # chunks in flight per consumer: bounds memory at ~16 MiB a consumer
ALGORITHMS = ("sha256", "sha1", "md5")


@dataclass(frozen=True)
class Digests:
    """Hex digests and size of one byte stream."""

    sha256: str
    sha1: str
    md5: str
    size: int


class _Consumer(threading.Thread):
    """Applies ``sink`` to each chunk in order; remembers the first error."""

    def __init__(self, sink: Callable[[bytes], object]) -> None:
        super().__init__(daemon=True)
        self.sink = sink
        self.chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=QUEUE_DEPTH)
        self.error: BaseException | None = None

    def run(self) -> None:
        while True:
            chunk = self.chunks.get()
            if chunk is None:
                return
            if self.error is None:
                try:
                    self.sink(chunk)
                except BaseException as exc:  # handed to the producer, re-raised there
                    self.error = exc


def digest_stream(
    source: BinaryIO,
    *,
    copy_to: BinaryIO | None = None,
    progress: Callable[[int], None] | None = None,
) -> Digests:
    """Read ``source`` to its end once; return its digests, writing a copy if asked."""
    hashers = {name: hashlib.new(name) for name in ALGORITHMS}
    sinks: list[Callable[[bytes], object]] = [h.update for h in hashers.values()]
    if copy_to is not None:
        sinks.append(copy_to.write)
    consumers = [_Consumer(sink) for sink in sinks]
    for consumer in consumers:
        consumer.start()
    size = 0
    try:
        while True:
            chunk = source.read(CHUNK_SIZE)
            if not chunk:
                break
            size += len(chunk)
            for consumer in consumers:
                consumer.chunks.put(chunk)
            if progress is not None:
                progress(len(chunk))
            if any(c.error for c in consumers):
                break
    finally:
        for consumer in consumers:
            consumer.chunks.put(None)
        for consumer in consumers:
            consumer.join()
    for consumer in consumers:
        if consumer.error is not None:
            raise consumer.error
    return Digests(
        sha256=hashers["sha256"].hexdigest(),
        sha1=hashers["sha1"].hexdigest(),
        md5=hashers["md5"].hexdigest(),
        size=size,
    )


def sha256_file(source: BinaryIO, progress: Callable[[int], None] | None = None) -> str:
    """SHA-256 alone, for re-verification (the stored name is the SHA-256)."""
    hasher = hashlib.sha256()
    while chunk := source.read(CHUNK_SIZE):
        hasher.update(chunk)
        if progress is not None:
            progress(len(chunk))
    return hasher.hexdigest()
