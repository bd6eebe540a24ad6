#!/usr/bin/env bash
# Idempotent set-up: the Debian packages in scripts/debian-packages.txt (QGIS and friends), then a
# venv ($VENV, default .venv) with the pinned test requirements. Quick when everything is there.
# Works on Debian 12 (QGIS 3.22, Python 3.11) and Debian 13 (QGIS 3.40/3.44, Python 3.13).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
REQ=requirements-test.txt
mapfile -t DEB_PACKAGES < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' scripts/debian-packages.txt)

missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: run:  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

# The venv must be made by the Python QGIS binds to (Debian's /usr/bin/python3). One made by another
# Python (a Debian 12 -> 13 upgrade, a cached CI folder, a copied checkout) is rebuilt, not kept.
py_version=$(/usr/bin/python3 -c 'import platform; print(platform.python_version())')
py_home=$(dirname "$(/usr/bin/python3 -c 'import sys; print(sys.executable)')")
venv_matches() {
  local cfg="$VENV/pyvenv.cfg" home version
  [ -f "$cfg" ] && [ -x "$VENV/bin/python" ] || return 1
  home=$(sed -n 's/^home *= *//p' "$cfg")
  version=$(sed -n -E 's/^version(_info)? *= *//p' "$cfg" | head -1)
  [ "$home" = "$py_home" ] && [ "$version" = "$py_version" ] && "$VENV/bin/python" -c '' 2>/dev/null || {
    echo "setup: $VENV was made by Python ${version:-?} in ${home:-?}, not $py_version in $py_home: rebuilding it"
    return 1
  }
}

stamp="$VENV/.requirements.sha"
want=$(sha256sum "$REQ" | cut -d' ' -f1)
if ! venv_matches || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: creating $VENV from /usr/bin/python3 $py_version (Debian's Python, the one QGIS binds to)"
  /usr/bin/python3 -m venv --clear --system-site-packages "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$REQ"
  echo "$want" > "$stamp"
fi
