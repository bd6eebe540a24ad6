# STAC Quicklook for QGIS
# make test         set up (Debian packages, .venv), lint, and run the whole test suite on this host's QGIS
# make lint         ruff, mypy --strict on core/ and the engine's import layers
# make test-matrix  the same suite in Debian 13 roots: QGIS 3.40 (trixie), 3.44 LTR (trixie-backports)
# make demo    run a real QGIS on a local demo catalog, click the button, save a screenshot
# make bench   benchmarks against the seed approach, rio-tiler and the physical floor
# make package dist/stac_quicklook_plugin-<version>.zip
# make deploy  install the plugin into a QGIS profile (QGIS_PROFILE_DIR to override)

SHELL := /bin/bash
VENV ?= .venv
export VENV
PY := $(VENV)/bin/python
PLUGIN := stac_quicklook_plugin
VERSION := $(shell sed -n 's/^version=//p' metadata.txt)
QGIS_PROFILE_DIR ?= $(HOME)/.local/share/QGIS/QGIS3/profiles/default

.PHONY: setup testdata lint test test-matrix test-clone demo bench profile package deploy clean

setup:
	@scripts/setup.sh

# Generated Sentinel-2-like test data, cached in .cache/testdata (about 2.5 min the first time).
testdata: setup
	@$(PY) -m tests.harness.datagen --size small >/dev/null
	@$(PY) -m tests.harness.datagen --size full >/dev/null

# The whole suite, then (unless PYTEST_ARGS picks tests) the QGIS tests again with rasterio hidden, as in a
# stock Windows or macOS QGIS: the plugin must read through osgeo.gdal with nothing to install.
# ruff (pyproject.toml) over the tree, mypy --strict on core/, and the engine's wings: imports only downward,
# no cycle.
lint: setup
	$(PY) -m ruff check --quiet .
	$(PY) -m mypy
	$(PY) scripts/import_graph.py --check

# The lint is a property of the code, not of the QGIS it runs on: make test-matrix passes TEST_LINT= (none).
TEST_LINT ?= lint
test: setup testdata $(TEST_LINT)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(PYTEST_ARGS)
	@if [ -z "$(PYTEST_ARGS)" ]; then \
	  echo "== QGIS tests with rasterio hidden (tests/hide_rasterio)"; \
	  QT_QPA_PLATFORM=offscreen PYTHONPATH=tests/hide_rasterio STAC_QL_EXPECT_RASTERIO_HIDDEN=1 $(PY) -m pytest -m "not slow" \
	    tests/qgis; fi

# debootstrap roots in .cache/roots (built once, reused), the test data shared with the host.
# MATRIX_ROOTS="trixie" to run one.
test-matrix: testdata
	@scripts/matrix.sh

# A fresh clone of HEAD in a temporary folder with no siblings runs a quick subset (self-containment).
test-clone: setup
	@scripts/clone_check.sh

demo: setup
	$(PY) -m demo.run_demo

bench: setup
	$(PY) -m benchmarks.run

# Where the engine's CPU goes per stage at 0 ms, cold and warm (py-spy, installed into .venv-bench).
profile: setup
	$(PY) -m benchmarks.profile

# The ZIP for the QGIS plugin repository: the package, metadata.txt, LICENSE, the icon and the translations
# compiled with lrelease (Debian: qttools5-dev-tools); then checked as the repository checks an upload.
LRELEASE ?= $(shell command -v lrelease || command -v lrelease-qt5 || echo /usr/lib/qt5/bin/lrelease)
package:
	@rm -rf build/package && mkdir -p build/package dist
	@cp -r $(PLUGIN) build/package/
	@cp metadata.txt LICENSE build/package/$(PLUGIN)/
	@mkdir -p build/package/$(PLUGIN)/resources && cp resources/icon.svg build/package/$(PLUGIN)/resources/
	@find build/package -name '__pycache__' -prune -exec rm -rf {} +
	@find build/package \( -name '*.pyc' -o -name '*.pyo' -o -name '*.qm' \) -delete
	@test -x "$(LRELEASE)" || { echo "make package: lrelease not found (Debian: apt install qttools5-dev-tools)" >&2; exit 1; }
	@for ts in build/package/$(PLUGIN)/i18n/*.ts; do \
	  "$(LRELEASE)" -silent "$$ts" -qm "$${ts%.ts}.qm" || exit 1; rm "$$ts"; done
	@cd build/package && rm -f ../../dist/$(PLUGIN)-$(VERSION).zip && \
	  /usr/bin/python3 -c "import shutil; shutil.make_archive('../../dist/$(PLUGIN)-$(VERSION)', 'zip', '.', '$(PLUGIN)')"
	@/usr/bin/python3 scripts/validate_package.py dist/$(PLUGIN)-$(VERSION).zip --version $(VERSION) \
	  --require LICENSE --require i18n/stac_quicklook_fr.qm || { rm -f dist/$(PLUGIN)-$(VERSION).zip; exit 1; }
	@echo "built dist/$(PLUGIN)-$(VERSION).zip"

deploy: package
	@mkdir -p "$(QGIS_PROFILE_DIR)/python/plugins"
	@rm -rf "$(QGIS_PROFILE_DIR)/python/plugins/$(PLUGIN)"
	@cd "$(QGIS_PROFILE_DIR)/python/plugins" && /usr/bin/python3 -m zipfile -e "$(CURDIR)/dist/$(PLUGIN)-$(VERSION).zip" .
	@echo "installed into $(QGIS_PROFILE_DIR)/python/plugins/$(PLUGIN)"

clean:
	rm -rf build dist .pytest_cache .cache
