"""Rendering and export: display RGB, colormaps for single bands (SCL palette), GeoTIFF and PNG files."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import numpy as np
from numpy.typing import NDArray

from stac_quicklook_plugin.core.bands.presets import RAMPS
from stac_quicklook_plugin.core.engine.mosaic import to_display_uint8
from stac_quicklook_plugin.core.models import Quicklook

# Sentinel-2 L2A scene classification classes 0..11 (ESA's usual palette).
SCL_COLORS = ["#000000", "#ff0000", "#2f2f2f", "#643200", "#00a000", "#ffe65a", "#0000ff",
              "#808080", "#c0c0c0", "#ffffff", "#64c8ff", "#ff96ff"]


def display_array(ql: Quicklook) -> NDArray[Any]:
    """(rows, cols, 3) uint8 for RGB results, or (rows, cols) float with NaN nodata for single bands."""
    if ql.count >= 3:
        rgb = to_display_uint8(ql.array[:3], ql.mask)
        return np.moveaxis(rgb, 0, -1)
    band: NDArray[Any] = ql.array[0].astype("float64")
    band[~ql.mask] = np.nan
    return band


def figure(ql: Quicklook, title: Optional[str] = None) -> Any:
    """A matplotlib Figure (no pyplot state, safe off the main thread), titled "collection • asset • item"."""
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.figure import Figure

    aspect = ql.height / max(1, ql.width)
    fig = Figure(figsize=(8, max(2.0, 8 * aspect) + 0.6), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    left, bottom, right, top = ql.bounds
    data = display_array(ql)
    if data.ndim == 3:
        alpha = (ql.mask * 255).astype(np.uint8)[..., None]
        ax.imshow(np.concatenate([data, alpha], axis=-1), extent=(left, right, bottom, top))
    elif ql.asset_key.lower() == "scl":
        cmap = ListedColormap(SCL_COLORS)
        ax.imshow(data, cmap=cmap, norm=BoundaryNorm(np.arange(-0.5, 12.5, 1), cmap.N),
                  extent=(left, right, bottom, top), interpolation="nearest")
    elif ql.meta.get("kind") == "index":  # the index's own colour ramp over its fixed range, with a legend
        lo, hi = ql.meta.get("value_range") or (-1.0, 1.0)
        from matplotlib.colors import LinearSegmentedColormap

        ramp = RAMPS.get(str(ql.meta.get("ramp")), RAMPS["ndvi"])
        shown = ax.imshow(data, cmap=LinearSegmentedColormap.from_list("index", list(ramp)), vmin=lo, vmax=hi,
                          extent=(left, right, bottom, top), interpolation="nearest")
        fig.colorbar(shown, ax=ax, shrink=0.8, label=str(ql.meta.get("label") or ql.meta.get("expression") or ""))
    else:
        lo, hi = (np.nanpercentile(data, [2, 98]) if np.isfinite(data).any() else (0, 1))
        ax.imshow(data, cmap="viridis", vmin=lo, vmax=hi, extent=(left, right, bottom, top))
    item = ql.meta.get("item_id", ql.items[0].id if ql.items else "")
    ax.set_title(title or f"{ql.meta.get('collection', '')} • {ql.asset_key} • {item}", fontsize=10)
    ax.tick_params(labelsize=7)
    fig.tight_layout()
    return fig


def write_png(ql: Quicklook, path: Path | str) -> Path:
    path = Path(path)
    figure(ql).savefig(path)
    return path


def write_geotiff(ql: Quicklook, path: Path | str) -> Path:
    """A georeferenced, DEFLATE-compressed GeoTIFF with the nodata value (or an internal mask), tagged with
    the items, asset and search strategy."""
    from stac_quicklook_plugin.core.raster.backend import backend

    path = Path(path)
    tags = {"STAC_ITEMS": ",".join(i.id for i in ql.items), "STAC_ASSET": ql.asset_key, "STAC_STRATEGY": ql.strategy}
    if ql.meta.get("preset") and ql.meta.get("preset") != "true-color":
        tags["STAC_PRESET"] = str(ql.meta["preset"])
    if ql.meta.get("expression"):
        tags["STAC_EXPRESSION"] = str(ql.meta["expression"])
    backend().write_geotiff(ql, path, tags)
    return path


def series_csv(series: Any) -> str:
    """The time series as CSV: ``date,value,cloudy,valid_fraction,items`` (items joined with ";"), and a last
    column ``sensor`` when the series mixes sensors."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    mixed = len(series.sensors) > 1
    writer.writerow(["date", "value", "cloudy", "valid_fraction", "items"] + (["sensor"] if mixed else []))
    for entry in series.entries:
        writer.writerow([entry.date, "" if entry.value is None else entry.value, str(entry.cloudy).lower(),
                         entry.valid_fraction, ";".join(entry.items)] + ([entry.sensor] if mixed else []))
    return out.getvalue()


def series_figure(series: Any, title: Optional[str] = None) -> Any:
    """The chart of a time series (a matplotlib Figure, no pyplot): clear values as a line with dots, cloudy
    dates as hollow markers on the axis."""
    from datetime import date

    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    clear = [(date.fromisoformat(e.date), e.value) for e in series.entries if e.value is not None]
    cloudy = [date.fromisoformat(e.date) for e in series.entries if e.value is None]
    sensors = series.sensors if len(series.sensors) > 1 else [None]  # a mixed series: a line per sensor
    for number, name in enumerate(sensors):
        mine = [(date.fromisoformat(e.date), e.value) for e in series.entries
                if e.value is not None and name in (None, e.sensor)]
        if mine:
            ax.plot([d for d, _ in mine], [v for _, v in mine], "-" + "osD^v"[number % 5],
                    color=("#1b7837", "#2166ac", "#b2182b", "#762a83", "#e08214")[number % 5],
                    label=series.label if name is None else f"{series.label} · {name}")
    low = min([v for _, v in clear] + [0.0]) - 0.05
    if cloudy:
        ax.plot(cloudy, [low] * len(cloudy), "o", markerfacecolor="none", markeredgecolor="#777777",
                label="cloudy / no data")
    where = (f"at {series.point[0]:.5f}, {series.point[1]:.5f}" if series.point else "over the view")
    span = f"{series.entries[0].date} to {series.entries[-1].date}" if series.entries else ""
    masked = "" if series.masked else " (not cloud-masked: no scene classification)"
    ax.set_title(title or f"{series.label} {where}, {span}{masked}", fontsize=10)
    ax.set_ylabel(series.label)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def write_series_png(series: Any, path: Path | str) -> Path:
    path = Path(path)
    series_figure(series).savefig(path, format="png")
    return path
