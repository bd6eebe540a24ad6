"""The plugin's Processing provider ``stac_quicklook``: the quicklook as an algorithm for the Toolbox, batch
mode, models, ``processing.run`` and ``qgis_process``."""
