"""The file-structure detector: known answers for each signal (parameters hidden in the
pixels' low bits and read back, single vs double JPEG, IJG vs custom tables, the camera
the EXIF names), the stored pixel grid used whatever the orientation, bad input."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from forensics.detectors.container_reference import DeviceTable
from forensics.detectors.jpeg_structure import quantization_report
from forensics.detectors.stealth_params import read_stealth, write_stealth
from forensics.detectors.structure import StructureDetector
from forensics.model import Verdict
from tests.files import evidence_input
from tests.media.blink_clips import astronaut

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")
A1111 = ("portrait of a woman, film grain\nNegative prompt: blurry\nSteps: 28, Sampler: DPM++ 2M Karras, "
         "CFG scale: 6.5, Seed: 1234567, Size: 512x512, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly")


def _run(path: Path, media_type: str) -> list:
    return StructureDetector().run(evidence_input(path, media_type))


def _png(path: Path, pixels: np.ndarray) -> Path:
    Image.fromarray(pixels).save(path, "PNG")
    return path


def _rgba() -> np.ndarray:
    rgb = astronaut()
    return np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])


@pytest.mark.parametrize("carrier, compressed", [("alpha", False), ("alpha", True), ("rgb", False), ("rgb", True)])
def test_parameters_hidden_in_the_low_bits_are_read_back_as_a_generator_record(tmp_path, carrier, compressed):
    pixels = _rgba() if carrier == "alpha" else astronaut()
    path = _png(tmp_path / "gen.png", write_stealth(pixels, A1111, carrier=carrier, compressed=compressed))
    [finding] = _run(path, "image/png")
    assert finding.details["signal"] == "stealth_generation_parameters"
    assert finding.verdict == Verdict.SUPPORTS_MANIPULATION and finding.details["text"] == A1111
    assert finding.details["carrier"] == carrier and finding.details["compressed"] is compressed
    assert "Steps: 28" in finding.reason
    assert "Its absence proves nothing" in finding.details["evidential_meaning"]
    assert "lossless saving only" in finding.details["limitation"]


def test_other_hidden_text_and_a_damaged_block_are_context_only(tmp_path):
    text = _png(tmp_path / "note.png", write_stealth(_rgba(), "hello, world"))
    [finding] = _run(text, "image/png")
    assert finding.details["signal"] == "stealth_text" and finding.verdict == Verdict.INCONCLUSIVE
    damaged = write_stealth(_rgba(), A1111)
    damaged[120:152, 0, 3] |= 1  # the 32-bit length after the signature (column 0, read downwards)
    [finding] = _run(_png(tmp_path / "damaged.png", damaged), "image/png")
    assert finding.details["signal"] == "stealth_damaged" and finding.verdict == Verdict.INCONCLUSIVE


def test_a_plain_png_has_no_structural_signal(tmp_path):
    assert read_stealth(_rgba()) is None
    [finding] = _run(_png(tmp_path / "plain.png", _rgba()), "image/png")
    assert finding.details["signal"] == "none" and finding.verdict == Verdict.INCONCLUSIVE


def _jpeg(image: Image.Image, *qualities: int, **save: object) -> bytes:
    data = b""
    for quality in qualities:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality, **save)
        data = buffer.getvalue()
        image = Image.open(io.BytesIO(data)).convert("RGB")
    return data


def test_single_and_double_jpeg_compression_known_answers(tmp_path):
    photo = Image.fromarray(astronaut())
    once = tmp_path / "once.jpg"
    once.write_bytes(_jpeg(photo, 90))
    twice = tmp_path / "twice.jpg"
    twice.write_bytes(_jpeg(photo, 60, 90))
    [single] = _run(once, "image/jpeg")
    assert single.details["signal"] == "jpeg_quantization" and single.details["ijg_quality"] == 90
    assert single.details["double_jpeg_score"] < single.details["double_jpeg_threshold"]
    signals = {f.details["signal"]: f for f in _run(twice, "image/jpeg")}
    assert set(signals) == {"jpeg_quantization", "double_jpeg_compression"}
    double = signals["double_jpeg_compression"]
    assert double.verdict == Verdict.INCONCLUSIVE and "not evidence of generation" in double.reason
    assert double.details["double_jpeg_score"] >= double.details["double_jpeg_threshold"]
    # the report's propositions allow for the re-save; the tables alone are no history
    assert StructureDetector.background(list(signals.values())) == [double.reason]
    assert StructureDetector.background([single]) == []


def test_the_stored_grid_is_read_whatever_the_exif_orientation(tmp_path):
    photo = Image.fromarray(astronaut()[:508])  # 508 rows: turned upright, the 8 x 8 grid is off by 4
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned by 90 degrees
    twice = tmp_path / "turned.jpg"
    twice.write_bytes(_jpeg(photo, 60, 90, exif=exif.tobytes()))
    assert "double_jpeg_compression" in {f.details["signal"] for f in _run(twice, "image/jpeg")}


def test_custom_tables_and_the_claimed_camera_are_reported(tmp_path):
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Canon", "Canon EOS 40D"
    custom = [[2 + (i % 7) for i in range(64)], [3 + (i % 5) for i in range(64)]]
    path = tmp_path / "camera.jpg"
    Image.fromarray(astronaut()).save(path, "JPEG", qtables=custom, exif=exif.tobytes())
    [finding] = _run(path, "image/jpeg")
    assert finding.details["ijg_quality"] is None and finding.details["exif_camera"] == "Canon Canon EOS 40D"
    assert "not the IJG standard ones" in finding.reason and "Canon EOS 40D" in finding.reason
    assert finding.details["camera_reference"] == "no_reference" and "no reference" in finding.reason
    with Image.open(path) as img:
        assert quantization_report(img.quantization).luma == tuple(custom[0])


def test_software_tables_under_a_camera_claim_and_a_camera_match(tmp_path):
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Canon", "Canon EOS 40D"
    resaved = tmp_path / "resaved.jpg"
    Image.fromarray(astronaut()).save(resaved, "JPEG", quality=75, exif=exif.tobytes())
    [finding] = _run(resaved, "image/jpeg")
    assert finding.details["camera_reference"] == "software" and finding.verdict == Verdict.INCONCLUSIVE
    assert "tables of a software encoder (IJG quality 75" in finding.reason
    assert "'Canon Canon EOS 40D'" in finding.reason
    assert finding.details["reference_encoders"] == [
        "Independent JPEG Group library (used by many applications), Quality 75"]
    exif[0x010F], exif[0x0110] = "PENTAX Corporation", "PENTAX K10D"  # the table: "Quality 60; Pentax Better"
    pentax = tmp_path / "pentax.jpg"
    Image.fromarray(astronaut()).save(pentax, "JPEG", quality=60, exif=exif.tobytes())
    [finding] = _run(pentax, "image/jpeg")
    assert finding.details["camera_reference"] == "camera_match"
    assert "match a known encoder of that camera make" in finding.reason and "Pentax Better" in finding.reason


def test_a_damaged_image_is_an_error_finding(tmp_path):
    path = tmp_path / "cut.jpg"
    path.write_bytes(_jpeg(Image.fromarray(astronaut()), 90)[:2000])
    [finding] = _run(path, "image/jpeg")
    assert finding.verdict == Verdict.ERROR and "damaged image data" in finding.reason


# -- video containers ---------------------------------------------------------------------


def _box(kind: bytes, body: bytes) -> bytes:
    return (8 + len(body)).to_bytes(4, "big") + kind + body


def _hdlr(handler: bytes, name: bytes) -> bytes:
    return _box(b"hdlr", b"\x00" * 8 + handler + b"\x00" * 12 + bytes([len(name)]) + name)


def _text_box(kind: bytes, text: bytes) -> bytes:
    return _box(kind, len(text).to_bytes(2, "big") + b"\x00\x00" + text)  # a QuickTime user-data string


def _movie(brand: bytes, handlers: list[bytes], encoder: bytes | None = None, make: bytes | None = None) -> bytes:
    mvhd = _box(b"mvhd", b"\x00" * 12 + (600).to_bytes(4, "big") + b"\x00" * 80)
    traks = b"".join(_box(b"trak", _box(b"mdia", _hdlr(b"vide", name))) for name in handlers)
    strings = (_text_box(b"\xa9too", encoder) if encoder else b"") + (_text_box(b"\xa9mak", make) if make else b"")
    udta = _box(b"udta", strings) if strings else b""
    return _box(b"ftyp", brand + b"\x00\x00\x00\x00" + brand) + _box(b"moov", mvhd + traks + udta) + _box(b"mdat", b"")


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def _camera_like(path: Path) -> Path:
    """A video with no software trace: bit-exact muxing (no encoder string) and a handler
    name of our own (not libavformat's default)."""
    _ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-t", "1", "-c:v", "mpeg4", "-fflags", "+bitexact",
            "-flags", "+bitexact", "-metadata:s:v", "handler_name=TestCam Video", str(path))
    return path


