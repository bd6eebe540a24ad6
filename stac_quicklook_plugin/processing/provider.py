"""The ``stac_quicklook`` Processing provider: a quicklook of an extent and an index time series at points,
registered and removed with the plugin."""
from __future__ import annotations

from qgis.core import QgsApplication, QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from stac_quicklook_plugin.gui.i18n import tr
from stac_quicklook_plugin.processing.algorithm import QuicklookAlgorithm
from stac_quicklook_plugin.processing.timeseries_algorithm import TimeseriesAlgorithm

PROVIDER_ID = "stac_quicklook"


class QuicklookProvider(QgsProcessingProvider):
    def __init__(self, icon_path: str = ""):
        super().__init__()
        self._icon_path = icon_path

    def id(self) -> str:
        return PROVIDER_ID

    def name(self) -> str:
        return tr("STAC Quicklook")

    def longName(self) -> str:  # noqa: N802 (QGIS API)
        return self.name()

    def icon(self) -> QIcon:
        return QIcon(self._icon_path) if self._icon_path else super().icon()

    def loadAlgorithms(self) -> None:  # noqa: N802 (QGIS API)
        self.addAlgorithm(QuicklookAlgorithm())
        self.addAlgorithm(TimeseriesAlgorithm())


def register(icon_path: str = "") -> QuicklookProvider:
    """Add a new provider to QGIS's processing registry and return it (to pass to ``unregister``)."""
    provider = QuicklookProvider(icon_path)
    QgsApplication.processingRegistry().addProvider(provider)
    return provider


def unregister(provider: QuicklookProvider) -> None:
    try:
        QgsApplication.processingRegistry().removeProvider(provider)
    except RuntimeError:  # the registry (or the provider's C++ object) is already gone at QGIS exit
        pass
