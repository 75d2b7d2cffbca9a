#!/usr/bin/env bash
# Installs the Debian packages listed in scripts/system-packages.txt (or the list given) that are missing
# (fonts for the renderer, Chromium for browser tests). Needs root; otherwise it says what to run.
set -euo pipefail
list="${1:-$(dirname "$0")/system-packages.txt}"  # another list (the test packages) as $1
[ -f "$list" ] || exit 0
missing=()
while read -r pkg _; do
  case "$pkg" in ''|'#'*) continue ;; esac
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done < "$list"
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages: ${missing[*]}"
  echo "Install them with: sudo apt-get install -y ${missing[*]}"
  exit 1
fi
echo "Installing system packages: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
