"""`akechain watch`: print a node's chain events as they commit, and warn a consumer before a
lease's escrow runs out.

It reads `/events` (server-sent events), resuming with `Last-Event-ID` after a dropped connection,
so no event is printed twice or skipped. `--address` and `--job` keep the txs that name that
account or job (client-side: a block's event is about its proposer, not an account). Warnings are
computed here from `/escrow/{job}` once per block for the watched jobs (`--job`, or the open jobs
of `--address` as consumer): the run-out height is where the unearned funds stop paying every
accruing stream, `height + left // (sum of accruing rates)`; each (job, run-out height) is warned
once, `--warn-blocks` blocks ahead (a top-up moves it, and warns again when it nears). The chain
itself emits `lease_running_out` `run_out_warning_blocks` (a market param) ahead; those print like
any event and are not warned of again here. The local warning covers another `--warn-blocks` and
run-outs that were set nearer than the chain's look-ahead (a lease opened with few blocks of funds).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Collection, Iterator

import click
import httpx

from akechain.cli.common import fail, node_option
from akechain.node.rpc.events import EVENT_TYPES
from akechain.node.rpc.market import compute_run_out_height

DEFAULT_WARN_BLOCKS = 20
JOB_REFRESH_BLOCKS = 10  # how often the consumer's open jobs are listed again
MAX_WATCHED_JOBS = 100
RECONNECT_SECONDS = 1.0
READ_SECONDS = 60.0  # the node sends a keep-alive comment every 15 s


@dataclass(frozen=True, slots=True)
class SSEvent:
    id: str
    type: str
    data: dict[str, Any]


def parse_sse(lines: Iterator[str]) -> Iterator[SSEvent]:
    """Events of a text/event-stream (fields `id`, `event`, `data`; comments and `retry` skipped)."""
    event_id, kind, data = "", "message", []
    for line in lines:
        if not line:
            if data:
                yield SSEvent(event_id, kind, json.loads("\n".join(data)))
            event_id, kind, data = "", "message", []
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "id":
            event_id = value
        elif name == "event":
            kind = value
        elif name == "data":
            data.append(value)


def names(event: SSEvent, address: str | None, job: str | None, watched_jobs: Collection[int] = ()) -> bool:
    """Whether an event is about the account (a tx's sender or any of its events' values; another
    event's values) and the job (a `job_id`); with `--address` alone, the account's watched jobs'
    lease events count too."""
    if event.type == "new_block":
        return address is None and job is None
    if event.type == "tx_committed":
        values = {v for e in event.data.get("events", ()) for v in e["attributes"].values()}
        if address is not None and address != event.data.get("sender") and address not in values:
            return False
        return job is None or any(e["attributes"].get("job_id") == job for e in event.data.get("events", ()))
    event_job = event.data.get("job_id")
    if job is not None:
        return event_job == job
    return address is None or address in event.data.values() or (event_job is not None and int(event_job) in watched_jobs)


def created_jobs(event: SSEvent, consumer: str) -> set[int]:
    """Jobs a committed tx created for `consumer` (watched at once, before the next job listing)."""
    if event.type != "tx_committed" or event.data.get("code") != 0:
        return set()
    return {int(e["attributes"]["job_id"]) for e in event.data.get("events", ())
            if e["type"] == "job_created" and e["attributes"].get("consumer") == consumer}


@dataclass(slots=True)
class RunOutWatch:
    """The warnings of the watched jobs, each (job, run-out height) once."""

    warn_blocks: int
    jobs: set[int] = field(default_factory=set)
    warned: set[tuple[int, int]] = field(default_factory=set)

    def note_chain_warning(self, event: SSEvent) -> None:
        """The chain's own `lease_running_out` event (its `run_out_warning_blocks` ahead): that
        run-out needs no second warning from here."""
        if event.type == "lease_running_out":
            self.warned.add((int(event.data["job_id"]), int(event.data["run_out_height"])))

    def check(self, height: int, job_id: int, escrow: dict[str, Any]) -> dict[str, Any] | None:
        run_out = compute_run_out_height(escrow)
        if escrow.get("closed"):
            self.jobs.discard(job_id)
        if run_out is None or not 0 <= run_out - height <= self.warn_blocks or (job_id, run_out) in self.warned:
            return None
        self.warned.add((job_id, run_out))
        rate = sum(s["rate"] for s in escrow["streams"] if s["state"] == "accruing")
        return {"type": "lease_running_out", "job_id": job_id, "height": height, "run_out_height": run_out,
                "blocks_left": run_out - height, "left": escrow["left"], "rate": rate,
                "lease_ids": [s["lease_id"] for s in escrow["streams"] if s["state"] == "accruing"]}


def describe(event: SSEvent) -> str:
    data = event.data
    if event.type == "new_block":
        return f"{data['height']} new_block {data['hash'][:16]} txs={data['txs']} proposer={data['proposer'][:16]}"
    if event.type == "tx_committed":
        kinds = ",".join(e["type"] for e in data.get("events", ()))
        return f"{data['height']} tx {data['hash'][:16]} from {data['sender']} code={data['code']} events={kinds}"
    return f"{event.id} {event.type} {json.dumps(data, sort_keys=True)}"


def describe_warning(warning: dict[str, Any]) -> str:
    return (f"WARNING job {warning['job_id']}: escrow runs out at height {warning['run_out_height']} (in "
            f"{warning['blocks_left']} blocks): {warning['left']} uake left at {warning['rate']} uake/block; "
            f"top up with `akechain tx market top-up {warning['job_id']} AMOUNT --key KEY`")


def stream_events(http: httpx.Client, params: dict[str, str], last_id: list[str]) -> Iterator[SSEvent]:
    """Events for ever, reconnecting after the last id seen (`last_id[0]`, updated as events pass)."""
    while True:
        headers = {"Last-Event-ID": last_id[0]} if last_id[0] else {}
        try:
            with http.stream("GET", "/events", params=params, headers=headers) as response:
                if response.status_code != 200:
                    response.read()
                    raise click.ClickException(f"/events answered {response.status_code}: {response.text[:200]}")
                for event in parse_sse(response.iter_lines()):
                    if event.id:
                        last_id[0] = event.id
                    yield event
        except httpx.HTTPError as exc:
            click.echo(f"connection to {http.base_url} lost ({exc}); reconnecting", err=True)
            time.sleep(RECONNECT_SECONDS)


@click.command()
@node_option
@click.option("--address", help="Only txs naming this account; warn about the escrows of its open jobs.")
@click.option("--job", "job_id", type=click.IntRange(0), help="Only txs of this job; warn about its escrow.")
@click.option("--type", "types", help=f"Comma-separated event types to print: {', '.join(sorted(EVENT_TYPES))}.")
@click.option("--warn-blocks", type=click.IntRange(0), default=DEFAULT_WARN_BLOCKS, show_default=True,
              help="Warn this many blocks before a watched lease's escrow runs out.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def watch(node_url: str, address: str | None, job_id: int | None, types: str | None, warn_blocks: int,
          as_json: bool) -> None:
    """Print chain events as they commit (until Ctrl-C) and warn before watched escrows run out."""
    from akechain.client.http import NodeClient, NodeClientError, NotFoundError

    shown = {t.strip() for t in types.split(",") if t.strip()} if types else None
    params = {"type": ",".join(sorted(shown | {"new_block"}))} if shown else {}
    runout = RunOutWatch(warn_blocks, {job_id} if job_id is not None else set())
    job_text = None if job_id is None else str(job_id)
    next_refresh = 0  # the height at which the consumer's open jobs are listed again

    def emit(doc: dict[str, Any], text: str) -> None:
        click.echo(json.dumps(doc, sort_keys=True) if as_json else text)

    try:
        with NodeClient(node_url) as client, httpx.Client(base_url=node_url, timeout=httpx.Timeout(10, read=READ_SECONDS)) as http:
            for event in stream_events(http, params, [""]):
                if (shown is None or event.type in shown) and names(event, address, job_text, runout.jobs):
                    emit({"id": event.id, "type": event.type, **event.data}, describe(event))
                runout.note_chain_warning(event)
                if job_id is None and address is not None:
                    runout.jobs |= created_jobs(event, address)
                if event.type != "new_block" or (address is None and job_id is None):
                    continue
                height = event.data["height"]
                if job_id is None and height >= next_refresh:
                    runout.jobs = {j["id"] for j in client.jobs() if j["consumer"] == address}
                    next_refresh = height + JOB_REFRESH_BLOCKS
                for watched in sorted(runout.jobs)[:MAX_WATCHED_JOBS]:
                    try:
                        warning = runout.check(height, watched, client.escrow(watched))
                    except NotFoundError:
                        runout.jobs.discard(watched)
                        continue
                    if warning is not None:
                        emit(warning, describe_warning(warning))
    except NodeClientError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        pass
