#!/usr/bin/env bash
# The SDK tour: list, pause, resume, terminate, and an invalid transition with its error —
# against the sandbox vendor double served over loopback. Runs with no gateway.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT=8701
CONFIG=examples/tour.toml
export COLUMNS="${COLUMNS:-150}"  # wide enough for the tables when not on a terminal

"$BIN/interlock" vendors serve sandbox --port "$PORT" >/dev/null &
DOUBLE=$!
trap 'kill $DOUBLE 2>/dev/null || true; wait $DOUBLE 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  "$BIN/python" - "$PORT" <<'PY' && break
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.2).close()
except OSError:
    sys.exit(1)
PY
  sleep 0.1
done

step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "${*:2}"; "${@:2}"; }

step "Which adapters are installed, and what can each do?" "$BIN/interlock" adapters
step "Sessions that are running right now" \
  "$BIN/interlock" direct sessions list -c "$CONFIG" --state in_progress --limit 5
SESSION=$("$BIN/interlock" direct sessions list -c "$CONFIG" --state in_progress --limit 1 --json \
  | "$BIN/python" -c 'import json,sys; r=json.load(sys.stdin)[0]["ref"]; print("accounts/%s/sessions/%s" % (r["account"], r["session_id"]))')
step "Pause it: the candidate's network dropped" \
  "$BIN/interlock" direct pause "$SESSION" -c "$CONFIG" --reason candidate_network
step "Pausing again changes nothing (already in state)" \
  "$BIN/interlock" direct pause "$SESSION" -c "$CONFIG" --reason candidate_network
step "Resume it" "$BIN/interlock" direct resume "$SESSION" -c "$CONFIG" --reason candidate_network
step "Terminate it: the hiring process changed" \
  "$BIN/interlock" direct terminate "$SESSION" -c "$CONFIG" --reason process_change
printf '\n\033[1m== A terminated session cannot be resumed: a clear error, no traceback\033[0m\n'
if "$BIN/interlock" direct resume "$SESSION" -c "$CONFIG" --reason operator_error; then
  echo "expected the resume to be refused" >&2; exit 1
fi
printf '\nTour finished.\n'
