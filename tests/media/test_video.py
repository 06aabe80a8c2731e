"""Video streaming and the frame-sampling policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from forensics.errors import EvidenceError
from forensics.media.video import SamplingPolicy, iter_frames, probe_video, sample_frames
from tests.media.conftest import write_video


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_video(tmp_path_factory.mktemp("video") / "clip.mp4", frames=40)


def test_probe(clip: Path) -> None:
    info = probe_video(clip)
    assert (info.width, info.height, info.codec) == (128, 96, "mpeg4")
    assert info.duration_s == pytest.approx(4.0, abs=0.15)


def test_every_frame_with_timestamps(clip: Path) -> None:
    frames = list(iter_frames(clip))
    assert len(frames) == 40
    assert [f.index for f in frames] == list(range(40))
    assert frames[0].pixels.shape == (96, 128)
    assert frames[10].time_s == pytest.approx(1.0)
    rgb = next(iter_frames(clip, fmt="rgb24"))
    assert rgb.pixels.shape == (96, 128, 3)


def test_sampling_takes_the_start_of_equal_slices(clip: Path) -> None:
    frames = list(sample_frames(clip, SamplingPolicy(count=4)))
    assert [f.index for f in frames] == [0, 10, 20, 30]


def test_sampling_never_takes_more_than_the_count_when_slice_starts_round_down() -> None:
    # 25 fps, 0.8 s, 4 slices: frame 15 lies at 0.6 s, which is 2.9999999999999996 slices
    from forensics.media.video import SlicePicker, VideoInfo

    info = VideoInfo(codec="h264", width=8, height=8, frames=20, duration_s=0.8, start_s=0.0, average_fps=25.0)
    picker = SlicePicker(SamplingPolicy(count=4))
    taken = [i for i in range(20) if picker(i, i / 25, info)]
    assert taken == [0, 5, 10, 15]


def test_sampling_a_short_video_takes_each_frame_once(tmp_path: Path) -> None:
    path = write_video(tmp_path / "short.mp4", frames=3)
    frames = list(sample_frames(path, SamplingPolicy(count=8)))
    assert [f.index for f in frames] == [0, 1, 2]


def test_random_bytes_are_refused(bad_files: dict[str, Path]) -> None:
    with pytest.raises(EvidenceError, match="not a readable video container"):
        list(sample_frames(bad_files["random_mp4"]))


def test_zero_frame_video_is_refused(bad_files: dict[str, Path]) -> None:
    with pytest.raises(EvidenceError, match="no video stream"):
        list(sample_frames(bad_files["empty_video"]))


def test_undecodable_frames_are_refused(tmp_path: Path) -> None:
    path = write_video(tmp_path / "zeroed.mp4", frames=3)
    data = bytearray(path.read_bytes())
    at = data.index(b"mdat")
    size = int.from_bytes(data[at - 4 : at], "big")
    data[at + 4 : at - 4 + size] = bytes(size - 8)  # the frames' bytes, all zero
    path.write_bytes(bytes(data))
    with pytest.raises(EvidenceError, match="decoding failed"):
        list(sample_frames(path))


def test_a_stream_with_an_unknown_codec_is_refused_with_the_reason(tmp_path: Path) -> None:
    path = write_video(tmp_path / "clip.mp4", frames=5)
    raw = path.read_bytes()
    assert b"mp4v" in raw
    damaged = tmp_path / "damaged.mp4"
    # the sample entry's codec tag and its decoder configuration: no decoder is found
    damaged.write_bytes(raw.replace(b"mp4v", b"zz9z").replace(b"esds", b"zzzz"))
    with pytest.raises(EvidenceError, match="codec is not recognised"):
        probe_video(damaged)
    with pytest.raises(EvidenceError, match="codec is not recognised"):
        list(sample_frames(damaged, SamplingPolicy(count=2)))


def test_metadata_that_is_not_utf8_does_not_make_a_video_unreadable(tmp_path: Path) -> None:
    import subprocess

    clip = write_video(tmp_path / "clip.mp4", frames=5)
    titled = tmp_path / "titled.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(clip), "-c", "copy", "-metadata", "title=HelloWorld",
                    str(titled)], check=True)
    raw = titled.read_bytes()
    at = raw.index(b"HelloWorld")
    damaged = tmp_path / "latin1.mp4"
    damaged.write_bytes(raw[:at + 2] + b"\xb1" + raw[at + 3:])  # not UTF-8
    assert probe_video(damaged).width == 128
    assert len(list(sample_frames(damaged, SamplingPolicy(count=2)))) == 2
