"""The eye-blink-rate detector.

Early face-swap deepfakes blink too rarely or not at all (Li, Chang and Lyu, "In Ictu
Oculi", WIFS 2018). Every frame of the video is face-tracked (``forensics.media.faces``),
the eye aspect ratio of each eye is measured, and blink events are read from it against
the subject's own open-eye baseline (``blink_events``). The finding reports the events,
the blink rate over the time in which the eyes could be measured, their durations and the
intervals between them, and compares the rate with published physiological ranges.

Minimum scorable time for a rate: 60 s. Blinking is bursty and varies by minutes
(Doughty 2001 recommends observing for minutes); 60 s is the shortest time in which a
person blinking at the low end of the normal resting range (8 a minute) would show no
blink at all with a probability below 0.1 % (Poisson, e^-8 = 0.03 %), so that both "no
blink" and a rate mean something. Shorter clips give "inconclusive", with the events.

1.1: small faces (missed by the detector on the whole frame) are found in tiles and
tracked in a window around them (``forensics.media.faces.VideoFaceTracker``); a frame in
which the eyes jump by over a quarter of their distance is measured again from a fresh
detection (the tracker's fit lags behind such jumps and can mimic a closing lid).

The method has no validation record yet, so it gives no likelihood ratio: a long enough
clip gets the verdict "not validated" and a reason that states the comparison.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from itertools import pairwise
from typing import Any

import numpy as np

from forensics.detectors.base import Detector, DetectorConfig
from forensics.detectors.blink_events import (
    LEFT_EYE,
    RIGHT_EYE,
    BlinkAnalysis,
    BlinkEvent,
    BlinkParams,
    EarSeries,
    detect_blinks,
    eye_aspect_ratio,
    eyes_scorable,
)
from forensics.detectors.registry import register
from forensics.errors import EvidenceError
from forensics.media.faces import FaceObservation, TrackerConfig, intervals, models_digest
from forensics.media.item import ItemMedia, VideoNeeds
from forensics.model import Artifact, EvidenceInput, Finding, Verdict
from forensics.model.figures import Figure, LinePlot, Series

# Blinks per minute (Bentivoglio et al. 1997 means; Doughty 2001 95 % ranges).
PHYSIOLOGICAL_RANGES: dict[str, dict[str, float | None]] = {
    "rest": {"mean": 17.0, "low": 8.0, "high": 21.0},
    "conversation": {"mean": 26.0, "low": 10.5, "high": 32.5},
    "reading": {"mean": 4.5, "low": None, "high": None},  # no range in the sources used
}

EAR_ARTIFACT = "ear_timeseries"

# Why a frame is unscorable (codes in the artifact and the intervals).
NO_FACE, EYES_UNMEASURABLE, SHORT_TRACK = "no_face", "eyes_not_measurable", "track_too_short"


@dataclass(frozen=True)
class BlinkConfig(DetectorConfig):
    """Settings hashed into every finding."""

    tracker: TrackerConfig = field(default_factory=TrackerConfig)
    events: BlinkParams = field(default_factory=BlinkParams)
    min_scorable_s: float = 60.0  #: shortest measurable time for a rate (module docstring)
    activity: str = "rest"  #: range the rate is compared with (rest, conversation, reading)


def poisson_rate_ci(count: int, seconds: float, level: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) confidence interval of a Poisson rate, in events per minute."""
    from scipy.stats import chi2  # SciPy only when measuring: the CLI starts fast

    alpha = 1.0 - level
    low = 0.0 if count == 0 else chi2.ppf(alpha / 2, 2 * count) / 2
    high = chi2.ppf(1 - alpha / 2, 2 * count + 2) / 2
    return float(low) * 60.0 / seconds, float(high) * 60.0 / seconds


def _landmark_backend() -> str:
    try:
        return f"mediapipe {version('mediapipe')} face mesh"
    except PackageNotFoundError:
        return "mediapipe (version unknown) face mesh"