def _device_table(tmp_path: Path, device: str, video: Path) -> DeviceTable:
    from forensics.detectors.container_structure import read_layout

    path = tmp_path / "devices.json"
    path.write_text(json.dumps({"devices": [{"device": device, "source": "made by the test",
                                             "signature": read_layout(video).signature()}]}))
    return DeviceTable(path)


@needs_ffmpeg
def test_an_mp4_remuxed_by_ffmpeg_is_recognised_as_rewritten(tmp_path):
    original = _camera_like(tmp_path / "camera.mp4")
    detector = StructureDetector(device_table=_device_table(tmp_path, "TestCam X1", original))
    [finding] = detector.run(evidence_input(original, "video/mp4"))
    assert finding.details["signal"] == "container_device" and finding.details["writers"] == []
    assert "consistent with device TestCam X1" in finding.reason
    remuxed = tmp_path / "remuxed.mp4"
    _ffmpeg("-i", str(original), "-c", "copy", str(remuxed))  # the same stream, rewritten
    [finding] = detector.run(evidence_input(remuxed, "video/mp4"))
    assert finding.details["signal"] == "container_rewritten" and finding.verdict == Verdict.INCONCLUSIVE
    assert "FFmpeg (libavformat" in finding.reason and finding.details["encoders"][0].startswith("Lavf")
    assert StructureDetector.background([finding]) == [finding.reason]
    [finding] = StructureDetector().run(evidence_input(original, "video/mp4"))  # not in the shipped table
    assert finding.details["signal"] == "container_no_reference"


