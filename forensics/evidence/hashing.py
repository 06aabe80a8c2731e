"""One streaming pass over a file: SHA-256, SHA-1 and MD5, optionally copying it.

Each digest (and the copy) runs in its own thread: hashlib and file writes release
the GIL on large buffers, so on two cores the three digests overlap and the copy
costs little. Chunks are read into a small ring of reused buffers (no allocation
per chunk), so memory stays at ``RING_SIZE * CHUNK_SIZE`` whatever the file size.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

CHUNK_SIZE = 4 * 1024 * 1024
RING_SIZE = 8  # buffers in flight: 32 MiB, enough slack for the disk to lag the hashes
SYNC_EVERY = 4  # chunks between writeback requests for a copy: writeback overlaps hashing
ALGORITHMS = ("sha256", "sha1", "md5")


@dataclass(frozen=True)
class Digests:
    """Hex digests and size of one byte stream."""

    sha256: str
    sha1: str
    md5: str
    size: int


class _Ring:
    """Reusable buffers; a buffer returns to the pool once every consumer is done."""

    def __init__(self, consumers: int) -> None:
        self.buffers = [bytearray(CHUNK_SIZE) for _ in range(RING_SIZE)]
        self.free: queue.Queue[int] = queue.Queue()
        for index in range(RING_SIZE):
            self.free.put(index)
        self.pending = [0] * RING_SIZE
        self.consumers = consumers
        self.lock = threading.Lock()

    def take(self) -> int:
        index = self.free.get()
        self.pending[index] = self.consumers
        return index

    def release(self, index: int) -> None:
        with self.lock:
            self.pending[index] -= 1
            done = self.pending[index] == 0
        if done:
            self.free.put(index)


class _Consumer(threading.Thread):
    """Applies ``sink`` to each chunk in order; remembers the first error."""

    def __init__(self, sink: Callable[[memoryview], object], ring: _Ring) -> None:
        super().__init__(daemon=True)
        self.sink = sink
        self.ring = ring
        self.chunks: queue.Queue[tuple[int, int] | None] = queue.Queue()
        self.error: BaseException | None = None

    def run(self) -> None:
        while True:
            item = self.chunks.get()
            if item is None:
                return
            index, length = item
            if self.error is None:
                try:
                    self.sink(memoryview(self.ring.buffers[index])[:length])
                except BaseException as exc:  # noqa: BLE001 - handed to the producer, re-raised there
                    self.error = exc
            self.ring.release(index)


def _copy_sink(target: BinaryIO) -> Callable[[memoryview], object]:
    """Write chunks to ``target``, asking the kernel to write back as we go, so that
    the final fsync does not wait for the whole file."""
    written = 0

    def sink(chunk: memoryview) -> None:
        nonlocal written
        target.write(chunk)
        written += 1
        if written % SYNC_EVERY == 0:
            target.flush()
            # Linux starts writeback of dirty pages on POSIX_FADV_DONTNEED without
            # waiting for it (unlike fdatasync, which would stall the copy thread).
            os.posix_fadvise(target.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)

    return sink


def digest_stream(
    source: BinaryIO,
    *,
    copy_to: BinaryIO | None = None,
    progress: Callable[[int], None] | None = None,
) -> Digests:
    """Read ``source`` to its end once; return its digests, writing a copy if asked.

    A copy to a real file is handed to the kernel's writeback as it is written; the
    caller still fsyncs at the end.
    """
    hashers = {name: hashlib.new(name) for name in ALGORITHMS}
    sinks: list[Callable[[memoryview], object]] = [h.update for h in hashers.values()]
    if copy_to is not None:
        has_fd = hasattr(copy_to, "fileno") and _has_fileno(copy_to)
        sinks.append(_copy_sink(copy_to) if has_fd else copy_to.write)
    ring = _Ring(len(sinks))
    consumers = [_Consumer(sink, ring) for sink in sinks]
    for consumer in consumers:
        consumer.start()
    size = 0
    try:
        while not any(c.error for c in consumers):
            index = ring.take()
            length = source.readinto(ring.buffers[index])  # type: ignore[attr-defined]
            if not length:
                ring.free.put(index)
                break
            size += length
            for consumer in consumers:
                consumer.chunks.put((index, length))
            if progress is not None:
                progress(length)
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


def _has_fileno(handle: BinaryIO) -> bool:
    try:
        handle.fileno()
    except (OSError, ValueError):  # io.BytesIO and friends
        return False
    return True


def sha256_file(source: BinaryIO, progress: Callable[[int], None] | None = None) -> str:
    """SHA-256 alone, for re-verification (the stored name is the SHA-256)."""
    hasher = hashlib.sha256()
    while chunk := source.read(CHUNK_SIZE):
        hasher.update(chunk)
        if progress is not None:
            progress(len(chunk))
    return hasher.hexdigest()