@register
class BlinkDetector(Detector[BlinkConfig]):
    """Blink rate and blink events of the tracked face in a video."""

    name = "blink"
    version = "1.1.0"
    inputs = frozenset({"video"})
    description = "eye-blink events and rate from face-mesh eye aspect ratios"
    limitations = (
        "Blink method: it counts blinks of one tracked face and compares the rate with "
        "published ranges for healthy adults. Blinking varies with the person, activity, "
        "light and mood, current generators reproduce blinking, and clips shorter than "
        "60 s of measurable face give no rate. It has no validation record, so it states "
        "no likelihood ratio."
    )

    @classmethod
    def default_config(cls) -> BlinkConfig:
        return BlinkConfig()

    @property
    def weights_digest(self) -> str | None:
        return models_digest(self.config.tracker.refine_landmarks)

    @classmethod
    def figure(cls, artifact: Artifact) -> Figure | None:
        """Eye aspect ratio and its open-eye baseline over time."""
        if artifact.name != EAR_ARTIFACT or artifact.data is None:
            return super().figure(artifact)
        body = json.loads(artifact.data)

        def series(label: str, key: str) -> Series:
            return Series(label, tuple((t, v) for t, v in zip(body["time_s"], body[key], strict=True)
                                       if v is not None))

        count = len(body.get("events", []))
        return LinePlot(
            (series("EAR (mean of both eyes)", "ear"), series("open-eye baseline", "baseline")),
            x_label="time (s)", y_label="eye aspect ratio (EAR)",
            caption=f"Eye aspect ratio per frame; {count} blink event(s) were read where it "
                    "drops well below the baseline. Gaps: no measurable face.",
        )

    def video_needs(self) -> VideoNeeds:
        return VideoNeeds(tracking=self.config.tracker)

    def analyze(self, evidence: EvidenceInput, media: ItemMedia) -> Iterator[Finding]:
        if self.config.activity not in PHYSIOLOGICAL_RANGES:
            raise ValueError(f"unknown activity {self.config.activity!r}")
        try:
            video = media.video()
        except EvidenceError as exc:
            yield self.error(evidence, f"the video cannot be read: {exc.reason}")
            return
        series, codes = self._measure(video.observations(self.config.tracker))
        analysis = detect_blinks(series, video.fps, self.config.events)
        yield self._finding(evidence, series, codes, analysis, video.fps, video.rotation)

    # -- measurement ------------------------------------------------------------------

    def _measure(self, observations: Sequence[FaceObservation]) -> tuple[EarSeries, list[str | None]]:
        """EAR of both eyes in every frame, and why each unscorable frame is unscorable."""
        frames: list[int] = []
        times: list[float] = []
        right: list[float] = []
        left: list[float] = []
        codes: list[str | None] = []
        min_eye = self.config.events.min_eye_px
        for obs in observations:
            frames.append(obs.frame_index)
            times.append(obs.time_s)
            if obs.landmarks is None:
                code: str | None = NO_FACE
            elif not eyes_scorable(obs.landmarks, obs.width, obs.height, min_eye):
                code = EYES_UNMEASURABLE
            else:
                code = None
            codes.append(code)
            measured = obs.landmarks if code is None else None
            right.append(np.nan if measured is None else eye_aspect_ratio(measured, RIGHT_EYE))
            left.append(np.nan if measured is None else eye_aspect_ratio(measured, LEFT_EYE))
        scorable = np.array([c is None for c in codes], dtype=bool)
        series = EarSeries(np.array(frames), np.array(times, dtype=float), np.array(right),
                           np.array(left), scorable)
        return series, codes

    # -- the finding -------------------------------------------------------------------

    def _finding(
        self,
        evidence: EvidenceInput,
        series: EarSeries,
        codes: list[str | None],
        analysis: BlinkAnalysis,
        fps: float,
        rotation: int,
    ) -> Finding:
        n = series.frame.size
        usable = np.zeros(n, dtype=bool)
        for a, b in analysis.scorable_segments:
            usable[a : b + 1] = True
        codes = [SHORT_TRACK if c is None and not usable[i] else c for i, c in enumerate(codes)]
        scorable_s = float(usable.sum()) / fps
        total_s = n / fps
        events = analysis.events
        count = len(events)
        rng = PHYSIOLOGICAL_RANGES[self.config.activity]
        details: dict[str, Any] = {
            "blink_count": count,
            "complete_blinks": sum(e.complete for e in events),
            "incomplete_blinks": sum(not e.complete for e in events),
            "blinks_per_minute": None,
            "rate_ci95_per_minute": None,
            "scorable_seconds": round(scorable_s, 3),
            "total_seconds": round(total_s, 3),
            "unscorable_share": round(1.0 - scorable_s / total_s, 4) if total_s else 1.0,
            "frames": n,
            "fps": round(fps, 4),
            "display_rotation_deg": rotation,
            "minimum_scorable_seconds": self.config.min_scorable_s,
            "assumed_activity": self.config.activity,
            "physiological_ranges_per_minute": PHYSIOLOGICAL_RANGES,
            "rate_vs_range": None,
            "durations_s": _summary([e.duration_s + 1.0 / fps for e in events]),
            "inter_blink_intervals_s": _intervals(events, analysis, series),
            "open_eye_ear_median": _round(np.nanmedian(analysis.baseline)) if usable.any() else None,
            "landmark_noise_ear": _round(analysis.noise),
            "events": [e.as_json() for e in events],
            "unscorable_intervals": _unscorable(series, codes),
            "landmark_backend": _landmark_backend(),
        }
        artifact = _timeseries_artifact(series, analysis, codes, fps)
        if not usable.any():
            why = "no face was found in any frame" if all(c == NO_FACE for c in codes) else (
                "no stretch of at least "
                f"{self.config.events.min_segment_s:g} s had a face with both eyes measurable"
            )
            reason = f"{why[:1].upper()}{why[1:]} ({n} frames, {total_s:.1f} s), so blinks cannot be counted."
            return self.finding(evidence.sha256, verdict=Verdict.INCONCLUSIVE, reason=reason,
                                details=details, artifacts=(artifact,))
        rate = count / scorable_s * 60.0
        low, high = poisson_rate_ci(count, scorable_s)
        details["blinks_per_minute"] = round(rate, 3)
        details["rate_ci95_per_minute"] = [round(low, 3), round(high, 3)]
        details["rate_vs_range"] = _compare(rate, rng)
        seen = f"{count} blink{'s' if count != 1 else ''} in {scorable_s:.1f} s of scorable video"
        if scorable_s < self.config.min_scorable_s:
            reason = (
                f"{seen[:1].upper()}{seen[1:]} ({rate:.1f} per minute), but a blink rate needs at least "
                f"{self.config.min_scorable_s:g} s of scorable video (blinking varies over minutes;"
                " in a shorter time even a normal rate can show few or no blinks)."
            )
            return self.finding(evidence.sha256, verdict=Verdict.INCONCLUSIVE, reason=reason,
                                details=details, artifacts=(artifact,))
        reason = (
            f"{seen}: {rate:.1f} per minute (95% CI {low:.1f}-{high:.1f}), "
            f"{_range_sentence(rate, rng, self.config.activity)} "
            "No likelihood ratio: the method has no validation record yet."
        )
        return self.finding(evidence.sha256, verdict=Verdict.NOT_VALIDATED, reason=reason, score=round(rate, 4),
                            details=details, artifacts=(artifact,))