@needs_ffmpeg
def test_ffmpegs_quicktime_vendor_code_and_pyav_output_are_software(tmp_path):
    from tests.media.conftest import write_video

    mov = tmp_path / "exact.mov"
    _ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-t", "1", "-c:v", "mjpeg", "-fflags", "+bitexact",
            "-flags", "+bitexact", "-metadata:s:v", "handler_name=TestCam Video", str(mov))
    [finding] = _run(mov, "video/quicktime")
    assert finding.details["signal"] == "container_rewritten" and "sample-entry vendor 'FFMP'" in finding.reason
    [finding] = _run(write_video(tmp_path / "pyav.mp4", frames=10), "video/mp4")
    assert finding.details["signal"] == "container_rewritten" and "Lavf" in finding.reason


def test_a_device_layout_and_an_ffmpeg_copy_of_it(tmp_path):
    device = tmp_path / "phone.mov"
    device.write_bytes(_movie(b"qt  ", [b"Core Media Video", b"Core Media Audio"]))
    [finding] = _run(device, "video/quicktime")
    assert finding.details["signal"] == "container_device" and "Apple Core Media" in finding.reason
    assert finding.details["movie_timescale"] == 600 and finding.details["major_brand"] == "qt  "
    copied = tmp_path / "copied.mp4"
    copied.write_bytes(_movie(b"isom", [b"Core Media Video"], encoder=b"Lavf58.29.100"))
    [finding] = _run(copied, "video/mp4")
    assert finding.details["signal"] == "container_rewritten"
    assert "Lavf58.29.100" in finding.reason and "The handler names come from Apple Core Media" in finding.reason


def test_an_unknown_layout_has_no_reference_and_a_damaged_one_is_an_error(tmp_path):
    unknown = tmp_path / "odd.mp4"
    unknown.write_bytes(_movie(b"avc1", [b"Video Media Handler"]))
    [finding] = _run(unknown, "video/mp4")
    assert finding.details["signal"] == "container_no_reference" and "no conclusion" in finding.reason
    claimed = tmp_path / "pentax.mov"  # the shipped table holds one Pentax layout (exiftool's QuickTime.mov)
    claimed.write_bytes(_movie(b"qt  ", [b"Video Media Handler"], make=b"PENTAX"))
    [finding] = _run(claimed, "video/quicktime")
    assert finding.details["signal"] == "container_claimed_device_differs"
    assert finding.details["reference_device"] == "PENTAX DIGITAL CAMERA"
    assert "codecs" in finding.details["differing_fields"]
    damaged = tmp_path / "cut.mp4"
    damaged.write_bytes(_movie(b"isom", [b"VideoHandler"])[:-8] + (1000).to_bytes(4, "big") + b"mdat")  # cut short
    [finding] = _run(damaged, "video/mp4")
    assert finding.verdict == Verdict.ERROR and "box structure is damaged" in finding.reason


def test_the_corpus_camera_video_matches_its_own_reference():
    path = CORPUS / "metadata" / "exiftool__exiftool" / "t" / "images" / "QuickTime.mov"
    if not path.is_file():
        pytest.skip(f"corpus sample not present: {path}")
    [finding] = _run(path, "video/quicktime")
    assert finding.details["signal"] == "container_device" and "PENTAX DIGITAL CAMERA" in finding.reason


@needs_ffmpeg
def test_apples_keyed_make_model_and_encoder_are_read(tmp_path):
    """Phones name the device in QuickTime 'keys'/'ilst' (mdta) items, not in ©mak/©mod:
    the claimed device and an encoder string written there are read too."""
    keyed = tmp_path / "keyed.mov"
    _ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-t", "0.5", "-c:v", "mpeg4",
            "-movflags", "use_metadata_tags", "-metadata", "com.apple.quicktime.make=Apple",
            "-metadata", "com.apple.quicktime.model=iPhone 15", str(keyed))
    [finding] = StructureDetector().run(evidence_input(keyed, "video/quicktime"))
    assert finding.details["device_strings"] == ["Apple", "iPhone 15"]
    assert [encoder[:4] for encoder in finding.details["encoders"]] == ["Lavf"]  # from the keys
    assert finding.details["signal"] == "container_rewritten"
