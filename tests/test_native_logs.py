"""forensics.media.native_logs: MediaPipe's native log lines stay off stderr inside
quiet_native_stderr(), and nothing else is lost. Each case runs in a fresh process, as
TensorFlow Lite prints its line once per process and descriptor 2 is the process's."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from forensics.media.native_logs import is_native_noise

XNNPACK_LINE = "INFO: Created TensorFlow Lite XNNPACK delegate for CPU."
FEEDBACK_LINE = "inference_feedback_manager.cc"
ABSL_BANNER = "WARNING: All log messages before absl::InitializeLog() is called"

_FACE_MESH = textwrap.dedent("""
    import os, sys, warnings
    from contextlib import nullcontext
    warnings.filterwarnings("ignore", module="google.protobuf")  # MediaPipe's own, not ours
    from skimage import data
    from mediapipe.python.solutions import face_mesh
    from forensics.media.native_logs import quiet_native_stderr

    quiet = sys.argv[1] == "quiet"
    with quiet_native_stderr() if quiet else nullcontext():
        mesh = face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=True)
        result = mesh.process(data.astronaut())
        print("python line inside the block", file=sys.stderr)
        warnings.warn("python warning inside the block")
    with quiet_native_stderr() if quiet else nullcontext():
        mesh.reset()  # the graph starts again: its calculators log again
        mesh._graph.wait_until_idle()
    mesh.close()
    print("faces", len(result.multi_face_landmarks or []))
""")


def _face_mesh(mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", _FACE_MESH, mode], capture_output=True,
                          text=True, check=True, timeout=120)


def test_face_mesh_prints_native_lines_without_the_context_manager() -> None:
    """The noise is real: without the block, construction, first run and reset print it."""
    done = _face_mesh("plain")
    assert done.stdout.split() == ["faces", "1"]
    assert XNNPACK_LINE in done.stderr and ABSL_BANNER in done.stderr
    assert done.stderr.count(FEEDBACK_LINE) == 4  # 2 inference calculators, 2 graph starts


def test_face_mesh_is_quiet_inside_the_context_manager() -> None:
    done = _face_mesh("quiet")
    assert done.stdout.split() == ["faces", "1"]
    for noise in (XNNPACK_LINE, ABSL_BANNER, FEEDBACK_LINE):
        assert noise not in done.stderr
    # Python's own output in the block is written back, in order
    lines = done.stderr.splitlines()
    assert lines[0] == "python line inside the block"
    assert "UserWarning: python warning inside the block" in lines[1]


_RAW = textwrap.dedent("""
    import os, sys
    from forensics.media.native_logs import quiet_native_stderr

    def native(line):  # what C++ does: write(2, ...) past Python's sys.stderr
        os.write(2, line.encode() + b"\\n")

    native("before")
    with quiet_native_stderr():
        native("W0000 00:00:1796180818.636090     326 some_calculator.cc:114] chatter")
        with quiet_native_stderr():  # nested: still one redirection
            native("I20260102 12:34:56.789012  4242 graph.cc:12] glog-style info")
            native("E0000 00:00:1796180818.700000     326 graph.cc:99] a real native error")
        native("INFO: Initialized TensorFlow Lite runtime.")
        print("python", file=sys.stderr)
    native("after")
    with quiet_native_stderr():
        raise ValueError("raised inside the block")
""")


def test_only_native_info_and_warnings_are_dropped_and_exceptions_propagate() -> None:
    done = subprocess.run([sys.executable, "-c", _RAW], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert lines[:4] == [
        "before",
        "E0000 00:00:1796180818.700000     326 graph.cc:99] a real native error",
        "python",
        "after",
    ]
    assert "ValueError: raised inside the block" in lines[-1]  # the traceback reaches stderr
    assert "chatter" not in done.stderr and "glog-style" not in done.stderr
    assert "Initialized TensorFlow Lite" not in done.stderr


@pytest.mark.parametrize(("line", "noise"), [
    (XNNPACK_LINE, True),
    (ABSL_BANNER + " are written to STDERR", True),
    ("W0000 00:00:1796180818.636090     326 inference_feedback_manager.cc:114] Feedback", True),
    ("I20260102 12:34:56.789012  4242 gl_context.cc:357] GL version", True),
    ("E0000 00:00:1796180818.636090     326 calculator_graph.cc:887] failed", False),
    ("F0000 00:00:1796180818.636090     326 graph.cc:1] check failed", False),
    ("UserWarning: something", False),
    ("INFO:root:a Python logging record", False),
    ("Traceback (most recent call last):", False),
])
def test_is_native_noise(line: str, noise: bool) -> None:
    assert is_native_noise(line.encode() + b"\n") is noise
