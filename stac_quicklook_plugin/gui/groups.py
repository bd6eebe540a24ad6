"""Where the plugin's layers go in the layer tree: the "STAC Quicklooks" group and its sub-groups."""
from __future__ import annotations

from typing import Optional

from qgis.core import QgsLayerTreeGroup, QgsProject

from stac_quicklook_plugin.gui.i18n import tr
from stac_quicklook_plugin.gui.layer import GROUP_NAME


def quicklook_group(project: Optional[QgsProject] = None) -> QgsLayerTreeGroup:
    """The "STAC Quicklooks" group, made at the top of the tree if missing."""
    root = (project or QgsProject.instance()).layerTreeRoot()
    group = root.findGroup(tr(GROUP_NAME))
    return group if group is not None else root.insertGroup(0, tr(GROUP_NAME))


def new_subgroup(name: str, project: Optional[QgsProject] = None) -> QgsLayerTreeGroup:
    """A new sub-group on top of the quicklook group (a second series of the same range gets its own)."""
    return quicklook_group(project).insertGroup(0, name)
