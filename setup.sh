#!/usr/bin/env bash
# Smart City Twin: set everything up on a fresh Debian/Ubuntu machine, then run the app or the tests.
#
#   ./setup.sh app [PROJECT]   system packages + venv + install, then open the app (the demo city by default)
#   ./setup.sh test [ARGS]     system packages + venv + install, then run the whole test suite (pytest ARGS)
#   ./setup.sh install         only set up
#
# Safe to run again: it installs only what is missing. Needs root or sudo for the system packages.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT=$(pwd)
VENV="${TWIN_VENV:-$ROOT/.venv}"

# Qt (xcb) + VTK (EGL/Mesa) under Xvfb, fonts with Hangul glyphs (see docs/stack.md)
SYSTEM_PACKAGES="xvfb xauth libgl1 libegl1 libgl1-mesa-dri libegl-mesa0 libglx-mesa0 libfontconfig1 libfreetype6
 fonts-dejavu-core fonts-noto-cjk libdbus-1-3 libx11-xcb1 libxcb1 libxcb-cursor0 libxcb-glx0 libxcb-icccm4
 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render0 libxcb-render-util0 libxcb-shape0 libxcb-shm0
 libxcb-sync1 libxcb-util1 libxcb-xfixes0 libxcb-xkb1 libxkbcommon0 libxkbcommon-x11-0 libxrender1 libxext6"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else say "need root (or sudo) to run: $*"; exit 1; fi
}

install_system_packages() {
  local missing=() pkg
  for pkg in $SYSTEM_PACKAGES "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing system packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

find_python() {
  local candidate
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      command -v "$candidate"; return 0
    fi
  done
  return 1
}

setup_python() {
  local extras=$1 python
  if ! python=$(find_python); then
    say "Python 3.11 not found: installing it from the distribution"
    install_system_packages python3.11 python3.11-venv python3.11-dev || {
      say "this distribution has no python3.11 package; install Python 3.11 and run again"; exit 1; }
    python=$(find_python)
  fi
  if ! "$python" -c 'import venv, ensurepip' 2>/dev/null; then
    install_system_packages python3.11-venv
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating the virtual environment in $VENV"
    "$python" -m venv "$VENV"
  fi
  local stamp="$VENV/.twin-installed" want
  want=$( (echo "$extras"; cat pyproject.toml setup.py $(ls examples/*/pyproject.toml 2>/dev/null)) | sha256sum | cut -c1-16)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "installing Smart City Twin and its pinned stack (pyproject.toml)"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e ".[$extras]"
    for example in examples/*/; do
      [ -f "$example/pyproject.toml" ] && "$VENV/bin/python" -m pip install -q -e "$example"
    done
    echo "$want" > "$stamp"
  fi
}

# CesiumJS, playwright-core and gltf-validator for the 3D Tiles browser test (tests/web/package.json,
# docs/export.md): installed into the git-ignored tests/web/node_modules when the lock file changed
setup_web_tests() {
  local stamp="tests/web/node_modules/.twin-installed" want
  want=$(sha256sum tests/web/package-lock.json | cut -c1-16)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "installing the browser test tools (npm ci in tests/web)"
    (cd tests/web && npm ci --no-audit --no-fund --loglevel=error) && echo "$want" > "$stamp"
  fi
}

cmd=${1:-app}
[ $# -gt 0 ] && shift
case "$cmd" in
  install)
    install_system_packages; setup_python test ;;
  app)
    install_system_packages; setup_python test
    if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
      say "no display: running the app under Xvfb and saving a screenshot to twin-demo.png"
      exec xvfb-run -a -s "-screen 0 1600x1000x24" "$VENV/bin/python" main.py "$@" --screenshot twin-demo.png
    fi
    exec "$VENV/bin/python" main.py "$@" ;;
  test)
    # the real SUMO (eclipse-sumo, ~500 MB) lets the tests generate FCD from the Seoul network
    install_system_packages chromium $(command -v npm >/dev/null || echo nodejs npm); setup_python test,sumo
    setup_web_tests
    say "running the test suite"
    exec "$VENV/bin/python" -m pytest "$@" ;;
  *)
    echo "usage: ./setup.sh app [PROJECT] | test [PYTEST ARGS] | install" >&2; exit 2 ;;
esac
