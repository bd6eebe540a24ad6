"""STAC Quicklook: QGIS loads the plugin through ``classFactory``; nothing else happens at import."""


def classFactory(iface):  # noqa: N802 (QGIS API)
    from stac_quicklook_plugin.plugin import StacQuicklookPlugin

    return StacQuicklookPlugin(iface)
