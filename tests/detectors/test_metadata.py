"""Metadata detector on fixtures written at test time: generator chunks, EXIF/XMP
editing traces, thumbnails, videos, damaged files and a choking exiftool."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from forensics.canonical import canonical_json
from forensics.detectors import registry
from forensics.detectors.c2pa_signals import c2pa_signals, classify, summarise
from forensics.detectors.metadata import MetadataDetector
from forensics.model import EvidenceInput, Finding, Verdict

pytestmark = pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is not installed")

A1111 = ("a photo of a duck\nNegative prompt: monochrome\nSteps: 15, Sampler: UniPC, CFG scale: 5, "
         "Seed: 235284042, Size: 512x400, Model hash: c0d1994c73, Model: realisticVisionV20")


# -- fixtures -------------------------------------------------------------------------


def picture(width: int = 96, height: int = 64, seed: int = 0) -> Image.Image:
    """A textured RGB picture (a smooth gradient plus blobs), different for each seed."""
    rng = np.random.default_rng(seed)
    _y, x = np.mgrid[0:height, 0:width]
    noise = rng.uniform(-40, 40, (height // 8 + 1, width // 8 + 1)).repeat(8, 0).repeat(8, 1)
    base = x * 255 / width + noise[:height, :width]
    rgb = np.stack([base, base[::-1], 255 - base], axis=-1).clip(0, 255).astype(np.uint8)
    return Image.fromarray(rgb)


def evidence(path: Path, media_type: str) -> EvidenceInput:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return EvidenceInput(path=path, sha256=digest, media_type=media_type)


def png_with(tmp_path: Path, name: str, chunks: dict[str, str]) -> EvidenceInput:
    info = PngInfo()
    for key, value in chunks.items():
        info.add_text(key, value)
    path = tmp_path / name
    picture().save(path, pnginfo=info)
    return evidence(path, "image/png")


def jpeg_with(tmp_path: Path, name: str, exif_tags: dict[int, object], seed: int = 0) -> EvidenceInput:
    exif = Image.Exif()
    sub = {k: v for k, v in exif_tags.items() if k >= 0x8000}
    for key, value in exif_tags.items():
        if key < 0x8000:
            exif[key] = value
    if sub:
        exif.get_ifd(0x8769).update(sub)
    path = tmp_path / name
    picture(seed=seed).save(path, quality=92, exif=exif)
    return evidence(path, "image/jpeg")


def exiftool_write(path: Path, *args: str) -> None:
    subprocess.run(["exiftool", "-q", "-overwrite_original", *args, str(path)], check=True)


def run(items: Iterable[EvidenceInput], **kwargs: object) -> dict[Path, list[Finding]]:
    with MetadataDetector(**kwargs) as detector:
        return {item.path: findings for item, findings in detector.run_batch(list(items))}


def signals(findings: list[Finding]) -> dict[str, Finding]:
    return {f.details["signal"]: f for f in findings}


def analyse(item: EvidenceInput) -> dict[str, Finding]:
    return signals(run([item])[item.path])


# EXIF tag numbers
MAKE, MODEL, SOFTWARE, MODIFY_DATE = 0x010F, 0x0110, 0x0131, 0x0132
EXPOSURE_TIME, F_NUMBER, ISO, DATE_ORIGINAL, FOCAL_LENGTH = 0x829A, 0x829D, 0x8827, 0x9003, 0x920A


# -- generator fingerprints ------------------------------------------------------------


@pytest.mark.parametrize(
    ("chunks", "generator"),
    [
        ({"parameters": A1111}, "AUTOMATIC1111-compatible"),
        ({"prompt": json.dumps({"3": {"class_type": "KSampler", "inputs": {"seed": 1, "steps": 20}}}),
          "workflow": json.dumps({"nodes": [{"id": 3, "type": "KSampler"}], "links": []})}, "ComfyUI"),
        ({"invokeai_metadata": json.dumps({"generation_mode": "txt2img", "positive_prompt": "x"})}, "InvokeAI"),
        ({"parameters": json.dumps({"prompt": "x", "negative_prompt": "", "steps": 30, "sampler": "dpmpp_2m_sde_gpu",
                                    "seed": 1, "base_model": "juggernautXL"}), "fooocus_scheme": "fooocus"}, "Fooocus"),
        ({"Software": "NovelAI", "Comment": json.dumps({"steps": 28, "sampler": "k_euler", "seed": 1, "uc": "lowres"})},
         "NovelAI"),
        ({"Description": "a cat in space --ar 16:9 --v 6.0 Job ID: 0b6c1a2e-3f4d-4e5f-8a9b-0c1d2e3f4a5b",
          "Author": "u1234"}, "Midjourney"),
        ({"prompt": "a cat", "negative_prompt": "blurry", "seed": "42", "num_inference_steps": "25",
          "guidance_scale": "7.5"}, "unnamed diffusion tool"),
    ],
    ids=["a1111", "comfyui", "invokeai", "fooocus", "novelai", "midjourney", "parameter-chunks"],
)
def test_generator_chunks_are_strong_evidence(tmp_path: Path, chunks: dict[str, str], generator: str) -> None:
    found = analyse(png_with(tmp_path, "gen.png", chunks))
    hit = found["generator_fingerprint"]
    assert hit.verdict is Verdict.SUPPORTS_MANIPULATION
    # calibrated by the shipped validation record: a positive LR, never "strong" wording
    # that the measured LR does not support
    assert hit.score == 1.0 and hit.log10_lr is not None and hit.log10_lr >= 0.30103
    assert hit.verbal.endswith("support for manipulation") and hit.verbal in hit.reason
    assert "strong evidence" not in hit.reason
    assert generator in hit.details["generators"]
    assert all(key.startswith("PNG:") for key in hit.details["tags"])


def test_a1111_parameters_in_jpeg_user_comment(tmp_path: Path) -> None:
    item = jpeg_with(tmp_path, "a1111.jpg", {})
    exiftool_write(item.path, f"-ExifIFD:UserComment={A1111}")
    hit = analyse(evidence(item.path, "image/jpeg"))["generator_fingerprint"]
    assert hit.verdict is Verdict.SUPPORTS_MANIPULATION
    assert "ExifIFD:UserComment" in hit.details["tags"]


def test_long_values_are_clipped_with_their_sha256(tmp_path: Path) -> None:
    workflow = json.dumps({"nodes": [{"id": i, "type": "CLIPTextEncode", "widgets_values": ["w" * 50]}
                                     for i in range(200)], "links": []})
    hit = analyse(png_with(tmp_path, "comfy.png", {"workflow": workflow}))["generator_fingerprint"]
    value = hit.details["tags"]["PNG:Workflow"]
    assert len(value) <= 301 and value.endswith("…")
    assert hit.details["truncated"]["PNG:Workflow"] == {
        "chars": len(workflow), "sha256": hashlib.sha256(workflow.encode()).hexdigest()}


@pytest.mark.parametrize("source_type", ["trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia"])
def test_ai_digital_source_type_in_xmp(tmp_path: Path, source_type: str) -> None:
    item = jpeg_with(tmp_path, "dst.jpg", {})
    exiftool_write(item.path, f"-XMP-iptcExt:DigitalSourceType=http://cv.iptc.org/newscodes/digitalsourcetype/{source_type}")
    hit = analyse(evidence(item.path, "image/jpeg"))["digital_source_type"]
    assert hit.verdict is Verdict.SUPPORTS_MANIPULATION and hit.score == 1.0


def test_a_declared_digital_capture_is_not_support_for_authenticity(tmp_path: Path) -> None:
    item = jpeg_with(tmp_path, "capture.jpg", {})
    exiftool_write(item.path, "-XMP-iptcExt:DigitalSourceType=http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture")
    hit = analyse(evidence(item.path, "image/jpeg"))["digital_source_type"]
    assert hit.verdict is Verdict.INCONCLUSIVE and "proves nothing" in hit.reason


@pytest.mark.parametrize(("software", "generator"), [("Midjourney v6", "Midjourney"), ("FaceApp 11.2", "FaceApp")])
def test_generator_and_face_app_software_tags(tmp_path: Path, software: str, generator: str) -> None:
    hit = analyse(jpeg_with(tmp_path, "sw.jpg", {SOFTWARE: software}))["generator_software"]
    assert hit.verdict is Verdict.SUPPORTS_MANIPULATION
    assert hit.details["generators"] == [generator] and hit.details["tags"] == {"IFD0:Software": software}


# -- editing traces ---------------------------------------------------------------------


def test_editor_and_late_modify_date_are_inconclusive(tmp_path: Path) -> None:
    item = jpeg_with(tmp_path, "edited.jpg", {
        MAKE: "Canon", MODEL: "Canon EOS 80D", SOFTWARE: "Adobe Photoshop 25.0 (Windows)",
        MODIFY_DATE: "2024:03:02 10:00:00", DATE_ORIGINAL: "2023:12:24 18:30:05"})
    found = analyse(item)
    assert set(found) == {"editing_software", "date_inconsistency"}
    assert all(f.verdict is Verdict.INCONCLUSIVE and f.score is None for f in found.values())
    assert found["editing_software"].details["editors"] == ["Adobe Photoshop"]
    dates = found["date_inconsistency"]
    assert dates.details["tags"] == {"ExifIFD:DateTimeOriginal": "2023:12:24 18:30:05",
                                     "IFD0:ModifyDate": "2024:03:02 10:00:00"}
    assert dates.details["seconds_modified_after_original"] > 60 * 86400


def test_camera_exposure_without_make_and_model(tmp_path: Path) -> None:
    item = jpeg_with(tmp_path, "stripped.jpg", {
        EXPOSURE_TIME: 0.01, F_NUMBER: 2.8, ISO: 200, DATE_ORIGINAL: "2023:01:01 12:00:00"})
    hit = analyse(item)["camera_origin"]
    assert hit.verdict is Verdict.INCONCLUSIVE and hit.details["missing"] == ["Make", "Model"]


def test_camera_original_has_no_signal(tmp_path: Path) -> None:
    item = jpeg_with(tmp_path, "camera.jpg", {
        MAKE: "NIKON", MODEL: "D750", MODIFY_DATE: "2023:01:01 12:00:00", EXPOSURE_TIME: 0.01,
        F_NUMBER: 2.8, DATE_ORIGINAL: "2023:01:01 12:00:00"})
    assert list(analyse(item)) == ["none"]


def thumbnail_jpeg(tmp_path: Path, name: str, thumb_seed: int) -> EvidenceInput:
    item = jpeg_with(tmp_path, name, {MAKE: "Canon", MODEL: "EOS"}, seed=0)
    thumb = tmp_path / f"{name}.thumb.jpg"
    # "another picture": a different one, mirrored so that its gradient runs the other way
    if thumb_seed:
        source = picture(seed=thumb_seed).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    else:
        source = Image.open(item.path)
    source.resize((48, 32)).save(thumb, quality=90)
    exiftool_write(item.path, f"-ThumbnailImage<={thumb}")
    return evidence(item.path, "image/jpeg")


def test_thumbnail_that_shows_another_picture(tmp_path: Path) -> None:
    hit = analyse(thumbnail_jpeg(tmp_path, "swapped.jpg", thumb_seed=7))
    hit = hit["thumbnail_mismatch"]
    assert hit.verdict is Verdict.INCONCLUSIVE
    assert hit.details["correlation"] < 0.5 and hit.details["thumbnail_size"] == [48, 32]


def test_matching_thumbnail_is_no_signal(tmp_path: Path) -> None:
    assert "thumbnail_mismatch" not in analyse(thumbnail_jpeg(tmp_path, "same.jpg", thumb_seed=0))


def test_no_metadata_gives_exactly_one_inconclusive_finding(tmp_path: Path) -> None:
    path = tmp_path / "bare.png"
    picture().save(path)
    [only] = run([evidence(path, "image/png")])[path]
    assert only.verdict is Verdict.INCONCLUSIVE and only.details["signal"] == "none"
    assert "proves nothing" in only.reason


# -- video containers -------------------------------------------------------------------


def ffmpeg_video(tmp_path: Path, name: str, *extra: str) -> EvidenceInput:
    path = tmp_path / name
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-t", "0.5",
                    "-pix_fmt", "yuv420p", *extra, "-y", str(path)], check=True)
    return evidence(path, "video/mp4")


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")
def test_ffmpeg_video_shows_reencode_handler_and_missing_creation_time(tmp_path: Path) -> None:
    found = analyse(ffmpeg_video(tmp_path, "ff.mp4"))
    assert {"video_reencode", "video_handler", "video_creation_time"} <= set(found)
    assert all(f.verdict is Verdict.INCONCLUSIVE for f in found.values())
    assert any(str(v).startswith("Lavf") for v in found["video_reencode"].details["tags"].values())
    dated = analyse(ffmpeg_video(tmp_path, "dated.mp4", "-metadata", "creation_time=2024-05-01T10:00:00Z"))
    assert "video_creation_time" not in dated


# -- bad input and a choking exiftool -------------------------------------------------------


def bad_files(tmp_path: Path) -> dict[str, EvidenceInput]:
    good = png_with(tmp_path, "good.png", {"parameters": A1111})
    data = good.path.read_bytes()
    jpeg = jpeg_with(tmp_path, "full.jpg", {MAKE: "Canon", MODEL: "EOS", SOFTWARE: "GIMP 2.10"})
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(jpeg.path.read_bytes()[: jpeg.path.stat().st_size // 2])
    corrupt = tmp_path / "corrupt.png"
    at = data.index(b"tEXt") - 4
    corrupt.write_bytes(data[:at] + b"\x7f\xff\xff\xff" + data[at + 4:])  # absurd chunk length
    noise = tmp_path / "noise.mp4"
    noise.write_bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    return {
        "good": good, "jpeg": jpeg,
        "truncated": evidence(truncated, "image/jpeg"),
        "corrupt": evidence(corrupt, "image/png"),
        "noise": evidence(noise, "video/mp4"),
    }


def test_bad_files_in_a_batch_do_not_spoil_the_others(tmp_path: Path) -> None:
    files = bad_files(tmp_path)
    together = run(files.values())
    alone = {name: run([item])[item.path] for name, item in files.items()}
    for name, item in files.items():
        assert [f.digest for f in together[item.path]] == [f.digest for f in alone[name]], name
    [noise] = together[files["noise"].path]
    assert noise.verdict is Verdict.ERROR and "File format error" in noise.reason
    for name in ("truncated", "corrupt"):
        assert all(f.verdict is not Verdict.ERROR for f in together[files[name].path]), name
    assert "editing_software" in signals(together[files["truncated"].path])  # tags before the cut still count
    assert "generator_fingerprint" in signals(together[files["good"].path])


def stored_copies(files: Iterable[EvidenceInput], store: Path) -> list[EvidenceInput]:
    """Copies named by SHA-256 without extension, as the evidence store keeps them."""
    store.mkdir()
    return [evidence(Path(shutil.copy(item.path, store / item.sha256)), item.media_type) for item in files]


def test_findings_are_deterministic_and_carry_no_paths(tmp_path: Path) -> None:
    files = bad_files(tmp_path)
    first = stored_copies(files.values(), tmp_path / "store-a")
    second = stored_copies(files.values(), tmp_path / "store-b")
    one, other = run(first), run(second)
    for a, b in zip(first, second, strict=False):
        assert [f.digest for f in one[a.path]] == [f.digest for f in other[b.path]]
        text = canonical_json([f.as_json() for f in one[a.path]])
        assert str(tmp_path) not in text


def test_a_killed_exiftool_is_restarted(tmp_path: Path) -> None:
    items = [png_with(tmp_path, f"g{i}.png", {"parameters": A1111}) for i in range(4)]
    with MetadataDetector(batch_size=2) as detector:
        results = []
        for _item, findings in detector.run_batch(items):
            results.append(findings)
            if len(results) == 2:  # between batches: the next batch must find a fresh process
                assert detector.session is not None and detector.session.pid is not None
                os.kill(detector.session.pid, signal.SIGKILL)
                time.sleep(0.2)
        assert detector.session.restarts >= 1
    assert all(signals(f)["generator_fingerprint"].verdict is Verdict.SUPPORTS_MANIPULATION for f in results)


def test_a_failed_batch_falls_back_to_single_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = bad_files(tmp_path)
    with MetadataDetector() as detector:
        session = detector.session
        assert session is not None
        real_execute = session._execute
        calls: list[int] = []

        def flaky(paths: list[str]) -> list[dict[str, object]]:
            calls.append(len(paths))
            if len(paths) > 1:
                from forensics.detectors.metadata import ExifToolFailure
                raise ExifToolFailure("simulated choke")
            return real_execute(paths)

        monkeypatch.setattr(session, "_execute", flaky)
        results = dict(detector.run_batch(list(files.values())))
    assert calls[0] == len(files) and calls[1:] == [1] * len(files)
    assert "generator_fingerprint" in signals(results[files["good"]])


FAKE_EXIFTOOL = '''
import sys, time
mode = sys.argv[0].rsplit("-", 1)[-1]
args = []
for line in sys.stdin:
    line = line.rstrip("\\n")
    if not line.startswith("-execute"):
        args.append(line)
        continue
    number = line[len("-execute"):]
    if "-ver" not in args:
        if mode == "hang":
            time.sleep(3600)
        sys.exit(3)
    sys.stdout.write("12.57\\n{ready%s}\\n" % number); sys.stdout.flush()
    sys.stderr.write("=0=post%s\\n" % number); sys.stderr.flush()
    args = []
'''


@pytest.mark.parametrize("mode", ["die", "hang"])
def test_an_exiftool_that_dies_or_hangs_yields_error_findings(tmp_path: Path, mode: str) -> None:
    fake = tmp_path / f"fake-exiftool-{mode}"
    fake.write_text(f"#!{sys.executable}\n{FAKE_EXIFTOOL}")
    fake.chmod(0o755)
    items = [png_with(tmp_path, f"{mode}{i}.png", {"parameters": A1111}) for i in range(2)]
    started = time.monotonic()
    results = run(items, executable=str(fake), timeout_s=0.3)
    assert time.monotonic() - started < 20
    for item in items:
        [finding] = results[item.path]
        assert finding.verdict is Verdict.ERROR and "exiftool" in finding.reason


# -- C2PA classification (the corpus test reads real manifests) --------------------------


def test_c2pa_states_from_validation_codes() -> None:
    url = "self#jumbf=/c2pa/m/c2pa.assertions/c2pa.hash.data"
    untrusted = {"code": "signingCredential.untrusted", "url": "sig"}
    mismatch = {"code": "assertion.dataHash.mismatch", "url": url}
    match = {"code": "assertion.dataHash.match", "url": url}
    assert classify([untrusted], [match], "Valid") == "valid"
    assert classify([untrusted, mismatch], [{"code": "assertion.hashedURI.match", "url": url}], "Invalid") == "tampered"
    assert classify([untrusted, mismatch], [match], "Invalid") == "invalid"  # layout complaint, content intact
    assert classify([{"code": "signingCredential.expired", "url": "sig"}], [], "Invalid") == "expired"
    assert classify([{"code": "claimSignature.mismatch", "url": "sig"}], [], "Invalid") == "tampered"


def test_c2pa_ai_assertion_is_strong_evidence() -> None:
    store = {
        "active_manifest": "urn:a",
        "manifests": {"urn:a": {
            "claim_generator_info": [{"name": "Some Tool"}],
            "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": [{
                "action": "c2pa.created",
                "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"}]}}],
        }},
        "validation_state": "Valid",
        "validation_results": {"activeManifest": {"success": [], "failure": [
            {"code": "signingCredential.untrusted", "url": "sig"}]}},
    }
    report = summarise(store)
    assert (report.state, report.trust, report.actions) == ("valid", "untrusted", ("c2pa.created",))
    provenance, ai = c2pa_signals(report)
    assert provenance.name == "c2pa" and provenance.facts["state"] == "valid"
    assert ai.name == "c2pa_ai_assertion" and "AI-generated" in ai.reason


def test_registered_under_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    # Load only this module: the other built-in detectors are not this test's business.
    monkeypatch.setattr(registry, "BUILTIN_MODULES", ("forensics.detectors.metadata",))
    monkeypatch.setattr(registry, "_loaded", False)
    cls = registry.get_detector("metadata")
    assert cls is MetadataDetector
    assert (cls.version, cls.inputs) == ("1.1.0", frozenset({"image", "video"}))


def test_single_file_run_outside_a_with_block(tmp_path: Path) -> None:
    item = png_with(tmp_path, "single.png", {"parameters": A1111})
    findings = MetadataDetector().run(item)
    assert signals(findings)["generator_fingerprint"].verdict is Verdict.SUPPORTS_MANIPULATION
