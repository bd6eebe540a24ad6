"""``stac_quicklook:quicklook``: a quicklook of an extent written to a raster file, through the engine's front door.

The algorithm runs in Processing's worker thread (Toolbox, batch) or the caller's (``processing.run``,
``qgis_process``); it touches no widget and no project layer, only the engine and GDAL.
"""
from __future__ import annotations

import dataclasses
import os
import tempfile
from datetime import date
from typing import Any, Optional

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingOutputString,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterCrs,
    QgsProcessingParameterDateTime,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterExtent,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameters,
    QgsProcessingParameterString,
    QgsRasterFileWriter,
)

from stac_quicklook_plugin.gui.i18n import tr

# Values of the RANK enum, in the order of its options.
RANKS = ("view", "scene")
MIN_WIDTH, MAX_WIDTH = 16, 8192


def request_fields() -> set[str]:
    """The fields today's QuicklookRequest has (RANK and MASK_CLOUDS are offered only when it has them)."""
    from stac_quicklook_plugin.core.models import QuicklookRequest

    return {f.name for f in dataclasses.fields(QuicklookRequest)}


class QuicklookAlgorithm(QgsProcessingAlgorithm):
    EXTENT = "EXTENT"
    STAC_API = "STAC_API"
    COLLECTION = "COLLECTION"
    REFLECTANCE_MIN = "REFLECTANCE_MIN"
    REFLECTANCE_MAX = "REFLECTANCE_MAX"
    START = "START"
    END = "END"
    CLOUD_COVER_MAX = "CLOUD_COVER_MAX"
    ASSET = "ASSET"
    PRESET = "PRESET"
    EXPRESSION = "EXPRESSION"
    WIDTH = "WIDTH"
    DST_CRS = "DST_CRS"
    RANK = "RANK"
    MASK_CLOUDS = "MASK_CLOUDS"
    OUTPUT = "OUTPUT"
    ITEMS = "ITEMS"
    STRATEGY = "STRATEGY"

    def createInstance(self) -> QuicklookAlgorithm:  # noqa: N802 (QGIS API)
        return QuicklookAlgorithm()

    def name(self) -> str:
        return "quicklook"

    def displayName(self) -> str:  # noqa: N802 (QGIS API)
        return tr("Quicklook of an extent")

    def shortHelpString(self) -> str:  # noqa: N802 (QGIS API)
        return tr("Searches a STAC API for the least cloudy scene over the extent and streams only the overview "
                  "tiles it needs from Cloud-Optimized GeoTIFFs into a raster file (a GeoTIFF by default). "
                  "Empty dates mean the last 30 days; an empty asset picks true colour automatically. "
                  "PRESET shows a false-colour composite or a spectral index, computed on reflectance from the bands' "
                  "common names; EXPRESSION computes band math over them (parsed, never run). "
                  "ITEMS lists the item ids used, STRATEGY the search strategy.")

    def tags(self) -> list[str]:
        return ["stac", "sentinel-2", "cog", "quicklook", "satellite", "imagery"]

    def initAlgorithm(self, config: Optional[dict[str, Any]] = None) -> None:  # noqa: N802 (QGIS API)
        from stac_quicklook_plugin.core.models import DEFAULT_COLLECTION, DEFAULT_WIDTH, EARTH_SEARCH_V1

        advanced = QgsProcessingParameterDefinition.Flag.FlagAdvanced
        self.addParameter(QgsProcessingParameterExtent(self.EXTENT, tr("Extent")))
        self.addParameter(QgsProcessingParameterString(self.STAC_API, tr("STAC API"), EARTH_SEARCH_V1))
        self.addParameter(QgsProcessingParameterString(
            self.COLLECTION, tr("Collection (empty: the best available Sentinel-2 L2A; several: a,b)"),
            DEFAULT_COLLECTION, optional=True))
        for name, label in ((self.START, tr("Start date")), (self.END, tr("End date"))):
            param = QgsProcessingParameterDateTime(name, label, QgsProcessingParameterDateTime.Type.Date,
                                                   optional=True)
            self.addParameter(param)
        self.addParameter(QgsProcessingParameterNumber(
            self.CLOUD_COVER_MAX, tr("Maximum cloud cover (%)"), QgsProcessingParameterNumber.Type.Double, 20.0,
            minValue=0.0, maxValue=100.0))
        self.addParameter(QgsProcessingParameterString(self.ASSET, tr("Asset (empty: automatic)"), "",
                                                       optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.WIDTH, tr("Output width (pixels)"), QgsProcessingParameterNumber.Type.Integer, DEFAULT_WIDTH,
            minValue=MIN_WIDTH, maxValue=MAX_WIDTH))
        self.addParameter(QgsProcessingParameterCrs(self.DST_CRS, tr("Output CRS (empty: the scene's own)"),
                                                    None, optional=True))
        if "preset" in request_fields():
            self.addParameter(QgsProcessingParameterString(
                self.PRESET, tr("Show (true-color, false-color, swir, agriculture, ndvi, ndwi, ndmi, nbr, evi)"),
                "true-color", optional=True))
            self.addParameter(QgsProcessingParameterString(
                self.EXPRESSION, tr("Band math instead, e.g. (nir - red) / (nir + red)"), "", optional=True))
        fields = request_fields()
        if "rank" in fields:
            rank = QgsProcessingParameterEnum(
                self.RANK, tr("Rank scenes by"),
                [tr("Least cloud over the extent (scene classification)"), tr("Scene cloud cover (eo:cloud_cover)")],
                defaultValue=0)
            rank.setFlags(rank.flags() | advanced)
            self.addParameter(rank)
        if "mask_clouds" in fields:
            mask = QgsProcessingParameterBoolean(self.MASK_CLOUDS, tr("Fill cloudy pixels from the next scenes"),
                                                 False)
            mask.setFlags(mask.flags() | advanced)
            self.addParameter(mask)
        for name, label, value in ((self.REFLECTANCE_MIN, tr("Composites: reflectance drawn darkest"), 0.0),
                                   (self.REFLECTANCE_MAX, tr("Composites: reflectance drawn brightest"), 0.3)):
            stretch = QgsProcessingParameterNumber(name, label, QgsProcessingParameterNumber.Type.Double, value,
                                                   minValue=-1.0, maxValue=2.0)
            stretch.setFlags(stretch.flags() | advanced)
            self.addParameter(stretch)
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT, tr("Quicklook")))
        self.addOutput(QgsProcessingOutputString(self.ITEMS, tr("Item ids used")))
        self.addOutput(QgsProcessingOutputString(self.STRATEGY, tr("Search strategy")))

    # ----- run -----

    def processAlgorithm(self, parameters: dict[str, Any], context: QgsProcessingContext,  # noqa: N802
                         feedback: QgsProcessingFeedback) -> dict[str, Any]:
        from stac_quicklook_plugin.core import errors
        from stac_quicklook_plugin.core.engine.quicklook import quicklook
        from stac_quicklook_plugin.core.net.redact import redact

        request = self.build_request(parameters, context)
        output = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)

        def progress(percent: float, message: str) -> None:
            feedback.setProgress(float(percent))
            feedback.setProgressText(message)

        try:
            result = quicklook(request, progress, feedback.isCanceled)
        except errors.Cancelled:
            raise QgsProcessingException(tr("Quicklook cancelled: no file was written.")) from None
        except errors.QuicklookError as exc:
            raise QgsProcessingException(engine_sentence(exc)) from None
        write_raster(result, output)
        meta = result.meta or {}
        if meta.get("kind") == "index" and context.willLoadLayerOnCompletion(output):
            low, high = meta.get("value_range") or (-1.0, 1.0)
            self._styler = IndexStyler(float(low), float(high), str(meta.get("ramp") or "ndvi"))  # kept alive
            context.layerToLoadOnCompletionDetails(output).setPostProcessor(self._styler)
        feedback.setProgress(100.0)
        items = ",".join(item.id for item in result.items)
        feedback.pushInfo(tr("Items: {items}; asset {asset}; strategy {strategy}; {width} x {height} px").format(
            items=items, asset=result.asset_key, strategy=result.strategy, width=result.width, height=result.height))
        searched = tr("Collections searched: {collections}; the same acquisitions left out: {duplicates}")
        feedback.pushInfo(searched.format(
            collections=", ".join(meta.get("collections") or []) or request.collection,
            duplicates=", ".join(d["id"] for d in meta.get("duplicates") or []) or tr("none")))
        for note in meta.get("metadata_notes") or []:
            feedback.pushWarning(redact(note))
        return {self.OUTPUT: output, self.ITEMS: items, self.STRATEGY: result.strategy}

    def build_request(self, parameters: dict[str, Any], context: QgsProcessingContext):
        """The engine's request from the parameters; raises QgsProcessingException for input that cannot work."""
        from stac_quicklook_plugin.core.models import QuicklookRequest
        from stac_quicklook_plugin.gui.extent import ExtentError, bbox_wgs84
        from stac_quicklook_plugin.gui.network import qgis_connection

        crs = self.parameterAsExtentCrs(parameters, self.EXTENT, context)
        extent = self.parameterAsExtent(parameters, self.EXTENT, context, crs)
        try:
            bbox = bbox_wgs84(extent, crs, context.project())
        except ExtentError as exc:
            raise QgsProcessingException(f"{exc.title}: {exc}") from None
        start = self._date(parameters, self.START, context)
        end = self._date(parameters, self.END, context)
        if start and end and start > end:
            raise QgsProcessingException(tr("The start date {start} is after the end date {end}.").format(
                start=start.isoformat(), end=end.isoformat()))
        dates = None
        if start or end:
            dates = (f"{start.isoformat()}T00:00:00Z" if start else "..") + "/" + \
                    (f"{end.isoformat()}T23:59:59Z" if end else "..")
        dst = self.parameterAsCrs(parameters, self.DST_CRS, context)
        api_url = self.parameterAsString(parameters, self.STAC_API, context).strip()
        values: dict[str, Any] = dict(
            bbox_wgs84=bbox,
            stac_api=api_url,
            collection=self.parameterAsString(parameters, self.COLLECTION, context).strip(),
            datetime_range=dates,
            cloud_cover_max=self.parameterAsDouble(parameters, self.CLOUD_COVER_MAX, context),
            asset_key=self.parameterAsString(parameters, self.ASSET, context).strip() or None,
            width=self.parameterAsInt(parameters, self.WIDTH, context),
            dst_crs=crs_text(dst),
            connection=qgis_connection(api_url),
        )
        fields = request_fields()
        if "rank" in fields and self.parameterDefinition(self.RANK) is not None:
            values["rank"] = RANKS[self.parameterAsEnum(parameters, self.RANK, context)]
        if "reflectance_range" in fields and self.parameterDefinition(self.REFLECTANCE_MIN) is not None:
            values["reflectance_range"] = (self.parameterAsDouble(parameters, self.REFLECTANCE_MIN, context),
                                           self.parameterAsDouble(parameters, self.REFLECTANCE_MAX, context))
        if "preset" in fields and self.parameterDefinition(self.PRESET) is not None:
            values["preset"] = self.parameterAsString(parameters, self.PRESET, context).strip()
            values["expression"] = self.parameterAsString(parameters, self.EXPRESSION, context).strip()
        if "mask_clouds" in fields and self.parameterDefinition(self.MASK_CLOUDS) is not None:
            values["mask_clouds"] = self.parameterAsBool(parameters, self.MASK_CLOUDS, context)
        return QuicklookRequest(**values)

    def _date(self, parameters: dict[str, Any], name: str, context: QgsProcessingContext) -> Optional[date]:
        value = parameters.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        # QgsProcessingAlgorithm.parameterAsDate is newer than 3.22; the static helper is in 3.22 already.
        qdate = QgsProcessingParameters.parameterAsDate(self.parameterDefinition(name), parameters, context)
        if not qdate.isValid():
            raise QgsProcessingException(tr("{name} “{value}” is not a date; use YYYY-MM-DD.").format(
                name=name, value=value))
        return date(qdate.year(), qdate.month(), qdate.day())


