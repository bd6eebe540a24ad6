"""Synthetic landscape over two adjacent UTM tiles: terrain, land cover, season, clouds.

Everything is computed once on a "world" lattice of point samples every 60 m in map
coordinates (EPSG:32613) that spans both tiles, so the tiles agree exactly where they
overlap. A tile takes its slice of the lattice and `upsample` interpolates it to 10, 20
or 60 m pixel centres. Deterministic: seeded numpy only.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

LATTICE_M = 60
# World lattice: x from 399960 (13TDE west edge) to 609780 (13TEE east edge), y from
# 4500000 down to 4390200; all tile origins are multiples of 60 m, so tiles slice it exactly.
WORLD_ULX = 399960
WORLD_ULY = 4500000
WORLD_COLS = (609780 - 399960) // LATTICE_M + 1  # 3498 lattice points
WORLD_ROWS = 109800 // LATTICE_M + 1  # 1831 lattice points

# SCL class codes (Sentinel-2 L2A scene classification)
SCL_NODATA, SCL_SHADOW, SCL_VEGETATION, SCL_NOT_VEGETATED, SCL_WATER = 0, 3, 4, 5, 6
SCL_CLOUD_MEDIUM, SCL_CLOUD_HIGH, SCL_SNOW = 8, 9, 11

# Surface reflectance (blue, green, red, nir) per cover type
_FOREST = (0.020, 0.040, 0.025, 0.28)
_GRASS_GREEN = (0.035, 0.075, 0.045, 0.33)
_GRASS_DRY = (0.065, 0.095, 0.115, 0.24)
_SOIL = (0.085, 0.125, 0.165, 0.24)
_ROCK = (0.115, 0.125, 0.135, 0.20)
_SNOW = (0.86, 0.86, 0.84, 0.70)
_WATER = (0.030, 0.040, 0.020, 0.010)
_CLOUD = (0.62, 0.62, 0.63, 0.66)

CLOUD_ALPHA = 0.35  # a pixel counts as cloud (SCL 8/9) above this opacity
CLOUD_ALPHA_HIGH = 0.65  # ... and as high-probability cloud (SCL 9) above this


def fbm(seed: int, octaves: int, persistence: float,
        shape: tuple[int, int] = (WORLD_ROWS, WORLD_COLS)) -> np.ndarray:
    """Multi-octave value noise on the lattice, mean 0 and std 1, built coarse to fine.

    The finest octave is 120 m; one linear doubling brings it to the 60 m lattice (speed).
    """
    rng = np.random.default_rng(seed)
    margin = 3
    full_shape = shape
    shape = (full_shape[0] // 2 + 2, full_shape[1] // 2 + 2)
    octaves -= 1

    def needed(level: int) -> tuple[int, int]:
        return (math.ceil(shape[0] / 2**level) + 2 * margin, math.ceil(shape[1] / 2**level) + 2 * margin)

    field = rng.standard_normal(needed(octaves), dtype=np.float32)
    amplitude = 1.0
    for level in range(octaves - 1, -1, -1):
        field = ndimage.zoom(field, 2, order=3, output=np.float32, mode="reflect", grid_mode=False)
        rows, cols = needed(level)
        r0, c0 = (field.shape[0] - rows) // 2, (field.shape[1] - cols) // 2
        field = field[r0:r0 + rows, c0:c0 + cols]
        amplitude *= persistence
        field += amplitude * rng.standard_normal(field.shape, dtype=np.float32)
    field = field[margin:margin + shape[0], margin:margin + shape[1]]
    field = ndimage.zoom(field, 2, order=1, output=np.float32, grid_mode=False)
    field = field[:full_shape[0], :full_shape[1]]
    field -= field.mean()
    field /= field.std()
    return np.ascontiguousarray(field)


def lattice_xy() -> tuple[np.ndarray, np.ndarray]:
    """Map coordinates of the lattice points as broadcastable (1, cols) and (rows, 1) arrays."""
    x = (WORLD_ULX + LATTICE_M * np.arange(WORLD_COLS, dtype=np.float64))[None, :]
    y = (WORLD_ULY - LATTICE_M * np.arange(WORLD_ROWS, dtype=np.float64))[:, None]
    return x, y


# Date-independent noise fields: name -> (seed, octaves, persistence)
TERRAIN_NOISE = {
    "rough": (1915, 9, 0.55),
    "ridged": (1916, 8, 0.5),
    "moisture": (1917, 7, 0.6),
    "lakes": (1918, 6, 0.5),
    "texture": (1919, 4, 0.8),
}


def terrain_noise(name: str) -> np.ndarray:
    """One of the TERRAIN_NOISE fields (separate so they can be computed in parallel)."""
    return fbm(*TERRAIN_NOISE[name])


def terrain(noise: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Date-independent fields: elevation (m), hillshade, moisture, lake and texture fields."""
    if noise is None:
        noise = {name: terrain_noise(name) for name in TERRAIN_NOISE}
    x, y = lattice_xy()
    rough = noise["rough"]
    ridged = 1.0 - np.abs(noise["ridged"])
    # Mountains in the west, high plains in the east, the Front Range between them.
    mountains = 1.0 / (1.0 + np.exp((x - 488000.0) / 7000.0))
    elevation = (1650.0 + 40.0 * (4500000.0 - y) / 109800.0
                 + mountains * (1500.0 + 600.0 * rough + 1000.0 * (ridged - 0.5))
                 + (1.0 - mountains) * 60.0 * rough).astype(np.float32)
    dzdy, dzdx = np.gradient(elevation, LATTICE_M)
    # Lambertian shading, sun from the south-east at 45 degrees.
    azimuth, altitude = math.radians(150.0), math.radians(45.0)
    sx, sy, sz = math.sin(azimuth) * math.cos(altitude), math.cos(azimuth) * math.cos(altitude), math.sin(altitude)
    # dzdy is along rows (southwards), so the northward slope is -dzdy.
    normal = np.sqrt(dzdx**2 + dzdy**2 + 1.0)
    shade = ((-dzdx) * sx + dzdy * sy + sz) / normal / sz
    return {
        "elevation": elevation,
        "shade": np.clip(shade, 0.35, 1.4).astype(np.float32),
        "moisture": noise["moisture"],
        "lakes": noise["lakes"],
        "texture": noise["texture"],
    }


