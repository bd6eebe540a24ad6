"""A series as an animation: one frame per date, in the chosen preset, the date burned in, the same stretch on
every frame (true colour as published, composites over their fixed reflectance range, indices in their colour
ramp over its fixed range). An animated GIF through Pillow (which matplotlib needs, so every QGIS with the
plugin's engine has it); an MP4 only where matplotlib finds an ffmpeg on the machine."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
from numpy.typing import NDArray

from stac_quicklook_plugin.core.bands.presets import RAMPS
from stac_quicklook_plugin.core.errors import BadInput
from stac_quicklook_plugin.core.models import Quicklook

FRAME_MS = 800


def frame_rgb(ql: Quicklook) -> NDArray[np.uint8]:
    """(rows, cols, 3) uint8 of one quicklook, no data black, drawn the same way on every date."""
    meta = ql.meta or {}
    if meta.get("kind") == "index":
        from matplotlib.colors import LinearSegmentedColormap

        low, high = meta.get("value_range") or (-1.0, 1.0)
        ramp = LinearSegmentedColormap.from_list("index", list(RAMPS.get(str(meta.get("ramp")), RAMPS["ndvi"])))
        scaled = (ql.array[0].astype(np.float64) - low) / (high - low)
        rgb = (ramp(np.clip(np.nan_to_num(scaled, nan=0.0), 0, 1))[..., :3] * 255).astype(np.uint8)
        rgb[~(ql.mask & np.isfinite(ql.array[0]))] = 0
        return np.asarray(rgb, dtype=np.uint8)
    from stac_quicklook_plugin.core.engine.render import display_array

    data = display_array(ql)
    if data.ndim == 2:  # one stored band: grey, stretched per frame (no fixed range is known for it)
        finite = np.isfinite(data)
        low, high = (np.nanpercentile(data, [2, 98]) if finite.any() else (0.0, 1.0))
        grey = np.clip((np.nan_to_num(data, nan=low) - low) / max(high - low, 1e-9) * 255, 0, 255).astype(np.uint8)
        data = np.repeat(grey[..., None], 3, axis=2)
    out = np.array(data[..., :3], dtype=np.uint8)
    out[~ql.mask] = 0
    return out


def _with_date(rgb: NDArray[np.uint8], text: str, size: tuple[int, int]) -> Any:
    from PIL import Image, ImageDraw

    image = Image.fromarray(rgb, "RGB")
    if image.size != size:  # a date in another UTM zone: the first frame's size for all
        image = image.resize(size)
    draw = ImageDraw.Draw(image)
    box = draw.textbbox((0, 0), text)
    margin = 6
    draw.rectangle((0, 0, box[2] + 2 * margin, box[3] + 2 * margin), fill=(0, 0, 0))
    draw.text((margin, margin), text, fill=(255, 255, 255))
    return image


def frame_label(ql: Quicklook) -> str:
    return str((ql.meta or {}).get("label") or ql.asset_key)


def write_animation(frames: Sequence[tuple[str, Quicklook]], path: Path | str, frame_ms: int = FRAME_MS) -> Path:
    """``frames`` (date, quicklook), oldest first, as an animated GIF (``.gif``) or an MP4 (``.mp4``, where
    ffmpeg is found); BadInput for no frame, another extension, or an MP4 without ffmpeg."""
    return write_frames([(day, frame_rgb(ql), frame_label(ql)) for day, ql in frames], path, frame_ms)


def write_frames(frames: Sequence[tuple[str, NDArray[np.uint8], str]], path: Path | str,
                 frame_ms: int = FRAME_MS) -> Path:
    """Frames already drawn (date, RGB from ``frame_rgb``, label), oldest first, as a GIF or an MP4."""
    path = Path(path)
    if not frames:
        raise BadInput("There is no date to animate.")
    suffix = path.suffix.lower()
    if suffix not in (".gif", ".mp4"):
        raise BadInput(f"An animation is written as .gif (or .mp4 where ffmpeg is installed), not {suffix or 'no'} "
                       "extension.")
    first = frames[0][1]
    size = (first.shape[1], first.shape[0])
    images = [_with_date(rgb, f"{day} · {label}", size) for day, rgb, label in frames]
    if suffix == ".gif":
        images[0].save(path, format="GIF", save_all=True, append_images=images[1:], duration=frame_ms, loop=0)
        return path
    from matplotlib import animation

    if not animation.writers.is_available("ffmpeg"):
        raise BadInput("An MP4 needs ffmpeg, which this machine does not have: write a .gif instead.")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(size[0] / 100, size[1] / 100), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.axis("off")
    shown = ax.imshow(np.asarray(images[0]))
    writer = animation.writers["ffmpeg"](fps=1000 / frame_ms)
    with writer.saving(fig, str(path), dpi=100):
        for image in images:
            shown.set_data(np.asarray(image))
            writer.grab_frame()
    return path
