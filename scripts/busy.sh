#!/usr/bin/env bash
# Runs a command while BUSY_PROCESSES (default 2) CPU-bound processes keep the cores busy beside it,
# as on a shared CI host: a test that passes only on an idle machine fails here (issue 23).
set -euo pipefail
burners=()
stop_burners() { [ ${#burners[@]} -eq 0 ] || kill "${burners[@]}" 2>/dev/null || true; }
trap stop_burners EXIT
for _ in $(seq "${BUSY_PROCESSES:-2}"); do
  nice -n 0 python3 -c "while True: pass" &
  burners+=("$!")
done
echo "busy.sh: ${#burners[@]} CPU-bound processes beside: $*" >&2
"$@"
