"""The dock's saved settings plus the canvas bbox, checked, as the engine's QuicklookRequest."""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from stac_quicklook_plugin.gui import settings
from stac_quicklook_plugin.gui.i18n import tr

if TYPE_CHECKING:
    from stac_quicklook_plugin.core.models import QuicklookRequest


class SettingsError(Exception):
    """A dock setting cannot work; ``str()`` says which and how to fix it. Nothing was sent."""


def build_request(bbox_wgs84: tuple[float, float, float, float], canvas_width: int,
                  acquisition_date: Optional[str] = None) -> QuicklookRequest:
    """A request for ``bbox_wgs84`` from the saved settings (only the scenes of ``acquisition_date``,
    "YYYY-MM-DD", when given); raises SettingsError for settings that cannot work."""
    from stac_quicklook_plugin.core.models import QuicklookRequest

    api_url = settings.api_url()
    if not api_url.lower().startswith(("http://", "https://")):
        raise SettingsError(tr("The STAC API URL “{url}” must start with http:// or https://.").format(url=api_url))
    collection = settings.collection()
    if any(c in "/?#" or (c.isspace() and c != " ") for c in collection) or \
            any(" " in part.strip() for part in collection.split(",")):
        raise SettingsError(tr("The collection “{collection}” is not a collection id "
                               "(no spaces or slashes; separate several with commas).").format(collection=collection))
    from stac_quicklook_plugin.gui.network import AuthError, qgis_connection

    try:  # the auth config's headers go to the STAC API's host only, never to image hosts
        connection = qgis_connection(api_url, settings.auth_cfg())
    except AuthError as exc:
        raise SettingsError(str(exc)) from None
    start, end = settings.date_from(), settings.date_to()
    if start > end:
        raise SettingsError(tr("The start date {start} is after the end date {end}.").format(
            start=start.isoformat(), end=end.isoformat()))
    return QuicklookRequest(
        bbox_wgs84=tuple(float(v) for v in bbox_wgs84),
        stac_api=api_url,
        collection=collection,
        datetime_range=f"{start.isoformat()}T00:00:00Z/{end.isoformat()}T23:59:59Z",
        cloud_cover_max=settings.cloud_cover_max(),
        # A preset or band math says what to show; the asset then is the bands' (by common name).
        asset_key=None if (settings.preset() or settings.expression()) else settings.asset_key(),
        preset=settings.preset(),
        expression=settings.expression(),
        width=output_width(canvas_width),
        # dst_crs stays None: the engine keeps the scene's own UTM grid, so overview pixels are copied,
        # not resampled, and QGIS reprojects the layer on the fly to any project CRS (EPSG:4326 too).
        dst_crs=None,
        connection=connection,
        rank=settings.rank(),
        mask_clouds=settings.mask_clouds(),
        reflectance_range=settings.reflectance_range(),
        acquisition_date=acquisition_date,
    )


# Auto never goes below this: a canvas hidden behind QGIS's welcome page reports about 100 px.
AUTO_MIN_WIDTH = 256


def output_width(canvas_width: Optional[int]) -> int:
    """The saved width, or the canvas width for Auto, within the range the dock allows."""
    width = settings.output_width() or max(int(canvas_width or 0), AUTO_MIN_WIDTH)
    return min(max(width, settings.MIN_WIDTH), settings.MAX_WIDTH)
