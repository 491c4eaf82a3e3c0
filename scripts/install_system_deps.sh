#!/usr/bin/env bash
# Install optional system packages (Grammalecte) with apt-get when possible.
# Without root or apt-get, say so and go on: chatqa works without them.
set -u
PACKAGES="python3-grammalecte"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chatqa: apt-get not found; skipping optional system packages ($PACKAGES)."
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "chatqa: not root; skipping optional system packages ($PACKAGES)."
  exit 0
fi
missing=""
for p in $PACKAGES; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -z "$missing" ]; then
  exit 0
fi
echo "chatqa: installing optional system packages:$missing"
if ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing) ; then
  echo "chatqa: could not install$missing; going on without them."
fi
exit 0
