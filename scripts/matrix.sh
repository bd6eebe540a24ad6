#!/usr/bin/env bash
# make test-matrix: the whole suite, the real-window end-to-end click included, on the other QGIS
# versions Debian ships, each in a debootstrap root under .cache/roots/:
#   trixie            Debian 13: QGIS 3.40, GDAL 3.10, Python 3.13
#   trixie-backports  Debian 13 + trixie-backports (qgis* pinned there): QGIS 3.44 LTR
# A root is built once (stamp: the recipe below + scripts/debian-packages.txt) and reused. Each run
# chroots into it with /proc, /sys, /dev and the repository bind-mounted at the same path (so the test
# data in .cache/testdata is shared, not copied), runs `make test` there with VENV=.cache/venv-<root>
# (the host's .venv is left alone) and unmounts everything on exit, failure or Ctrl-C included.
# Usage: scripts/matrix.sh [root...]   (default: MATRIX_ROOTS or both). Needs root and debootstrap.
#        scripts/matrix.sh --exec <root> <command...>   one command in a built root, from the repository
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd -P)
ROOTS_DIR=$REPO/.cache/roots
LOG_DIR=$REPO/.cache/matrix
SUITE=trixie
RECIPE_VERSION=2   # bump to force a rebuild of every root
E2E_TEST="tests/qgis/test_demo_e2e.py::test_real_qgis_click_adds_layer_and_screenshot_is_not_blank"
read -r -a ROOTS <<< "${*:-${MATRIX_ROOTS:-trixie trixie-backports}}"

die() { echo "matrix: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mount)"
command -v debootstrap >/dev/null || {
  echo "matrix: installing debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; }
}

# ------------------------------------------------------------------ the host's Debian mirror
# "URI suite" for every source the host's apt uses (deb822 .sources and one-line .list files).
host_sources() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*; do
    [ -f "$f" ] || continue
    case $f in
      *.sources) awk 'BEGIN{RS=""; FS="\n"} {u=""; s=""; for(i=1;i<=NF;i++){
                    if($i ~ /^URIs:/){sub(/^URIs:[ \t]*/,"",$i); u=$i}
                    if($i ~ /^Suites:/){sub(/^Suites:[ \t]*/,"",$i); s=$i}}
                  n=split(u,us," "); m=split(s,ss," ");
                  for(a=1;a<=n;a++) for(b=1;b<=m;b++) print us[a], ss[b]}' "$f" ;;
      *.list|*/sources.list) sed -E -n 's/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+)[[:space:]]+([^[:space:]]+).*/\2 \3/p' "$f" ;;
    esac
  done
}
host_codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
MIRROR=$(host_sources | awk -v c="$host_codename" '$2==c {print $1; exit}')
SECURITY=$(host_sources | awk -v c="$host_codename-security" '$2==c {print $1; exit}')
MIRROR=${MATRIX_MIRROR:-${MIRROR:-http://deb.debian.org/debian}}
SECURITY=${SECURITY:-http://deb.debian.org/debian-security}
MIRROR=${MIRROR%/}; SECURITY=${SECURITY%/}

# ------------------------------------------------------------------ recipes
suites_for() {  # apt suites of a root
  case $1 in
    trixie) echo "$SUITE $SUITE-updates" ;;
    trixie-backports) echo "$SUITE $SUITE-updates $SUITE-backports" ;;
    *) die "unknown root '$1' (known: trixie, trixie-backports)" ;;
  esac
}
pin_for() {  # apt preferences of a root: QGIS from backports, everything else from trixie
  [ "$1" = trixie-backports ] || return 0
  printf 'Package: qgis* libqgis* python3-qgis*\nPin: release n=%s-backports\nPin-Priority: 990\n' "$SUITE"
}
recipe_sha() {
  { echo "v$RECIPE_VERSION $SUITE $MIRROR $SECURITY $(suites_for "$1")"; pin_for "$1"
    sed -e 's/#.*//' -e '/^[[:space:]]*$/d' scripts/debian-packages.txt; } | sha256sum | cut -d' ' -f1
}

