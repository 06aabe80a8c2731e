"""Blink events from per-frame eye aspect ratios: pure NumPy/SciPy, no video or model.

Method (parameters in ``BlinkParams``, each with the reason for its value):

1. EAR per eye per frame (Soukupova and Cech 2016) from six eye landmarks; a frame is
   scorable when a face was tracked, both eyes lie inside the frame and each eye is at
   least ``min_eye_px`` wide (smaller eyes leave the lids a pixel or two apart, where
   landmark jitter is as large as a blink). The two eyes are averaged: blinks are
   bilateral and synchronous, landmark noise is not, so this is the spatial smoothing;
   in time a 3-tap [1, 2, 1] kernel is applied only above 40 fps, because at 25-30 fps
   a blink's closed phase can be one frame long and any wider kernel would erase it.
2. Open-eye baseline per subject and moment: a running upper percentile of the EAR over
   a window of a few seconds. Blinks occupy well under 10 % of the time, so the 90th
   percentile is the open-eye level, and it follows slow changes (gaze lowered, head
   pitch, a different person's eye shape) instead of one fixed threshold such as 0.2.
3. Closure c = 1 - EAR / baseline: 0 open, 1 closed. A candidate is a run of frames
   with c >= ``onset_closure``, split where the lids reopen by at least ``split_reopen``
   between two closures (a blink out of a lowered-lid gaze, right after another blink);
   its peak is the deepest frame. It counts as a blink when
   - its peak closure >= ``full_closure`` (a complete or nearly complete blink), or
   - its peak closure >= ``partial_closure`` and it is fast: at most
     ``partial_max_width_s`` above half its depth (an incomplete blink keeps the blink's
     ballistic lid kinematics, voluntary narrowing such as a squint does not), and in
     both cases its depth in EAR units is at least ``min_snr`` times the subject's
     landmark noise (robust sigma of frame-to-frame EAR changes), so a jittery track
     cannot produce events;
   - and it lasts no longer than ``max_width_s`` above half depth (longer closures are
     eyes shut, not blinks).
4. A run that starts at the first frame of a scorable segment is not counted: its
   closing phase was not observed (a frozen or cut-in closed-eye frame); a run that is
   cut off at the end is counted when it reached ``full_closure``, because its closing
   was seen; an incomplete one is not, since its speed cannot be judged without the
   reopening.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np

# MediaPipe face-mesh indices p1..p6 of each eye: corner, two upper lid, corner, two lower.
RIGHT_EYE = (33, 160, 158, 133, 153, 144)
LEFT_EYE = (362, 385, 387, 263, 373, 380)


@dataclass(frozen=True)
class BlinkParams:
    """Event-detection parameters (see the module docstring for the reasons)."""

    min_eye_px: float = 8.0  #: eye corner-to-corner width below which EAR is not scored
    smooth_above_fps: float = 40.0  #: temporal [1,2,1] smoothing only above this rate
    baseline_window_s: float = 2.0  #: open-eye baseline window (several inter-blink gaps)
    baseline_percentile: float = 90.0  #: blinks fill < 10 % of frames
    onset_closure: float = 0.2  #: event boundary: lids 20 % below the open baseline
    full_closure: float = 0.55  #: a complete blink closes the aperture by more than half
    partial_closure: float = 0.4  #: an incomplete blink still lowers the lids by 40 %
    partial_max_width_s: float = 0.15  #: incomplete blinks are fast (closing + opening)
    max_width_s: float = 0.5  #: a blink is 100-400 ms; longer above half depth: eyes shut
    split_reopen: float = 0.25  #: lids reopening by a quarter of the aperture split two events
    min_snr: float = 8.0  #: depth must exceed 8 sigma of the subject's landmark noise
    min_segment_s: float = 0.5  #: shorter tracked stretches give no usable baseline


@dataclass(frozen=True)
class BlinkEvent:
    """One detected blink (frames are 0-based decode indices, inclusive)."""

    start_frame: int
    peak_frame: int
    end_frame: int
    start_s: float
    peak_s: float
    end_s: float
    peak_closure: float  #: 1 - EAR/baseline at the peak (1 = fully closed)
    complete: bool  #: peak closure reached ``full_closure``
    truncated: bool  #: the clip or the track ends before the lids reopen

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def as_json(self) -> dict[str, Any]:
        return {
            "start_frame": self.start_frame,
            "peak_frame": self.peak_frame,
            "end_frame": self.end_frame,
            "start_s": round(self.start_s, 4),
            "peak_s": round(self.peak_s, 4),
            "end_s": round(self.end_s, 4),
            "peak_closure": round(self.peak_closure, 3),
            "complete": self.complete,
            "truncated": self.truncated,
        }


def eye_aspect_ratio(landmarks: np.ndarray, eye: Sequence[int]) -> float:
    """EAR = (|p2-p6| + |p3-p5|) / (2 |p1-p4|) for one eye's six landmarks."""
    p = landmarks[list(eye)].astype(np.float64)
    vertical = np.linalg.norm(p[1] - p[5]) + np.linalg.norm(p[2] - p[4])
    return float(vertical / (2.0 * np.linalg.norm(p[0] - p[3])))


def eye_width(landmarks: np.ndarray, eye: Sequence[int]) -> float:
    return float(np.linalg.norm(landmarks[eye[0]] - landmarks[eye[3]]))


def eyes_scorable(landmarks: np.ndarray, width: int, height: int, min_eye_px: float) -> bool:
    """Both eyes fully inside the frame and large enough to measure."""
    points = landmarks[list(RIGHT_EYE) + list(LEFT_EYE)]
    inside = bool(
        (points[:, 0] >= 0).all() and (points[:, 0] < width).all()
        and (points[:, 1] >= 0).all() and (points[:, 1] < height).all()
    )
    return inside and min(eye_width(landmarks, RIGHT_EYE), eye_width(landmarks, LEFT_EYE)) >= min_eye_px