class IndexStyler(QgsProcessingLayerPostProcessorInterface):
    """Draws an index output in its colour ramp once QGIS has loaded it (as the plugin's own layers)."""

    def __init__(self, low: float, high: float, ramp: str):
        super().__init__()
        self.low, self.high, self.ramp = low, high, ramp

    def postProcessLayer(self, layer: Any, context: QgsProcessingContext,  # noqa: N802 (QGIS API)
                         feedback: QgsProcessingFeedback) -> None:
        from stac_quicklook_plugin.gui.layer import index_renderer

        if layer is not None and layer.isValid() and hasattr(layer, "setRenderer"):
            layer.setRenderer(index_renderer(layer, self.low, self.high, self.ramp))
            layer.triggerRepaint()


def crs_text(crs: QgsCoordinateReferenceSystem) -> Optional[str]:
    """The output CRS as the engine takes it (an authority id, else WKT), or None for the scene's own."""
    if not crs.isValid():
        return None
    return crs.authid() or crs.toWkt(QgsCoordinateReferenceSystem.WktVariant.WKT2_2019)


def engine_sentence(exc: Exception) -> str:
    """The sentence the plugin's message bar shows for an engine error: title, then what failed and what to do."""
    from stac_quicklook_plugin.core.net.redact import redact
    from stac_quicklook_plugin.gui.messages import bar_text

    return f"{tr(getattr(exc, 'title', 'Quicklook failed'))}: {bar_text(redact(str(exc)))}"


def write_raster(result: Any, path: str) -> None:
    """``result`` as ``path``: the engine's compressed GeoTIFF, converted with GDAL for any other format."""
    from osgeo import gdal

    from stac_quicklook_plugin.core.engine.render import write_geotiff

    driver = QgsRasterFileWriter.driverForExtension(os.path.splitext(path)[1]) or "GTiff"
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    if driver == "GTiff":
        try:
            write_geotiff(result, path)
        except Exception as exc:  # the reader library's own error type (rasterio or GDAL)
            raise QgsProcessingException(tr("GDAL could not write {path}: {error}").format(path=path, error=exc)) \
                from None
        return
    with tempfile.TemporaryDirectory(prefix="stac-ql-") as tmp:
        tif = os.path.join(tmp, "quicklook.tif")
        write_geotiff(result, tif)
        try:
            converted = gdal.Translate(path, tif, format=driver)
        except RuntimeError as exc:
            raise QgsProcessingException(tr("GDAL could not write {path} as {driver}: {error}").format(
                path=path, driver=driver, error=exc)) from None
        if converted is None:
            raise QgsProcessingException(tr("GDAL could not write {path} as {driver}: {error}").format(
                path=path, driver=driver, error=gdal.GetLastErrorMsg()))
        converted = None

