"""Landsat 7's scan-line gaps (issue 23): since 2003 its scenes have wedge-shaped no-data stripes. On the generated
world with a striped Landsat 7 date (tests.harness.landsat.L7_DATES), the stripes are holes filled from the next
scene, as swath edges are; a view inside a stripe says why it is empty. Truth from the generator's arrays."""
from __future__ import annotations

import numpy as np
import pytest
from osgeo import osr

from stac_quicklook_plugin.core.engine.quicklook import quicklook
from stac_quicklook_plugin.core.errors import NothingFound
from stac_quicklook_plugin.core.models import QuicklookRequest
from tests.core.engine.test_landsat import _on_grid
from tests.harness import landsat

L7 = landsat.L7_DATES[0]
L7_INDEX = len(landsat.DATES)  # its index in landsat.ALL_DATES
RANGE = "2024-06-20/2024-07-05"  # the Landsat 7 date (0 % scene cloud) and 2024-06-24 (clear over the view)


def _request(url, **kw):
    base = dict(bbox_wgs84=landsat.VIEW, stac_api=url, collection="landsat-c2-l2", datetime_range=RANGE,
                cloud_cover_max=100.0, width=200, preset="true-color")
    base.update(kw)
    return QuicklookRequest(**base)


def test_the_stripes_of_the_clearest_landsat_7_scene_are_filled_from_the_next_scene(landsat7_world):
    ql = quicklook(_request(landsat7_world.url, width=600))  # 23 m pixels: the 30 m stripes resolved
    assert [i.id for i in ql.items] == [L7["id"], landsat.DATES[0]["id"]]  # ranked first, then the filler
    assert np.asarray(ql.mask).all()
    share = _on_grid(ql, landsat.slc_off_gaps().astype(np.float32), "average")  # of each output pixel in a gap
    # Pixels whose neighbours too are wholly in a gap, or wholly out of one (an overview pixel half in a gap
    # has data: GDAL's averaged overviews keep the valid half)
    gap, data = _eroded(share == 1), _eroded(share == 0)
    assert gap.sum() > 50 and data.sum() > 1000  # the view crosses whole stripes
    red = ql.reflectance[0]  # true colour from red, green, blue on reflectance
    from_l7 = _on_grid(ql, landsat.reflectance(L7_INDEX, "red").astype(np.float32), "average")
    from_filler = _on_grid(ql, landsat.reflectance(0, "red").astype(np.float32), "average")
    assert np.abs(red[data] - from_l7[data]).max() < 0.01
    assert np.abs(red[gap] - from_filler[gap]).max() < 0.01
    assert np.abs(from_l7 - from_filler)[gap].mean() > 0.01  # the two dates differ: the test can tell


def _eroded(where):
    """``where`` and all 8 neighbours (the grid's edge counts as outside)."""
    out = where.copy()
    out[0, :] = out[-1, :] = out[:, 0] = out[:, -1] = False
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            out[1:-1, 1:-1] &= where[1 + dy:where.shape[0] - 1 + dy, 1 + dx:where.shape[1] - 1 + dx]
    return out


def _inside_a_stripe():
    """A 90 m view inside one of the widest stripes (the scene's west edge), in lon/lat."""
    gaps = landsat.slc_off_gaps()
    col = 8
    rows = np.flatnonzero(gaps[:, col])
    row = int(rows[(rows > 300) & (rows < 900)][0]) + 3  # inside the stripe, not on its edge
    assert gaps[row - 3:row + 4, col - 3:col + 4].all()
    utm, wgs84 = osr.SpatialReference(), osr.SpatialReference()
    utm.ImportFromEPSG(landsat.EPSG)
    wgs84.ImportFromEPSG(4326)
    wgs84.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    to_wgs84 = osr.CoordinateTransformation(utm, wgs84)
    x, y = landsat.ULX + (col + 0.5) * landsat.RES, landsat.ULY - (row + 0.5) * landsat.RES
    (w, s), (e, n) = (to_wgs84.TransformPoint(x - 45, y - 45)[:2], to_wgs84.TransformPoint(x + 45, y + 45)[:2])
    return (w, s, e, n)


def test_a_view_inside_a_stripe_says_why_it_is_empty(landsat7_world):
    with pytest.raises(NothingFound) as err:
        quicklook(_request(landsat7_world.url, bbox_wgs84=_inside_a_stripe(), datetime_range="2024-07-01/2024-07-05",
                           width=16))
    text = str(err.value)
    assert L7["id"] in text and "Landsat 7" in text and "scan-line" in text and "2003" in text
