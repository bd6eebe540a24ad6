"""``stac_quicklook:timeseries``, *Index time series at points*: for each point of a layer (any CRS), the index
(a preset or an expression; NDVI by default) per acquisition date, cloud-free, as a table: one row per point and
date. Points of one tile share the searches and the file bytes already fetched (the engine's caches)."""
from __future__ import annotations

from datetime import date
from typing import Any, Optional

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeature,
    QgsFeatureSink,
    QgsFields,
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingParameterDateTime,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterNumber,
    QgsProcessingParameters,
    QgsProcessingParameterString,
    QgsWkbTypes,
)

from stac_quicklook_plugin.gui.i18n import tr
from stac_quicklook_plugin.processing.algorithm import engine_sentence

HALF_VIEW_DEG = 0.01  # the search box around each point


def table_fields() -> QgsFields:
    """The output table's fields, declared as a memory layer's URI: the same on every QGIS (field types went from
    QVariant to QMetaType in 3.38)."""
    from qgis.core import QgsVectorLayer

    uri = ("None?field=point_id:string&field=date:string&field=value:double&field=cloudy:boolean"
           "&field=valid_fraction:double&field=items:string")
    return QgsVectorLayer(uri, "timeseries", "memory").fields()


class TimeseriesAlgorithm(QgsProcessingAlgorithm):
    POINTS = "POINTS"
    ID_FIELD = "ID_FIELD"
    STAC_API = "STAC_API"
    COLLECTION = "COLLECTION"
    START = "START"
    END = "END"
    CLOUD_COVER_MAX = "CLOUD_COVER_MAX"
    PRESET = "PRESET"
    EXPRESSION = "EXPRESSION"
    OUTPUT = "OUTPUT"

    def createInstance(self) -> TimeseriesAlgorithm:  # noqa: N802 (QGIS API)
        return TimeseriesAlgorithm()

    def name(self) -> str:
        return "timeseries"

    def displayName(self) -> str:  # noqa: N802 (QGIS API)
        return tr("Index time series at points")

    def shortHelpString(self) -> str:  # noqa: N802 (QGIS API)
        return tr("For each point, the index (PRESET or EXPRESSION; NDVI by default) per acquisition date, on "
                  "reflectance, at the pixel containing the point; a date where the scene classification says cloud "
                  "has no value and cloudy = true. One row per point and date: point id, date, value, cloudy, "
                  "valid fraction, items.")

    def tags(self) -> list[str]:
        return ["stac", "sentinel-2", "ndvi", "time series", "index", "cloud"]

    def initAlgorithm(self, config: Optional[dict[str, Any]] = None) -> None:  # noqa: N802 (QGIS API)
        from stac_quicklook_plugin.core.models import DEFAULT_COLLECTION, EARTH_SEARCH_V1

        self.addParameter(QgsProcessingParameterFeatureSource(
            self.POINTS, tr("Points"), [QgsProcessing.SourceType.TypeVectorPoint]))
        self.addParameter(QgsProcessingParameterField(
            self.ID_FIELD, tr("Point id field (empty: the feature id)"), None, self.POINTS, optional=True))
        self.addParameter(QgsProcessingParameterString(self.STAC_API, tr("STAC API"), EARTH_SEARCH_V1))
        self.addParameter(QgsProcessingParameterString(
            self.COLLECTION, tr("Collection (empty: the best available Sentinel-2 L2A; several: a,b)"),
            DEFAULT_COLLECTION, optional=True))
        for name, label in ((self.START, tr("Start date")), (self.END, tr("End date"))):
            self.addParameter(QgsProcessingParameterDateTime(name, label, QgsProcessingParameterDateTime.Type.Date,
                                                             optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.CLOUD_COVER_MAX, tr("Maximum scene cloud cover (%)"), QgsProcessingParameterNumber.Type.Double,
            100.0, minValue=0.0, maxValue=100.0))
        self.addParameter(QgsProcessingParameterString(
            self.PRESET, tr("Index (ndvi, ndwi, ndmi, nbr, evi)"), "ndvi", optional=True))
        self.addParameter(QgsProcessingParameterString(
            self.EXPRESSION, tr("Band math instead, e.g. (nir - red) / (nir + red)"), "", optional=True))
        self.addParameter(QgsProcessingParameterFeatureSink(
            self.OUTPUT, tr("Time series"), QgsProcessing.SourceType.TypeVector))

    def processAlgorithm(self, parameters: dict[str, Any], context: QgsProcessingContext,  # noqa: N802
                         feedback: QgsProcessingFeedback) -> dict[str, Any]:
        from stac_quicklook_plugin.core import errors
        from stac_quicklook_plugin.core.engine.timeseries import timeseries
        from stac_quicklook_plugin.core.models import QuicklookRequest
        from stac_quicklook_plugin.gui.network import qgis_connection

        source = self.parameterAsSource(parameters, self.POINTS, context)
        if source is None:
            raise QgsProcessingException(tr("The point layer could not be read."))
        id_field = self.parameterAsString(parameters, self.ID_FIELD, context)
        api_url = self.parameterAsString(parameters, self.STAC_API, context).strip()
        dates = self._dates(parameters, context)
        fields = table_fields()
        sink, dest = self.parameterAsSink(parameters, self.OUTPUT, context, fields, QgsWkbTypes.Type.NoGeometry,
                                          QgsCoordinateReferenceSystem())
        to_wgs84 = QgsCoordinateTransform(source.sourceCrs(), QgsCoordinateReferenceSystem("EPSG:4326"),
                                          context.transformContext())
        features = list(source.getFeatures())
        written = 0
        for index, feature in enumerate(features):
            if feedback.isCanceled():
                break
            geometry = feature.geometry()
            if geometry.isNull() or geometry.isEmpty():
                feedback.pushWarning(tr("Feature {fid} has no point: left out.").format(fid=feature.id()))
                continue
            point = to_wgs84.transform(geometry.centroid().asPoint())
            lon, lat = point.x(), point.y()
            point_id = str(feature[id_field]) if id_field else str(feature.id())
            request = QuicklookRequest(
                bbox_wgs84=(lon - HALF_VIEW_DEG, lat - HALF_VIEW_DEG, lon + HALF_VIEW_DEG, lat + HALF_VIEW_DEG),
                stac_api=api_url, collection=self.parameterAsString(parameters, self.COLLECTION, context).strip(),
                datetime_range=dates, cloud_cover_max=self.parameterAsDouble(parameters, self.CLOUD_COVER_MAX, context),
                preset=self.parameterAsString(parameters, self.PRESET, context).strip(),
                expression=self.parameterAsString(parameters, self.EXPRESSION, context).strip(),
                width=64, connection=qgis_connection(api_url))
            try:
                series = timeseries(request, point=(lon, lat), is_cancelled=feedback.isCanceled)
            except errors.Cancelled:
                break
            except errors.BadInput as exc:  # the same for every point (a preset, the dates): stop here
                raise QgsProcessingException(engine_sentence(exc)) from None
            except errors.QuicklookError as exc:
                feedback.pushWarning(f"{point_id}: {engine_sentence(exc)}")
                continue
            for entry in series.entries:
                row = QgsFeature(fields)
                row.setAttributes([point_id, entry.date, entry.value, entry.cloudy, entry.valid_fraction,
                                   ";".join(entry.items)])
                sink.addFeature(row, QgsFeatureSink.Flag.FastInsert)
                written += 1
            feedback.setProgress(100.0 * (index + 1) / max(1, len(features)))
        feedback.pushInfo(tr("{rows} row(s) for {points} point(s).").format(rows=written, points=len(features)))
        return {self.OUTPUT: dest}

    def _dates(self, parameters: dict[str, Any], context: QgsProcessingContext) -> Optional[str]:
        found = []
        for name in (self.START, self.END):
            value = parameters.get(name)
            if value is None or (isinstance(value, str) and not value.strip()):
                found.append(None)
                continue
            qdate = QgsProcessingParameters.parameterAsDate(self.parameterDefinition(name), parameters, context)
            if not qdate.isValid():
                raise QgsProcessingException(tr("{name} “{value}” is not a date; use YYYY-MM-DD.").format(
                    name=name, value=value))
            found.append(date(qdate.year(), qdate.month(), qdate.day()))
        start, end = found
        if not start and not end:
            return None
        return (f"{start.isoformat()}T00:00:00Z" if start else "..") + "/" + \
            (f"{end.isoformat()}T23:59:59Z" if end else "..")
