#!/usr/bin/env bash
# `make run`: the site on PORT, plus a queue worker process when REDIS_URL is set (without
# Redis, jobs run on a worker thread inside the server process).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
if [ -n "${REDIS_URL:-}" ]; then
  "$PY" manage.py rundramatiq --processes 1 --threads 2 &
  worker=$!
  trap 'kill "$worker" 2>/dev/null || true' EXIT INT TERM
fi
"$PY" manage.py runserver "127.0.0.1:${PORT:-8000}"
