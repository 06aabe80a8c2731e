"""What each signal of the file-structure detector means as evidence, and where it stops.

Every structure finding carries its signal's ``evidential_meaning`` and ``limitation``
in its details, so that a court reads one finding with its weight. All the signals are
one-sided: each can point to generation or to a rewrite, none can show authenticity by
its absence. Figures quoted here are printed by benchmarks/structure_corpus.py and
benchmarks/double_jpeg.py.
"""

from __future__ import annotations

from types import MappingProxyType

_NO_AUTHENTICITY = " Its absence proves nothing."

MEANINGS = MappingProxyType({
    "stealth_generation_parameters": (
        "A generation program's own record: image-generation parameters written into the pixels' low bits. "
        "Supports that the picture was made, or passed through, an image generator." + _NO_AUTHENTICITY,
        "The bits survive lossless saving only (any JPEG, resize or screenshot erases them). Such a block can be "
        "written into any picture: it shows that a generation tool wrote it, not who made the content.",
    ),
    "stealth_text": (
        "A text block hidden in the low bits in the format generation tools use, holding no generation record: "
        "context only, no bearing on generation by itself.",
        "The text is shown as found; who wrote it and why is unknown.",
    ),
    "stealth_damaged": (
        "The signature of a hidden block with an unreadable block after it: context only (a tool wrote such a "
        "block and the picture was changed afterwards, or the signature arose by chance).",
        "Nothing is decoded, so nothing about the generator is known.",
    ),
    "jpeg_quantization": (
        "Which encoder's quantization tables the file carries, beside the camera its EXIF names: tables of a "
        "known encoder of that camera make support (do not prove) the claimed camera; a software encoder's "
        "tables under a camera's name suggest the picture was saved again by software. Neither bears on "
        "generation." + _NO_AUTHENTICITY,
        "exiftool's JPEGDigest table lists about 150 camera digests, mostly of cameras from before 2010, and many "
        "programs; most phones are not in it ('no reference'). Many phones and cameras write the IJG tables "
        "themselves, camera tables recur across makes, and tables can be copied into any file.",
    ),
    "double_jpeg_compression": (
        "The picture was decoded and saved as JPEG again (edited, re-saved or re-shared): not evidence of "
        "generation." + _NO_AUTHENTICITY,
        "Only an aligned re-compression with a finer second step is seen; a coarser second step, a crop that "
        "moves the 8 x 8 grid or a resize hides it. The threshold comes from a simulation on scikit-image "
        "photographs (benchmarks/double_jpeg.py), not from casework files.",
    ),
    "container_rewritten": (
        "A program (FFmpeg, HandBrake, L-SMASH) wrote the container: the file is not as a camera wrote it "
        "(re-encoded or remuxed, or never from a camera). Platforms and editors rewrite files routinely, so "
        "this is not evidence that the content was manipulated or generated.",
        "Only a few programs' traces are known (encoder strings, default handler names, FFmpeg's vendor code); a "
        "program that leaves none, or a forger who edits the boxes, is not seen.",
    ),
    "container_device": (
        "The container's layout is that of a reference device (or of a device family's writer): supports, "
        "does not prove, the claimed origin, since a layout can be copied.",
        "The device reference is built from the corpus's camera-original videos (one Pentax file); Apple's "
        "handler names are written by Apple's software as well as by its cameras.",
    ),
    "container_claimed_device_differs": (
        "The device the file names writes another layout in the reference: consistent with a rewrite, "
        "no conclusion on its own.",
        "The reference holds one file per device; firmware versions and recording settings change layouts.",
    ),
    "container_no_reference": (
        "No known writer or device: no conclusion on the file's origin.",
        "Most devices and programs are not in the reference tables.",
    ),
    "none": (
        "No structural signal: this says nothing about authenticity.",
        "Hidden parameters and re-compression traces are erased by ordinary processing.",
    ),
})


def meaning(signal: str) -> dict[str, str]:
    """The details that state a signal's evidential meaning and its limitation."""
    stated, limitation = MEANINGS[signal]
    return {"evidential_meaning": stated, "limitation": limitation}
