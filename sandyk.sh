#!/usr/bin/env bash
# Sandyk's two commands:
#   ./sandyk.sh serve   set up everything (system packages, virtualenv, data folder) and serve the app
#   ./sandyk.sh test    set up everything the tests need and run the whole suite
# Extra arguments go to the server (`--port 9000`) or to pytest (`-m "not browser"`).
set -euo pipefail
cd "$(dirname "$0")"

VENV="${SANDYK_VENV:-.venv}"
PYTHON="${PYTHON:-python3}"
SERVE_PACKAGES=(libmagic1 tesseract-ocr tesseract-ocr-kir tesseract-ocr-rus tesseract-ocr-eng catdoc)
# The text-fidelity benchmark (and its smoke test) builds its corpus with LibreOffice and measures it
# against poppler, with fonts that have the Kyrgyz letters and one that lacks some.
TEST_PACKAGES=("${SERVE_PACKAGES[@]}" chromium fonts-dejavu-core poppler-utils libreoffice-writer-nogui
               fonts-liberation2 fonts-noto-core fonts-dejavu-extra)

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

system_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    say "Please install these system packages: ${missing[*]}"
    return 0
  fi
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "Installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

virtualenv() {
  local extras="$1"
  [ -x "$VENV/bin/python" ] || { say "Creating the virtualenv in $VENV"; "$PYTHON" -m venv "$VENV"; }
  local stamp="$VENV/.sandyk-installed-$extras"
  local want
  want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "Installing Sandyk and its Python dependencies"
    "$VENV/bin/pip" install -q --upgrade pip >/dev/null
    if [ "$extras" = "test" ]; then
      "$VENV/bin/pip" install -q -e ".[test]"
    else
      "$VENV/bin/pip" install -q -e .
    fi
    echo "$want" > "$stamp"
  fi
}

case "${1:-}" in
  serve)
    shift
    system_packages "${SERVE_PACKAGES[@]}"
    virtualenv base
    say "Starting Sandyk (data folder: ${SANDYK_DATA_DIR:-./data})"
    exec "$VENV/bin/flask" --app app serve "$@"
    ;;
  test)
    shift
    system_packages "${TEST_PACKAGES[@]}"
    virtualenv test
    say "Running the test suite (SQLite and PostgreSQL, browser tests in Chromium)"
    # Three test processes (pytest-xdist): many tests wait on servers, browsers and tesseract, so a
    # third process keeps both cores busy. SANDYK_TEST_WORKERS=0 runs in one process.
    exec "$VENV/bin/pytest" -n "${SANDYK_TEST_WORKERS:-3}" "$@"
    ;;
  *)
    echo "usage: $0 serve [--host H] [--port P] | test [pytest arguments]" >&2
    exit 2
    ;;
esac
