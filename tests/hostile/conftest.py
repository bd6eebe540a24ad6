"""The plugin cases of the hostile suite need the QGIS fixtures of tests/qgis (conftest fixtures are only visible
below their folder); the hostile STAC API itself is in tests/harness/fixtures.py."""
from tests.qgis.conftest import clean_settings, messages, plugin, web_iface  # noqa: F401
