#!/usr/bin/env bash
# Installs everything lampung-geo needs on Debian/Ubuntu: apt packages (PostgreSQL 15,
# PostGIS 3, pgRouting, and chromium with --with-browser), a virtualenv in .venv and the
# Python packages from pyproject.toml. Safe to re-run: it skips what is already there.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

with_browser=0
for arg in "$@"; do
  case "$arg" in
    --with-browser) with_browser=1 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

apt_pkgs=(postgresql-15 postgresql-15-postgis-3 postgresql-15-pgrouting python3-venv)
[ "$with_browser" = 1 ] && apt_pkgs+=(chromium fonts-dejavu-core)

missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "== apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    echo "== sudo apt-get install ${missing[*]}"
    sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup.sh: these Debian packages are missing and I cannot install them without root:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

py="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv with $("$py" --version)"
  "$py" -m venv .venv
fi
stamp=.venv/.lampung-geo-installed
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "== pip install -e .[dev]"
  log=.venv/pip-install.log
  if ! .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]' >"$log" 2>&1; then
    grep -vE '^WARNING: Location' "$log" >&2
    echo "setup.sh: pip install failed (full log: $log)" >&2
    exit 1
  fi
  echo "$want" > "$stamp"
fi
