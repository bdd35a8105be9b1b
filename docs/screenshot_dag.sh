#!/usr/bin/env bash
# Makes docs/dag-graph.png (`make dag-screenshot`): the graph view of a finished run of the rephrase_mining DAG.
#
# 1. simulates a small day of logs into .airflow/sample (150 users per locale, en-US and de-DE);
# 2. starts its own `airflow standalone` (LocalExecutor, SQLite) in a temporary AIRFLOW_HOME, on port
#    $SCREENSHOT_PORT (default 8089, so that it does not clash with `make airflow` on 8080), with
#    authentication off (everyone is admin) and no scheduled runs (only the one triggered here);
# 3. triggers the DAG for 2026-11-30 on the sample and waits for the run to succeed (6-15 minutes:
#    every Spark task is a spark-submit to local[2]);
# 4. opens the run's graph view in headless Chromium (driven over the DevTools protocol, because the
#    graph/grid choice lives in the UI's localStorage) and saves the screenshot;
# 5. stops what it started, by process group, and removes the temporary AIRFLOW_HOME (kept on failure).
#
# Needs the project venv (make venv) and chromium (CHROMIUM=/path/to/chrome to use another one).
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$PWD
BIN=$REPO/.venv/bin
OUT=${OUT:-$REPO/docs/dag-graph.png}
PORT=${SCREENSHOT_PORT:-8089}
DEBUG_PORT=${DEBUG_PORT:-9229}
CHROMIUM=${CHROMIUM:-chromium}
DAG_ID=rephrase_mining
DS=2026-11-30
RUN_ID=manual__${DS}
SAMPLE=$REPO/.airflow/sample
WIDTH=1600
HEIGHT=1000
RUN_TIMEOUT_S=${RUN_TIMEOUT_S:-2400}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/dag-screenshot.XXXXXX")
AIRFLOW_PGID=
CHROME_PGID=
ok=0

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }

stop_group() {  # stop_group PGID: TERM to the whole group (not INT: a background job ignores it), then KILL
    local pgid=$1 _
    [ -n "$pgid" ] || return 0
    kill -TERM -- "-$pgid" 2>/dev/null || return 0
    for _ in $(seq 30); do kill -0 -- "-$pgid" 2>/dev/null || return 0; sleep 1; done
    kill -KILL -- "-$pgid" 2>/dev/null || true
}

cleanup() {
    stop_group "$CHROME_PGID"
    stop_group "$AIRFLOW_PGID"
    if [ "$ok" = 1 ]; then
        rm -rf "$WORK"
    else
        log "failed; Airflow home, logs and Chromium profile kept in $WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The instance: the same settings as `make airflow`, plus no login and no scheduled runs.
export AIRFLOW_HOME=$WORK/airflow
export AIRFLOW__CORE__DAGS_FOLDER=$REPO/dags
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__EXECUTOR=LocalExecutor
export AIRFLOW__CORE__PARALLELISM=4
export AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG=4
export AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES=1
export AIRFLOW__API__HOST=127.0.0.1
export AIRFLOW__API__PORT=$PORT
export AIRFLOW__API__WORKERS=1
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL=http://127.0.0.1:$PORT/execution/
export AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=$((PORT + 1))
export AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=$((PORT + 2))
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS=True
export AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE=False
export AIRFLOW_CONN_SPARK_DEFAULT='{"conn_type": "spark", "host": "local[2]"}'
export AIRFLOW_VAR_REPHRASE_MINER_LOGS=$SAMPLE/logs
export AIRFLOW_VAR_REPHRASE_MINER_ROOT=$SAMPLE/warehouse
export PATH=$BIN:$PATH
export SPARK_LOCAL_IP=127.0.0.1
export PYSPARK_PYTHON=$BIN/python
mkdir -p "$AIRFLOW_HOME" "$(dirname "$OUT")"

if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then
    echo "port $PORT is in use; set SCREENSHOT_PORT to a free one" >&2
    exit 1
fi

log "simulating the sample day into $SAMPLE"
"$BIN/rephrase-miner" simulate --out "$SAMPLE" --users 150 --locales en-US de-DE --seed 7 --files 2 --workers 1 --overwrite
rm -rf "$SAMPLE/warehouse"

log "starting airflow standalone on http://127.0.0.1:$PORT (AIRFLOW_HOME=$AIRFLOW_HOME)"
setsid airflow standalone >"$WORK/standalone.log" 2>&1 &
AIRFLOW_PGID=$!

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
    local seconds=$1 what=$2 start=$SECONDS
    shift 2
    until "$@" >/dev/null 2>&1; do
        if ! kill -0 "$AIRFLOW_PGID" 2>/dev/null; then
            echo "airflow standalone exited; see $WORK/standalone.log" >&2
            tail -n 30 "$WORK/standalone.log" >&2
            exit 1
        fi
        if ((SECONDS - start > seconds)); then
            echo "timed out waiting for $what" >&2
            exit 1
        fi
        sleep 5
    done
}
healthy() { curl -sf "http://127.0.0.1:$PORT/api/v2/monitor/health" | grep -q '"scheduler":{"status":"healthy"'; }
dag_parsed() { airflow dags list -o plain 2>/dev/null | grep -q "^$DAG_ID "; }
wait_for 300 "the API server and scheduler" healthy
wait_for 300 "the DAG to be parsed" dag_parsed
errors=$(airflow dags list-import-errors -o plain 2>/dev/null || true)
if ! grep -q "No data found" <<<"$errors"; then
    echo "import errors:" >&2
    echo "$errors" >&2
    exit 1
