"""Bands: what an asset's bands are (common names, scale/offset, nodata) as STAC 1.0 or 1.1 describes
them, and their values as reflectance."""
