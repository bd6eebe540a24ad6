"""The plugin cases of the fault suite need the QGIS fixtures of tests/qgis (conftest fixtures are only visible
below their folder); the servers and secrets they share with the other suites are in tests/harness/fixtures.py."""
from tests.qgis.conftest import clean_settings, messages, plugin, stac_server_slow_cogs, web_iface  # noqa: F401
