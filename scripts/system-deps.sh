#!/usr/bin/env bash
# Installs the Debian packages the test suite needs, only those missing:
# chromium (browser tests), a CJK font (or Chinese shows as boxes), PostgreSQL (second pass),
# graphviz (the timeline graph).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei" || need+=(fonts-wqy-microhei)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql postgresql-contrib)
# Graphviz's `dot` lays out the timeline graph (/graph, issue 5).
command -v dot >/dev/null 2>&1 || need+=(graphviz)
if ((${#need[@]})); then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "installing Debian packages: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
