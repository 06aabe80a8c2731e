"""A report a judge can read: embedded fonts, no text under 8 pt, rounded numbers, raw
details in the appendices, a thumbnail per item, bookmarks per section, no placeholder."""

from __future__ import annotations

import io
import re
import subprocess

from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader

from forensics.reports.thumbnails import make_thumbnail
from tests.reports.conftest import needs_tool
from tests.reports.test_report import _pdftotext_pages


def _outline(path) -> list[tuple[int, str]]:
    """(level, title) of every bookmark, depth first."""
    reader = PdfFileReader(io.BytesIO(path.read_bytes()), strict=False)
    out: list[tuple[int, str]] = []

    def walk(node, level):
        while node is not None:
            node = node.get_object()
            out.append((level, str(node["/Title"])))
            if "/First" in node:
                walk(node["/First"], level + 1)
            node = node.get("/Next")

    walk(reader.root["/Outlines"]["/First"], 0)
    return out


def test_every_font_is_embedded(signed_report):
    listed = subprocess.run([needs_tool("pdffonts"), str(signed_report.path)], capture_output=True,
                            text=True, check=True).stdout.splitlines()[2:]
    assert listed, "pdffonts lists no font"
    for line in listed:
        name, emb = line.split()[0], line.split()[-5]
        assert "DejaVu" in name and emb == "yes", line


def test_no_text_under_8_pt(signed_report):
    reader = PdfFileReader(io.BytesIO(signed_report.path.read_bytes()), strict=False)
    sizes = set()
    for page in range(signed_report.pages):
        contents = reader.find_page_for_modification(page)[0].get_object()["/Contents"]
        for stream in contents if isinstance(contents, list) else [contents]:
            data = stream.get_object().data
            sizes |= {float(s) for s in re.findall(rb"/F[\w+]+ ([\d.]+) Tf", data)}
    assert sizes and min(sizes) >= 8, sorted(sizes)


def test_bookmarks_for_every_section_item_and_appendix(signed_report):
    outline = _outline(signed_report.path)
    top = [title for level, title in outline if level == 0]
    assert top == ["Forensic Examination Report", "1 Conclusions", "2 Evidence items", "3 Methods",
                   "4 Findings", "5 Limitations", "6 Custody log", "7 Certification",
                   "Appendix A Hash values of the evidence", "Appendix B Method identities",
                   "Appendix C Findings: digests and details", "Appendix D Custody event hashes"]
    items = [title for level, title in outline if level == 1]
    assert any(t.startswith("E1 ") for t in items) and any(t.startswith("E2 ") for t in items)


def test_numbers_are_rounded_and_raw_details_sit_in_the_appendix(signed_report, signer,
                                                                 report_repository, analysed_case):
    pages = _pdftotext_pages(signed_report.path, signed_report.pages)
    whole = " ".join(" ".join(pages).split())
    appendix = whole.index("Appendix C Findings")
    body, appendices = whole[:appendix], whole[appendix:]
    assert "Score" in body and "0.912" in body and "0.9123" not in whole
    assert "LR about 26" in body and "+1.4" in body and "1.412" not in whole
    assert "peaks.p2" not in body and "peaks.p2" in appendices and "3.51" in appendices
    assert "3.5123" not in whole
    # a per-frame list: a few values, then how many more (all of them are embedded)
    assert "(32 more; all 40 in the embedded data)" in appendices
    # sections 1-6 carry no full digest but the chain head (and the self-signed certificate's
    # fingerprint, in the limitations): the digests are in the appendices
    sections = whole[:whole.index("7 Certification")]
    allowed = {signed_report.chain_head[1], signer.certificate.fingerprint_sha256}
    assert set(re.findall(r"[0-9a-f]{64}", sections)) <= allowed
    for finding in report_repository.list_findings(analysed_case):
        assert finding.digest in appendices
    assert "not drawn" not in whole


def test_every_item_has_a_thumbnail(signed_report, report_repository, analysed_case, home):
    listed = subprocess.run([needs_tool("pdfimages"), "-list", str(signed_report.path)],
                            capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    items = report_repository.list_evidence(analysed_case)
    # each item twice (conclusions, evidence table), plus the toy's heatmap on E2
    assert len(listed) == 2 * len(items) + 1, listed
    for item in items:
        made = make_thumbnail(home / analysed_case / "evidence" / item.sha256, item.kind)
        assert made.jpeg is not None and made.what == "image"


def test_a_video_gets_its_key_frame_and_a_damaged_file_the_reason(tmp_path):
    ffmpeg = needs_tool("ffmpeg")
    video = tmp_path / "clip.mp4"
    # periodic intra refresh, as x264 can write: no key frame after the first, so a seek to
    # the middle would decode a broken picture
    subprocess.run([ffmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10",
                    "-t", "4", "-c:v", "libx264", "-intra-refresh", "1", "-g", "10",
                    "-pix_fmt", "yuv420p", str(video)], check=True)
    made = make_thumbnail(video, "video")
    assert made.jpeg is not None and made.what == "frame at 2.0 s"  # the middle of 4 s
    # the picture is frame 20 (2.0 s at 10 fps): closer to it than to its neighbours
    got = Image.open(io.BytesIO(made.jpeg)).convert("RGB").resize((80, 60))

    def frame(n: int) -> Image.Image:
        raw = subprocess.run([ffmpeg, "-v", "error", "-i", str(video), "-vf", f"select=eq(n\\,{n})",
                              "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                             capture_output=True, check=True).stdout
        return Image.frombytes("RGB", (160, 120), raw).resize((80, 60))

    differences = {n: _mean_difference(frame(n), got) for n in (18, 19, 20, 21, 22)}
    assert min(differences, key=differences.__getitem__) == 20, differences
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(video.read_bytes()[:200])
    failed = make_thumbnail(broken, "video")
    assert failed.jpeg is None and "cannot be decoded" in failed.what
    damaged = tmp_path / "damaged.jpg"
    damaged.write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")
    bad_image = make_thumbnail(damaged, "image")
    assert bad_image.jpeg is None and str(damaged) in bad_image.what


def _mean_difference(a: Image.Image, b: Image.Image) -> float:
    pairs = zip(a.tobytes(), b.tobytes(), strict=True)
    return sum(abs(x - y) for x, y in pairs) / (a.width * a.height * 3)