@dataclass(frozen=True)
class EarSeries:
    """Per-frame measurements of one video (arrays of equal length, NaN where unscorable)."""

    frame: np.ndarray  #: decode indices
    time_s: np.ndarray
    right: np.ndarray  #: EAR of the subject's right eye
    left: np.ndarray
    scorable: np.ndarray  #: bool


@dataclass(frozen=True)
class BlinkAnalysis:
    """Events plus the signals they were read from (for the artifact and the plot)."""

    events: tuple[BlinkEvent, ...]
    ear: np.ndarray  #: binocular (smoothed) EAR, NaN where unscorable
    baseline: np.ndarray  #: open-eye baseline, NaN where unscorable
    noise: float | None  #: robust sigma of frame-to-frame EAR changes (median of segments)
    scorable_segments: tuple[tuple[int, int], ...]  #: (first, last) positions, inclusive


def _segments(mask: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive (first, last) positions of the runs of True."""
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _robust_sigma(values: np.ndarray) -> float:
    diffs = np.diff(values)
    if diffs.size < 2:
        return 0.0
    return float(1.4826 * np.median(np.abs(diffs - np.median(diffs))) / np.sqrt(2.0))


def usable_segments(series: EarSeries, fps: float, params: BlinkParams) -> list[tuple[int, int]]:
    """Runs of scorable frames long enough to carry a baseline."""
    min_frames = max(2, int(np.ceil(params.min_segment_s * fps)))
    return [(a, b) for a, b in _segments(series.scorable) if b - a + 1 >= min_frames]


def detect_blinks(series: EarSeries, fps: float, params: BlinkParams = BlinkParams()) -> BlinkAnalysis:
    """Blink events in one face track (see the module docstring)."""
    from scipy import ndimage  # SciPy only when measuring: the CLI starts fast

    n = series.frame.size
    ear = np.full(n, np.nan)
    baseline = np.full(n, np.nan)
    segments = usable_segments(series, fps, params)
    window = max(3, round(params.baseline_window_s * fps) | 1)
    noises: list[float] = []
    for a, b in segments:
        e = (series.right[a : b + 1] + series.left[a : b + 1]) / 2.0
        if fps > params.smooth_above_fps and e.size >= 3:
            e = np.convolve(np.pad(e, 1, mode="edge"), [0.25, 0.5, 0.25], mode="valid")
        ear[a : b + 1] = e
        baseline[a : b + 1] = ndimage.percentile_filter(e, params.baseline_percentile, size=window, mode="nearest")
        noises.append(_robust_sigma(e))
    noise = float(np.median(noises)) if noises else None
    events: list[BlinkEvent] = []
    for a, b in segments:
        events.extend(_segment_events(series, ear, baseline, a, b, fps, noise or 0.0, params))
    return BlinkAnalysis(tuple(events), ear, baseline, noise, tuple(segments))


def _segment_events(
    series: EarSeries,
    ear: np.ndarray,
    baseline: np.ndarray,
    a: int,
    b: int,
    fps: float,
    noise: float,
    params: BlinkParams,
) -> list[BlinkEvent]:
    closure = 1.0 - ear[a : b + 1] / baseline[a : b + 1]
    last = b - a
    events = []
    for run_start, run_end in _segments(closure >= params.onset_closure):
        for start, end in _split(closure, run_start, run_end, params.split_reopen):
            if start == 0:
                continue  # closing phase not observed (see module docstring, step 4)
            run = closure[start : end + 1]
            peak = start + int(np.argmax(run))
            depth = float(closure[peak])
            width_s = _half_depth_frames(run, peak - start) / fps
            truncated = end == last
            fast = width_s <= params.partial_max_width_s + 1e-9 and not truncated
            if depth >= params.full_closure:
                complete = True
            elif depth >= params.partial_closure and fast:
                complete = False
            else:
                continue
            depth_ear = depth * float(baseline[a + peak])
            if width_s > params.max_width_s + 1e-9 or depth_ear < params.min_snr * noise:
                continue
            s, p, e = a + start, a + peak, a + end
            events.append(
                BlinkEvent(
                    start_frame=int(series.frame[s]),
                    peak_frame=int(series.frame[p]),
                    end_frame=int(series.frame[e]),
                    start_s=float(series.time_s[s]),
                    peak_s=float(series.time_s[p]),
                    end_s=float(series.time_s[e]),
                    peak_closure=depth,
                    complete=complete,
                    truncated=truncated,
                )
            )
    return events


def _half_depth_frames(run: np.ndarray, peak: int) -> int:
    """Contiguous frames around the peak that are at least half as closed as the peak."""
    above = run >= run[peak] / 2.0
    left = peak
    while left > 0 and above[left - 1]:
        left -= 1
    right = peak
    while right < run.size - 1 and above[right + 1]:
        right += 1
    return right - left + 1


def _split(closure: np.ndarray, start: int, end: int, reopen: float) -> list[tuple[int, int]]:
    """Cut a run of closed frames at the reopenings between its separate closures."""
    run = closure[start : end + 1]
    from scipy.signal import find_peaks  # SciPy only when measuring

    peaks, _ = find_peaks(np.concatenate([[-np.inf], run, [-np.inf]]), prominence=reopen)
    peaks = peaks - 1
    if peaks.size < 2:
        return [(start, end)]
    cuts = [int(start + p + np.argmin(run[p : q + 1])) for p, q in pairwise(peaks)]
    bounds = [start, *cuts, end]
    # the least-closed frame between two closures ends the first event; the next starts after it
    return [(bounds[0], bounds[1])] + [(c + 1, d) for c, d in pairwise(bounds[1:])]