def cloud_opacity(seed: int, cloud_fraction: float) -> np.ndarray:
    """Cloud opacity 0..0.95 whose share above CLOUD_ALPHA is `cloud_fraction` of the world."""
    field = fbm(seed, octaves=8, persistence=0.62)
    threshold = float(np.quantile(field, 1.0 - cloud_fraction))
    width = 0.8
    start = threshold - width * CLOUD_ALPHA / 0.95
    return (np.clip((field - start) / width, 0.0, 1.0) * 0.95).astype(np.float32)


def scene(land: dict[str, np.ndarray], *, season: dict, cloud_seed: int,
          cloud_fraction: float) -> dict[str, np.ndarray]:
    """Per-date lattice fields: reflectance (4, rows, cols) blue/green/red/nir, land class, clouds."""
    elevation, moisture, lakes = land["elevation"], land["moisture"], land["lakes"]
    snowline = season["snowline"] + 150.0 * moisture
    treeline = 3450.0 + 100.0 * moisture
    water = (lakes > 2.3) & (elevation < 3600.0)
    snow = ~water & (elevation > snowline)
    rock = ~water & ~snow & (elevation > treeline)
    forest = ~water & ~snow & ~rock & (elevation > 2250.0) & (moisture > -0.6)
    soil = ~water & ~snow & ~rock & ~forest & (moisture < -0.7)
    grass = ~water & ~snow & ~rock & ~forest & ~soil

    green = season["greenness"]
    grass_refl = tuple(green * g + (1.0 - green) * d for g, d in zip(_GRASS_GREEN, _GRASS_DRY))
    cover = np.select([water, snow, rock, forest, soil], [0, 1, 2, 3, 4], 5).astype(np.uint8)
    table = np.asarray([_WATER, _SNOW, _ROCK, _FOREST, _SOIL, grass_refl], dtype=np.float32).T
    surface = table[:, cover]
    lit = land["shade"] * (1.0 + 0.12 * land["texture"])
    lit[water] = 1.0
    tint = np.asarray(season["tint"], dtype=np.float32)[:, None, None]
    surface *= lit[None] * tint
    land_class = np.full(elevation.shape, SCL_NOT_VEGETATED, dtype=np.uint8)
    land_class[forest | (grass & (green > 0.45))] = SCL_VEGETATION
    land_class[water] = SCL_WATER
    land_class[snow] = SCL_SNOW

    alpha = cloud_opacity(cloud_seed, cloud_fraction)
    # Shadows fall north-west of the clouds (sun in the south-east): shift by ~1.5 km.
    shift = 25
    shadow = np.zeros_like(alpha)
    shadow[:-shift, :-shift] = alpha[shift:, shift:]
    surface *= (1.0 - 0.6 * shadow)[None]
    cloud_texture = 0.9 + 0.1 * np.clip(land["texture"], -1.0, 1.0)
    cloud = np.asarray(_CLOUD, dtype=np.float32)[:, None, None] * cloud_texture[None]
    reflectance = surface * (1.0 - alpha)[None] + cloud * alpha[None]
    return {"reflectance": reflectance.astype(np.float32), "land_class": land_class,
            "alpha": alpha, "shadow": shadow}


def upsample(nodes: np.ndarray, factor: int, out: np.ndarray, chunk: int = 64) -> np.ndarray:
    """Bilinear interpolation of lattice points to pixel centres, `factor` pixels per lattice step.

    `nodes` has one more point than cells per axis; pixel k of cell j sits at j + (2k+1)/(2 factor).
    The result depends only on the two neighbouring points, so overlapping tiles agree exactly.
    Values are rounded half up into `out` (its dtype).
    """
    frac = ((2 * np.arange(factor) + 1) / (2.0 * factor)).astype(np.float32)
    rows, cols = nodes.shape[0] - 1, nodes.shape[1] - 1
    along = (nodes[:, :-1, None] * (1.0 - frac) + nodes[:, 1:, None] * frac).reshape(rows + 1, cols * factor)
    wr = frac[None, :, None]
    for r0 in range(0, rows, chunk):
        r1 = min(rows, r0 + chunk)
        block = along[r0:r1, None, :] * (1.0 - wr) + along[r0 + 1:r1 + 1, None, :] * wr
        block += 0.5
        out[r0 * factor:r1 * factor] = block.reshape((r1 - r0) * factor, cols * factor)
    return out


def nearest(nodes: np.ndarray, factor: int) -> np.ndarray:
    """Nearest lattice point for each pixel centre (ties go to the lower-right point)."""
    cells = nodes.shape[0] - 1
    idx = np.floor((2 * np.arange(cells * factor) + 1) / (2.0 * factor) + 0.5).astype(np.intp)
    return nodes[np.ix_(idx, idx)]
