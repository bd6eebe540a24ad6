"""The masks wing: one adapter per kind of cloud mask a collection carries (Sentinel-2's scene classification
today), turning classes into data/cloudy pixels."""
