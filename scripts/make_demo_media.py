"""Write the demo's evidence files: real photographs shipped with scikit-image, one
up-sampled PNG carrying an image generator's text chunk, the same picture with its tags
stripped but the parameters hidden in its alpha channel's low bits (as the "stealth
pnginfo" extension writes them), and a short H.264 clip.

Usage: python scripts/make_demo_media.py OUTDIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import av
import numpy as np
from PIL import Image, PngImagePlugin
from skimage import data

from forensics.detectors.stealth_params import write_stealth


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    astronaut = Image.fromarray(data.astronaut())
    astronaut.save(out / "astronaut.jpg", quality=92)
    Image.fromarray(data.coffee()).save(out / "coffee.jpg", quality=88)

    # A "generated" image: 2x nearest-neighbour up-sampling leaves a periodic spectrum,
    # and the text chunk is what AUTOMATIC1111's web UI writes.
    small = astronaut.resize((256, 256), Image.Resampling.BICUBIC)
    upsampled = small.resize((512, 512), Image.Resampling.NEAREST)
    parameters = ("portrait of an astronaut, photorealistic\n"
                  "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1234, Size: 512x512")
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", parameters)
    upsampled.save(out / "generated_portrait.png", pnginfo=info)
    # Tags stripped, parameters kept in the pixels: what the structure detector reads.
    rgba = np.dstack([np.asarray(upsampled), np.full((512, 512), 255, np.uint8)])
    Image.fromarray(write_stealth(rgba, parameters)).save(out / "stripped_portrait.png")

    # Two seconds of video panning over the photograph.
    frames = np.asarray(astronaut.resize((320, 320)))
    with av.open(str(out / "clip.mp4"), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 256, 256, "yuv420p"
        for i in range(50):
            frame = av.VideoFrame.from_ndarray(frames[i:i + 256, i:i + 256].copy(), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    print(f"demo media written to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
