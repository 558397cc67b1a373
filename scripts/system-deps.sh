#!/usr/bin/env bash
# Installs the system libraries make-report needs, where this machine lets us
# (Debian/Ubuntu with root or sudo); otherwise says exactly what to install.
#   Pango + HarfBuzz subset: WeasyPrint's text layout and fast font subsetting
#   (without libharfbuzz-subset0 WeasyPrint falls back to fontTools: ~3x slower)
#   Java: epubcheck, which the tests run on the EPUB
#   poppler-utils, qpdf: pdftoppm/pdftotext/pdffonts and `qpdf --check` for looking at PDFs
#   fonts-noto-cjk: the Chinese, Japanese and Korean font (NotoSansCJK-{Regular,Bold}.ttc,
#   about 20 MB each, too large to bundle), used by its exact path (pipeline/assets.py)
#   chromium: the headless browser tests/test_serve.py drives to check `make-report serve`
set -euo pipefail

debian_packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig poppler-utils qpdf fonts-noto-cjk chromium)
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for package in "${debian_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
  if [ ${#missing[@]} -eq 0 ]; then
    exit 0
  fi
  if [ "$(id -u)" -eq 0 ]; then
    apt=(apt-get)
  elif command -v sudo >/dev/null 2>&1; then
    apt=(sudo apt-get)
  else
    echo "error: missing system packages: ${missing[*]}" >&2
    echo "       install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "installing system packages: ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi

cat >&2 <<'MSG'
warning: not a Debian-based system, so system libraries were not checked. Install:
  Fedora:  sudo dnf install pango harfbuzz fontconfig poppler-utils qpdf java-17-openjdk-headless
  Alpine:  sudo apk add pango harfbuzz-subset fontconfig poppler-utils qpdf openjdk17-jre-headless
  macOS:   brew install pango harfbuzz poppler qpdf openjdk
MSG
