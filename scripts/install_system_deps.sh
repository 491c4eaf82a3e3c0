#!/usr/bin/env bash
# Install optional system packages with apt-get when possible, each on its own:
#   python3-grammalecte  the French grammar checker (GPL-3), loaded at run time when present
#   chromium             the browser tests/report/test_browser.py drives (through playwright)
# Without root or apt-get, say so for each package and go on: chatqa works without them.
set -u
PACKAGES="python3-grammalecte chromium"

why() {
  case "$1" in
    python3-grammalecte) echo "French grammar checker" ;;
    chromium) echo "browser for the report's browser test" ;;
    *) echo "optional" ;;
  esac
}

if ! command -v apt-get >/dev/null 2>&1; then
  for p in $PACKAGES; do
    echo "chatqa: apt-get not found; skipping optional system package $p ($(why "$p"))."
  done
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  for p in $PACKAGES; do
    echo "chatqa: not root; skipping optional system package $p ($(why "$p"))."
  done
  exit 0
fi
missing=""
for p in $PACKAGES; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -z "$missing" ]; then
  exit 0
fi
if ! apt-get update -qq; then
  echo "chatqa: apt-get update failed; trying to install from the package lists at hand."
fi
for p in $missing; do
  echo "chatqa: installing optional system package $p ($(why "$p"))"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p"; then
    echo "chatqa: could not install $p; going on without it."
  fi
done
exit 0