# -- helpers ---------------------------------------------------------------------------


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


def _summary(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0, "median": None, "min": None, "max": None}
    arr = np.asarray(values)
    return {"n": len(values), "median": _round(np.median(arr)), "min": _round(arr.min()),
            "max": _round(arr.max())}


def _intervals(events: tuple[BlinkEvent, ...], analysis: BlinkAnalysis, series: EarSeries) -> dict[str, Any]:
    """Peak-to-peak intervals of consecutive blinks within one uninterrupted track only."""
    segment_of = {}
    for k, (a, b) in enumerate(analysis.scorable_segments):
        for e in events:
            if series.frame[a] <= e.peak_frame <= series.frame[b]:
                segment_of[e.peak_frame] = k
    gaps = [
        b.peak_s - a.peak_s
        for a, b in pairwise(events)
        if segment_of.get(a.peak_frame) == segment_of.get(b.peak_frame)
    ]
    out = _summary(gaps)
    out["values"] = [round(g, 4) for g in gaps]
    return out


def _compare(rate: float, rng: dict[str, float | None]) -> str | None:
    low, high = rng["low"], rng["high"]
    if low is None or high is None:
        return None
    return "below" if rate < low else "above" if rate > high else "within"


def _range_sentence(rate: float, rng: dict[str, float | None], activity: str) -> str:
    low, high, mean = rng["low"], rng["high"], rng["mean"]
    if low is None or high is None:
        return f"against a mean of {mean:g} per minute for {activity} (assumed activity; no range published)."
    where = _compare(rate, rng)
    word = {"below": "below", "above": "above", "within": "within"}[where or "within"]
    return (
        f"{word} the {low:g}-{high:g} per minute range of healthy adults at {activity} "
        f"(assumed activity; conversation {PHYSIOLOGICAL_RANGES['conversation']['low']:g}-"
        f"{PHYSIOLOGICAL_RANGES['conversation']['high']:g}, reading about "
        f"{PHYSIOLOGICAL_RANGES['reading']['mean']:g})."
    )


def _unscorable(series: EarSeries, codes: list[str | None]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for code in (NO_FACE, EYES_UNMEASURABLE, SHORT_TRACK):
        flags = zip(series.frame.tolist(), series.time_s.tolist(), [c == code for c in codes], strict=True)
        out.extend({**iv.as_json(), "reason": code} for iv in intervals(flags))
    return sorted(out, key=lambda d: d["start_frame"])


def _timeseries_artifact(
    series: EarSeries, analysis: BlinkAnalysis, codes: list[str | None], fps: float
) -> Artifact:
    """EAR per frame with the baseline and events, for the report's plot (JSON)."""

    def column(values: np.ndarray) -> list[float | None]:
        return [None if not np.isfinite(v) else round(float(v), 4) for v in values]

    body = {
        "format": "forensics.blink-ear/1",
        "fps": round(fps, 4),
        "frame": series.frame.tolist(),
        "time_s": [round(float(t), 4) for t in series.time_s],
        "ear_right": column(series.right),
        "ear_left": column(series.left),
        "ear": column(analysis.ear),
        "baseline": column(analysis.baseline),
        "unscorable": codes,
        "events": [e.as_json() for e in analysis.events],
    }
    data = json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()
    return Artifact(name=EAR_ARTIFACT, media_type="application/json", data=data)
