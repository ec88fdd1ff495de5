#!/usr/bin/env bash
# Installs the Debian packages Lineage needs, only those missing.
#   system-deps.sh run   graphviz (the timeline graph is drawn by `dot`)
#   system-deps.sh test  the above, chromium and a CJK font for the browser tests (or Chinese
#                        shows as boxes), PostgreSQL for the suite's second pass, wrk for load
set -euo pipefail
profile="${1:-test}"
need=()
command -v dot >/dev/null 2>&1 || need+=(graphviz)
if [ "$profile" = test ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei" || need+=(fonts-wqy-microhei)
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql postgresql-contrib)
fi
if ((${#need[@]})); then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "installing Debian packages: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