fi

log "triggering $DAG_ID for $DS (run $RUN_ID)"
airflow dags unpause "$DAG_ID" >/dev/null
airflow dags trigger "$DAG_ID" --logical-date "${DS}T00:00:00+00:00" --run-id "$RUN_ID" \
    --conf "{\"logs\": \"$SAMPLE/logs\", \"root\": \"$SAMPLE/warehouse\"}" >/dev/null
started=$SECONDS
state=queued
while :; do
    sleep 20
    state=$(airflow dags state "$DAG_ID" "$RUN_ID" 2>/dev/null | tail -n 1 | awk '{print $1}' | tr -d , || true)
    case $state in
        success) break ;;
        failed)
            echo "run $RUN_ID failed after $((SECONDS - started))s; task logs are under $AIRFLOW_HOME/logs" >&2
            exit 1 ;;
    esac
    if ((SECONDS - started > RUN_TIMEOUT_S)); then
        echo "run $RUN_ID still $state after ${RUN_TIMEOUT_S}s" >&2
        exit 1
    fi
    log "run $state ($((SECONDS - started))s)"
done
log "run $RUN_ID succeeded in $((SECONDS - started))s"

URL="http://127.0.0.1:$PORT/dags/$DAG_ID/runs/$RUN_ID"
log "screenshot of $URL"
setsid "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
    --user-data-dir="$WORK/chromium" --remote-debugging-address=127.0.0.1 --remote-debugging-port="$DEBUG_PORT" \
    --window-size="$WIDTH,$HEIGHT" about:blank >"$WORK/chromium.log" 2>&1 &
CHROME_PGID=$!

"$BIN/python" - "$DEBUG_PORT" "http://127.0.0.1:$PORT/" "$URL" "$OUT" "$WIDTH" "$HEIGHT" <<'PY'
"""Drive headless Chromium over the DevTools protocol: choose the graph view, load the run, screenshot."""
import asyncio
import base64
import json
import sys
import time
import urllib.request

import websockets

debug_port, home_url, run_url, out, width, height = sys.argv[1:]


def page_socket() -> str:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{debug_port}/json/list", timeout=5) as response:
                pages = [t for t in json.load(response) if t["type"] == "page"]
            if pages:
                return pages[0]["webSocketDebuggerUrl"]
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("Chromium's DevTools endpoint did not come up")
        time.sleep(0.5)


async def main() -> None:
    async with websockets.connect(page_socket(), max_size=None) as ws:
        ids = iter(range(1, 1_000_000))

        async def call(method: str, **params):
            call_id = next(ids)
            await ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
            while True:
                message = json.loads(await ws.recv())
                if message.get("id") == call_id:
                    if "error" in message:
                        raise RuntimeError(f"{method}: {message['error']}")
                    return message["result"]

        async def evaluate(expression: str):
            result = await call("Runtime.evaluate", expression=expression, returnByValue=True)
            return result["result"].get("value")

        async def wait_until(expression: str, seconds: float) -> bool:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                if await evaluate(expression):
                    return True
                await asyncio.sleep(0.5)
            return False

        await call("Emulation.setDeviceMetricsOverride", width=int(width), height=int(height),
                   deviceScaleFactor=1, mobile=False)
        await call("Page.enable")
        await call("Page.navigate", url=home_url)
        await wait_until("document.readyState === 'complete'", 30)
        # The DAG page shows the grid or the graph by this key (the UI's own "default view" setting).
        await evaluate("localStorage.setItem('default_dag_view', JSON.stringify('graph'))")
        await call("Page.navigate", url=run_url)
        nodes = "Array.from(document.querySelectorAll('.react-flow__node'))"
        if not await wait_until(f"{nodes}.length > 0", 60):
            raise SystemExit(f"no graph nodes rendered at {run_url}")
        # Every node shows its task state once the run's task instances have loaded.
        await wait_until(f"{nodes}.every(n => /success|failed|skipped|removed/.test(n.innerText))", 30)
        # The graph is one long row: give it the whole width (hide the run's details panel) and refit.
        await evaluate("document.querySelector('button[aria-label=\"Collapse Details Panel\"]')?.click()")
        await asyncio.sleep(1.5)
        await evaluate("document.querySelector('button[title=\"Fit View\"]')?.click()")
        await asyncio.sleep(3)
        shot = await call("Page.captureScreenshot", format="png")
        with open(out, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        nodes = await evaluate("document.querySelectorAll('.react-flow__node').length")
        print(f"wrote {out} ({width}x{height}, {nodes} graph nodes)")


asyncio.run(main())
PY
ok=1
