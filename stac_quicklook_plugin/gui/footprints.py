"""The scenes searched for a view as a memory vector layer: id, date, scene cloud, view cloud, outlines only."""
from __future__ import annotations

import json
from typing import Iterable, Optional

from qgis.core import QgsFeature, QgsFillSymbol, QgsJsonUtils, QgsProject, QgsVectorLayer
from qgis.PyQt.QtCore import QDate

from stac_quicklook_plugin.gui.groups import quicklook_group
from stac_quicklook_plugin.gui.i18n import tr

FOOTPRINTS_PROPERTY = "stac_quicklook/footprints"
FIELDS = ("id", "date", "scene_cloud", "view_cloud")
OUTLINE = {"color": "0,0,0,0", "style": "no", "outline_color": "255,127,0,255", "outline_width": "0.6",
           "outline_style": "solid"}


def footprints_layer(footprints: Iterable, name: Optional[str] = None) -> QgsVectorLayer:
    """A memory layer (EPSG:4326) with one outlined polygon per footprint (``gui.survey.Footprint``)."""
    layer = QgsVectorLayer("MultiPolygon?crs=EPSG:4326&field=id:string(254)&field=date:date"
                           "&field=scene_cloud:double&field=view_cloud:double", name or tr("Scene footprints"),
                           "memory")
    features = []
    for footprint in footprints:
        geometry = _geometry(footprint.geometry, layer.fields())
        if geometry is None:
            continue
        feature = QgsFeature(layer.fields())
        feature.setGeometry(geometry)
        year, month, day = (int(part) for part in footprint.date.split("-"))
        feature.setAttributes([footprint.id, QDate(year, month, day), footprint.scene_cloud, footprint.view_cloud])
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    layer.updateExtents()
    layer.renderer().setSymbol(QgsFillSymbol.createSimple(OUTLINE))
    layer.setCustomProperty(FOOTPRINTS_PROPERTY, True)
    return layer


def _geometry(geojson: dict, fields) -> Optional[object]:
    """The GeoJSON geometry as a multi-polygon QgsGeometry, or None when QGIS cannot read it."""
    features = QgsJsonUtils.stringToFeatureList(json.dumps({"type": "Feature", "geometry": geojson,
                                                            "properties": {}}), fields)
    if not features or not features[0].hasGeometry():
        return None
    geometry = features[0].geometry()
    geometry.convertToMultiType()
    return geometry


def footprint_layers(project: Optional[QgsProject] = None) -> list[QgsVectorLayer]:
    project = project or QgsProject.instance()
    return [layer for layer in project.mapLayers().values() if layer.customProperty(FOOTPRINTS_PROPERTY)]


def show_footprints(footprints: Iterable, project: Optional[QgsProject] = None) -> QgsVectorLayer:
    """Replace the footprints layer in the quicklook group (on top, so the outlines stay visible)."""
    project = project or QgsProject.instance()
    remove_footprints(project)
    layer = footprints_layer(footprints)
    project.addMapLayer(layer, False)
    quicklook_group(project).insertLayer(0, layer)
    return layer


def remove_footprints(project: Optional[QgsProject] = None) -> None:
    project = project or QgsProject.instance()
    for layer in footprint_layers(project):
        project.removeMapLayer(layer.id())
