"""The raster wing: the output grid and overview choice, the read backends (rasterio or osgeo.gdal) behind one
interface, the engine's own byte-range reads of COGs (``ranges``, ``tiff_index``, ``sparse``), GDAL options
and read errors."""
