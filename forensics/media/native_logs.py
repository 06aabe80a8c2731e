"""Keep native libraries' log chatter off the examiner's console.

MediaPipe 0.10.14's face-mesh graph writes, from C++ and straight to file descriptor 2:

- ``INFO: Created TensorFlow Lite XNNPACK delegate for CPU.``: TensorFlow Lite's
  minimal logger (``fprintf(stderr, ...)``), once per process, when the first inference
  calculator builds its interpreter;
- ``WARNING: All log messages before absl::InitializeLog() is called are written to
  STDERR``, then ``W0000 00:00:<time> <thread> inference_feedback_manager.cc:114]
  Feedback manager requires a model with a single signature inference. Disabling support
  for feedback tensors.``: Abseil logging (``ABSL_LOG(WARNING)``), once per inference
  calculator (two per face-mesh graph) every time the graph starts: at construction
  and again at every ``reset()``.

The calculators open on the graph's worker threads *after* the constructor (or
``reset()``) has returned; the lines appear some milliseconds later, whenever the graph
gets to them, and by the time the graph's first ``process()`` call (or
``_graph.wait_until_idle()``) returns. Environment variables do not help: Abseil logs
everything to stderr until ``absl::InitializeLog()``, which MediaPipe's Python module
never calls, so ``GLOG_minloglevel`` has no effect on these lines, and the library reads
no ``TF_CPP_MIN_LOG_LEVEL`` (the string is not in its binary).

So :func:`quiet_native_stderr` points descriptor 2 at a temporary file for the span of a
block, and afterwards writes back everything in it except native informational and
warning lines (:func:`is_native_noise`). Native errors (``E...``/``F...`` lines),
Python warnings and anything else written meanwhile reach stderr, in order, when the
block ends; exceptions raised in the block propagate unchanged.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from typing import IO

STDERR_FD = 2

# Abseil (and glog) log line of severity INFO or WARNING:
# "W0000 00:00:1796180818.636090     326 inference_feedback_manager.cc:114] ..."
# ("W0000 00:00:<epoch seconds>" is Abseil's prefix before its time zone is set up;
# glog writes "W20260102 12:34:56.789012 ...").
_NATIVE_INFO_OR_WARNING = re.compile(rb"^[IW]\d{4}(?:\d{4})? [\d:.]+ +\d+ [^\]\s]+:\d+\] ")
_NOISE_LINES = (
    b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
)
_TFLITE_INFO = b"INFO: "  # TensorFlow Lite's minimal logger: "<SEVERITY>: message"

# Descriptor 2 belongs to the whole process: only the outermost of nested or concurrent
# blocks redirects it, and the last one to end restores it.
_lock = threading.Lock()
_depth = 0
_saved_fd: int | None = None
_capture: IO[bytes] | None = None


def is_native_noise(line: bytes) -> bool:
    """Whether a line written to descriptor 2 is native informational or warning chatter."""
    text = line.rstrip(b"\r\n")
    return (text in _NOISE_LINES or text.startswith(_TFLITE_INFO)
            or _NATIVE_INFO_OR_WARNING.match(text) is not None)


def _flush_all() -> None:
    """Flush what Python and C stdio hold for descriptor 2 before it is switched."""
    for stream in (sys.stderr, sys.__stderr__):
        with contextlib.suppress(Exception):  # a closed or replaced stream is not ours
            if stream is not None:
                stream.flush()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).fflush(None)  # every C FILE*, stderr included


def _redirect() -> None:
    global _saved_fd, _capture
    _flush_all()
    capture = tempfile.TemporaryFile(prefix="native-stderr-")  # noqa: SIM115 - closed in _restore
    try:
        saved = os.dup(STDERR_FD)
    except OSError:  # no descriptor 2 at all (a daemon): nothing to silence
        capture.close()
        return
    os.dup2(capture.fileno(), STDERR_FD)
    _saved_fd, _capture = saved, capture


def _restore() -> None:
    global _saved_fd, _capture
    if _saved_fd is None or _capture is None:
        return
    _flush_all()
    os.dup2(_saved_fd, STDERR_FD)
    os.close(_saved_fd)
    capture, _saved_fd, _capture = _capture, None, None
    with capture:
        capture.seek(0)
        kept = b"".join(line for line in capture if not is_native_noise(line))
    if kept:
        os.write(STDERR_FD, kept)


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Silence native info and warning lines written to descriptor 2 within the block.

    Everything else written to descriptor 2 meanwhile (native errors, Python warnings,
    log records) is written to it when the block ends. Keep the block short: output
    from other threads is held back until then.
    """
    global _depth
    with _lock:
        if _depth == 0:
            _redirect()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _restore()
