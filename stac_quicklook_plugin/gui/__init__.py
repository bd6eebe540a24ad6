"""The QGIS side of the plugin, kept thin: dock, task, layer, settings."""
