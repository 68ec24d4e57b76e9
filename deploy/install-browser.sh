#!/usr/bin/env bash
# Installs Debian's chromium (driven by Playwright in the browser tests) and a CJK font.
# Playwright's own browser download cannot work on this network; we point it at /usr/bin/chromium.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "install-browser: need root to apt-get install ${need[*]}; the browser test will be skipped" >&2
  [ "${CI:-}" = "true" ] && exit 1
  exit 0
fi
echo "install-browser: installing ${need[*]} from Debian"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${need[@]}" fontconfig >/dev/null