# ------------------------------------------------------------------ mounts (always undone)
MOUNTED=()       # mount points in the order they were made
ACTIVE_ROOT=""
mount_in() {     # mount_in <root-relative target> <mount args...>
  local target=$ACTIVE_ROOT$1; shift
  mkdir -p "$target"
  mount "$@" "$target"
  MOUNTED+=("$target")
}
kill_root_processes() {  # processes whose / is this root: the test servers, Xvfb, QGIS we started
  local pid sig
  for sig in TERM KILL; do
    for pid in /proc/[0-9]*; do
      [ "$(readlink "$pid/root" 2>/dev/null)" = "$ACTIVE_ROOT" ] && kill -s "$sig" "${pid#/proc/}" 2>/dev/null || true
    done
    [ $sig = KILL ] || sleep 1
  done
  return 0
}
unmount_all() {
  [ -n "$ACTIVE_ROOT" ] || return 0
  kill_root_processes
  local i target
  for ((i=${#MOUNTED[@]}-1; i>=0; i--)); do
    target=${MOUNTED[i]}
    mountpoint -q "$target" && { umount -R "$target" 2>/dev/null || umount -R -l "$target"; }
  done
  MOUNTED=()
  if findmnt -rn -o TARGET | grep "^$ACTIVE_ROOT/" >/dev/null; then
    echo "matrix: WARNING: still mounted under $ACTIVE_ROOT:" >&2
    findmnt -rn -o TARGET | grep "^$ACTIVE_ROOT/" >&2
  fi
  ACTIVE_ROOT=""
}
trap unmount_all EXIT
trap 'exit 130' INT TERM

enter() {  # enter <root dir>: the mounts a run needs
  local root=$1 debs=$REPO/.cache/debs/$SUITE
  ACTIVE_ROOT=$root
  mkdir -p "$debs/partial"
  mount_in /proc -t proc proc
  mount_in /sys --rbind /sys;  mount --make-rslave "$root/sys"
  mount_in /dev --rbind /dev;  mount --make-rslave "$root/dev"
  mount_in "$REPO" --bind "$REPO"
  # the roots themselves are not visible inside a root (no root-in-root walk, no accidental rm)
  mount_in "$REPO/.cache/roots" -t tmpfs -o ro,size=64k,mode=0755 none
  # Debian packages downloaded once for both trixie roots
  mount_in /var/cache/apt/archives --bind "$debs"
  cp -L /etc/resolv.conf "$root/etc/resolv.conf"
}
in_root() {  # in_root <root dir> <command...>: a clean environment, the root's own CA bundle for pip
  local root=$1; shift
  env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
      TERM=dumb DEBIAN_FRONTEND=noninteractive PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
      PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_DEFAULT_TIMEOUT=180 PIP_CACHE_DIR="$REPO/.cache/pip" \
      chroot "$root" "$@"
}
remove_root_dir() {  # never follow a mount out of the root (the repository is bind-mounted in it)
  local dir=$1
  [ -e "$dir" ] || return 0
  findmnt -rn -o TARGET | grep "^$dir\(/\|$\)" >/dev/null && die "refusing to delete $dir: something is mounted in it"
  rm -rf --one-file-system "$dir"
}

# ------------------------------------------------------------------ build
build_root() {
  local name=$1 root=$ROOTS_DIR/$1 tmp=$ROOTS_DIR/.$1.building started policy
  started=$(date +%s)
  echo "matrix: building root $name ($(suites_for "$name") from $MIRROR)"
  remove_root_dir "$tmp"; remove_root_dir "$root"
  mkdir -p "$ROOTS_DIR" "$REPO/.cache/debs/$SUITE/partial"
  debootstrap --variant=minbase --include=ca-certificates --cache-dir="$REPO/.cache/debs/$SUITE" \
    "$SUITE" "$tmp" "$MIRROR" > "$LOG_DIR/$name.build.log" 2>&1 \
    || { tail -20 "$LOG_DIR/$name.build.log" >&2; die "debootstrap $name failed (log: $LOG_DIR/$name.build.log)"; }
  rm -f "$tmp/etc/apt/sources.list"
  cat > "$tmp/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $(suites_for "$name")
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  pin_for "$name" > "$tmp/etc/apt/preferences.d/qgis-backports.pref"
  [ -s "$tmp/etc/apt/preferences.d/qgis-backports.pref" ] || rm "$tmp/etc/apt/preferences.d/qgis-backports.pref"
  # Trust what the host trusts (a TLS-inspecting proxy's CA included), or pip fails with
  # CERTIFICATE_VERIFY_FAILED: the local CAs go in and the bundle is rebuilt, then the host's
  # /etc/ssl/certs is laid over it.
  cp -a /usr/local/share/ca-certificates/. "$tmp/usr/local/share/ca-certificates/" 2>/dev/null || true
  in_root "$tmp" update-ca-certificates >/dev/null 2>&1 || true
  cp -rL --remove-destination /etc/ssl/certs/. "$tmp/etc/ssl/certs/" 2>/dev/null || true
  [ -f "$tmp/etc/hosts" ] || cp /etc/hosts "$tmp/etc/hosts"
  # a throwaway root: no fsync per file, no docs or man pages (faster to build, smaller)
  printf '%s\n' force-unsafe-io 'path-exclude=/usr/share/doc/*' 'path-exclude=/usr/share/man/*' \
    'path-exclude=/usr/share/info/*' > "$tmp/etc/dpkg/dpkg.cfg.d/matrix"
  enter "$tmp"
  in_root "$tmp" apt-get update -qq >> "$LOG_DIR/$name.build.log" 2>&1
  if [ "$name" = trixie-backports ]; then
    policy=$(in_root "$tmp" apt-cache policy qgis python3-qgis)
    echo "$policy" >> "$LOG_DIR/$name.build.log"
    [ "$(grep -c 'Candidate:.*~bpo' <<< "$policy")" = 2 ] || die "$name: qgis is not selected from backports: $policy"
  fi
  # the same set-up a developer runs: Debian packages from scripts/debian-packages.txt, then the venv
  in_root "$tmp" bash -c "cd '$REPO' && VENV=.cache/venv-$name scripts/setup.sh" >> "$LOG_DIR/$name.build.log" 2>&1 \
    || { tail -20 "$LOG_DIR/$name.build.log" >&2; die "setup in $name failed (log: $LOG_DIR/$name.build.log)"; }
  unmount_all
  mv "$tmp" "$root"
  recipe_sha "$name" > "$root/.matrix-stamp"
  printf 'built=%s build_seconds=%s disk=%s\n' "$(date -u +%FT%TZ)" "$(( $(date +%s) - started ))" \
    "$(du -sxh "$root" | cut -f1)" > "$ROOTS_DIR/$name.info"
  echo "matrix: root $name built in $(( $(date +%s) - started )) s, $(du -sxh "$root" | cut -f1) on disk"
}

# ------------------------------------------------------------------ run
versions_py='import platform, rasterio
from osgeo import gdal
from qgis.core import Qgis
print(f"QGIS {Qgis.QGIS_VERSION}, GDAL {gdal.__version__}, Python {platform.python_version()}, rasterio {rasterio.__version__}")'

run_root() {
  local name=$1 root=$ROOTS_DIR/$1 started rc=0 versions summary log=$LOG_DIR/$1.log
  started=$(date +%s)
  enter "$root"
  versions=$(in_root "$root" env QT_QPA_PLATFORM=offscreen /usr/bin/python3 -c "$versions_py" 2>/dev/null | tail -1)
  echo "matrix: $name: $versions"
  # make test as on a host (both of its pytest passes). PYTEST_ADDOPTS, not PYTEST_ARGS, so that make
  # test runs everything; -rA lists every passed test in the log (the console gets the rest).
  in_root "$root" env PYTEST_ADDOPTS="-p no:cacheprovider -rA ${MATRIX_PYTEST_ARGS:-}" \
      bash -c "cd '$REPO' && make test VENV=.cache/venv-$name TEST_LINT=" 2>&1 | tee "$log" | grep -v '^PASSED ' || rc=$?
  unmount_all
  summary=$(grep -E '^=+ .*(passed|failed|error).* in [0-9.]+s' "$log" | tr -d '=' | sed 's/^ *//; s/ *$//' \
            | paste -sd ';' | sed 's/;/ ; /g')
  # The end-to-end click must have run and passed, not been skipped (no qgis or xvfb-run in the root).
  if [ -z "${MATRIX_PYTEST_ARGS:-}" ] && ! grep -q "^PASSED $E2E_TEST" "$log"; then
    if [ -z "$summary" ]; then
      echo "matrix: $name: pytest ended without its summary (a crash? see $log), so the end-to-end click is unconfirmed"
    else
      echo "matrix: $name: the end-to-end click did not pass ($E2E_TEST)"
    fi
    [ $rc -ne 0 ] || rc=1
  fi
  RESULTS+=("$(printf '%-16s %s  %s | %s | %ss' "$name" "$([ $rc = 0 ] && echo PASS || echo FAIL)" \
    "$versions" "${summary:-no pytest summary: crashed? $(grep -m1 -E "Fatal Python error|Segmentation fault|Killed" "$log" || true)}" "$(( $(date +%s) - started ))")")
  return $rc
}

mkdir -p "$LOG_DIR" "$ROOTS_DIR"
exec 9> "$LOG_DIR/.lock"
flock -n 9 || die "another matrix run holds $LOG_DIR/.lock"
RESULTS=()
status=0
if [ "${ROOTS[0]}" = --exec ]; then  # scripts/matrix.sh --exec <root> <command...>: run one command there
  [ ${#ROOTS[@]} -ge 3 ] && [ -d "$ROOTS_DIR/${ROOTS[1]}" ] || die "usage: $0 --exec <built root> <command...>"
  enter "$ROOTS_DIR/${ROOTS[1]}"
  in_root "$ROOTS_DIR/${ROOTS[1]}" bash -c "cd '$REPO' && ${ROOTS[*]:2}" || status=$?
  exit $status
fi
for name in "${ROOTS[@]}"; do
  suites_for "$name" >/dev/null
  if [ "$(cat "$ROOTS_DIR/$name/.matrix-stamp" 2>/dev/null)" != "$(recipe_sha "$name")" ]; then
    build_root "$name"
  else
    echo "matrix: reusing root $name ($(cat "$ROOTS_DIR/$name.info" 2>/dev/null))"
  fi
  run_root "$name" || status=1
done
echo
echo "matrix summary (logs in .cache/matrix/):"
printf '  %s\n' "${RESULTS[@]}"
exit $status
