"""HTTP JSON API of a node, served by hypercorn inside the node's trio nursery.

Every handler validates its input and answers a 4xx with `{"error": ...}` for anything a client
got wrong; the node behind it is reached only through `NodeAPI`, so the API can be tested
against a fake node and the node never depends on HTTP.
"""
from __future__ import annotations

import base64
import logging
import binascii
import json
from typing import Any, Callable, Protocol, Sequence

import anyio
import trio
from hypercorn.config import Config as HypercornConfig
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from akechain.node.mempool import MempoolFullError, SenderFullError
from akechain.node.rpc.market import DEFAULT_PAGE, MAX_PAGE, NEXT_CURSOR_HEADER, Page
from akechain.node.rpc.events import EVENT_TYPES, MAX_STREAMS, WHOLE_HEIGHT, EventLog, parse_last_event_id
from akechain.node.rpc.status_page import status_page
from akechain.node.rpc.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE, HTTPMetrics, NodeMetrics
from akechain.node.rpc.limits import MAX_CONNECTIONS, MAX_IN_FLIGHT_REQUESTS, SEND_SECONDS, InFlightLimit, serve_capped

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 4 * 1024 * 1024
BODY_READ_SECONDS = 10.0  # the whole body, however it trickles in (a slow sender holds a slot)
LISTEN_BACKLOG = 128
HEADER_READ_SECONDS = 5.0  # a request head (and an idle keep-alive connection) within this
MAX_BATCH_TXS = 10_000
DEFAULT_WAIT_SECONDS = 30.0
BUSY_CODE = 2  # check code of a batch entry the node had no room for (1: the tx itself was refused)


class BadRequest(Exception):
    """A client error: answered with a 4xx and the message, never logged as a node fault."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class NodeAPI(Protocol):
    """What the HTTP API needs from a running node."""

    def status(self) -> dict[str, Any]: ...

    def params(self) -> dict[str, Any]: ...

    async def submit_txs(self, raws: Sequence[bytes]) -> list[dict[str, Any] | MempoolFullError]:
        """Admit txs to the mempool in order, their signatures checked off the event loop: per tx
        {"hash", "check": {"code", "log"}} (hash None for a tx refused before the app saw it) or the
        MempoolFullError (SenderFullError for one sender's cap) it got; the list stops after a
        full pool's error."""

    async def wait_for_tx(self, tx_hash: bytes, timeout: float) -> dict[str, Any] | None: ...

    def tx(self, tx_hash: bytes) -> dict[str, Any] | None: ...

    def block(self, height: int | None) -> dict[str, Any] | None: ...

    def account(self, address: str, prove: bool) -> dict[str, Any]: ...

    # The market; addresses are bech32 text (a bad one raises ValueError), None means not found.
    # Lists come a page at a time: up to `limit` items after `cursor` (a bad cursor: ValueError).

    def providers(self, cursor: str | None, limit: int) -> Page: ...

    def provider(self, address: str) -> dict[str, Any] | None: ...

    def jobs(self, include_closed: bool, cursor: str | None, limit: int) -> Page: ...

    def job(self, job_id: int) -> dict[str, Any] | None: ...

    def leases(self, job_id: int | None, provider: str | None, cursor: str | None, limit: int) -> Page: ...

    def escrow(self, job_id: int) -> dict[str, Any] | None: ...

    def reputation(self, address: str) -> dict[str, Any]: ...

    def challenges(self, referee: str | None, open_only: bool, cursor: str | None, limit: int) -> Page: ...

    def market_params(self) -> dict[str, Any]: ...

    def validators(self) -> list[dict[str, Any]]: ...

    def supply(self) -> dict[str, Any]: ...

    def validator(self, address: str) -> dict[str, Any] | None: ...

    def delegations(self, address: str) -> list[dict[str, Any]]: ...

    def unbonding(self, address: str) -> dict[str, Any]: ...

    def signing_info(self, address: str) -> dict[str, Any] | None: ...

    def rewards(self, address: str) -> dict[str, Any]: ...

    # Governance; None means no such proposal.

    def proposals(self, cursor: str | None, limit: int) -> Page: ...

    def proposal(self, proposal_id: int) -> dict[str, Any] | None: ...

    def proposal_votes(self, proposal_id: int) -> list[dict[str, Any]] | None: ...

    def proposal_tally(self, proposal_id: int) -> dict[str, Any] | None: ...

    def treasury(self) -> dict[str, Any]: ...

    def grants(self, owner: str) -> dict[str, Any]: ...

    def guardian(self) -> dict[str, Any]: ...

    def kpi(self) -> dict[str, Any]: ...

    def upgrade(self, view: str) -> dict[str, Any]:
        """An upgrade view (`akechain.node.rpc.upgrade.VIEWS`): plan, applied or versions."""
        ...

    def bridge(self, view: str, address: str | None) -> Any:
        """A bridge view (`akechain.node.rpc.bridge.VIEWS`); `address` for an orchestrator's."""
        ...


def decode_tx_text(text: str) -> bytes:
    """Raw tx bytes from hex (optionally 0x-prefixed) or base64 text."""
    text = text.strip()
    if not text:
        raise BadRequest("empty tx")
    hex_text = text[2:] if text.startswith(("0x", "0X")) else text
    try:
        return bytes.fromhex(hex_text)
    except ValueError:
        pass
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("tx must be hex or base64 encoded bytes") from None


def parse_hash(text: str) -> bytes:
    try:
        value = bytes.fromhex(text[2:] if text.startswith("0x") else text)
    except ValueError:
        raise BadRequest(f"not a hex hash: {text[:80]!r}") from None
    if len(value) != 32:
        raise BadRequest(f"a hash is 32 bytes, got {len(value)}")
    return value


def parse_height(text: str) -> int | None:
    if text == "latest":
        return None
    if not text.isdigit() or len(text) > 19:
        raise BadRequest(f"height must be a positive integer or 'latest', got {text[:40]!r}")
    height = int(text)
    if height < 1:
        raise BadRequest("height must be at least 1")
    return height


def parse_id(text: str, what: str) -> int:
    if not text.isdigit() or len(text) > 18:
        raise BadRequest(f"{what} must be a non-negative integer, got {text[:40]!r}")
    return int(text)


def get_page_args(request: Request) -> tuple[str | None, int]:
    """`?cursor=` (where the previous page ended) and `?limit=` (1 to MAX_PAGE, default DEFAULT_PAGE)."""
    raw = request.query_params.get("limit", str(DEFAULT_PAGE))
    if not raw.isdigit() or len(raw) > 6 or not 1 <= int(raw) <= MAX_PAGE:
        raise BadRequest(f"limit must be an integer from 1 to {MAX_PAGE}, got {raw[:40]!r}")
    return request.query_params.get("cursor"), int(raw)


def page_response(page: Page) -> Response:
    """The page's items as the JSON list; `X-Next-Cursor` names the next page when there is one."""
    headers = {} if page.next_cursor is None else {NEXT_CURSOR_HEADER: page.next_cursor}
    return JSONResponse(page.items, headers=headers)


def is_true(request: Request, name: str) -> bool:
    return request.query_params.get(name, "false").lower() in ("1", "true", "yes")


def ask(method: Callable[..., Any], *args: Any) -> Any:
    """Call a NodeAPI method whose ValueError means malformed client input (e.g. a bad address)."""
    try:
        return method(*args)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None


def found_or_404(doc: Any, what: str) -> Response:
    if doc is None:
        raise BadRequest(f"{what} not found", status=404)
    return JSONResponse(doc)


def wait_seconds(request: Request) -> float:
    raw = request.query_params.get("timeout", str(DEFAULT_WAIT_SECONDS))
    try:
        seconds = float(raw)
    except ValueError:
        raise BadRequest(f"timeout must be a number of seconds, got {raw[:40]!r}") from None
    if not 0 < seconds <= 300:
        raise BadRequest("timeout must be in (0, 300] seconds")
    return seconds


async def read_body(request: Request) -> bytes:
    body = b""
    with anyio.move_on_after(BODY_READ_SECONDS):  # anyio: Starlette's test client runs on asyncio
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                raise BadRequest(f"request body over {MAX_BODY_BYTES} bytes", status=413)
        return body
    raise BadRequest(f"request body not received within {BODY_READ_SECONDS:.0f} s", status=408)


async def read_txs(request: Request) -> tuple[list[bytes], bool]:
    """The txs of a submit request and whether it was a batch.

    Accepts a raw text body (hex or base64), or JSON {"tx": "..."} / {"txs": ["...", ...]}.
    """
    body = await read_body(request)
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        raise BadRequest("body must be hex, base64 or JSON text") from None
    if not text.lstrip().startswith("{"):
        return [decode_tx_text(text)], False
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadRequest(f"invalid JSON: {exc}") from None
    if isinstance(doc, dict) and isinstance(doc.get("tx"), str) and len(doc) == 1:
        return [decode_tx_text(doc["tx"])], False
    txs = doc.get("txs") if isinstance(doc, dict) and len(doc) == 1 else None
    if not isinstance(txs, list) or not all(isinstance(t, str) for t in txs):
        raise BadRequest('JSON body must be {"tx": "<hex|base64>"} or {"txs": ["<hex|base64>", ...]}')
    if not 1 <= len(txs) <= MAX_BATCH_TXS:
        raise BadRequest(f"a batch holds 1 to {MAX_BATCH_TXS} txs")
    return [decode_tx_text(t) for t in txs], True


def build_app(node: NodeAPI, metrics: NodeMetrics | None = None, events: EventLog | None = None) -> Starlette:
    """The Starlette application serving `node`; with `metrics`, also `/metrics`, counting every
    request; with `events`, also the `/events` stream."""

    async def status(request: Request) -> Response:
        return JSONResponse(node.status())

    async def params(request: Request) -> Response:
        return JSONResponse(node.params())

    async def module_params(request: Request) -> Response:
        module = request.path_params["module"]
        every = node.params()
        if module not in every:
            raise BadRequest(f"no module {module[:40]!r} has params; these do: {', '.join(sorted(every))}", status=404)
        return JSONResponse(every[module])

    async def supply(request: Request) -> Response:
        return JSONResponse(node.supply())

    async def submit(request: Request) -> Response:
        txs, batch = await read_txs(request)
        wait = request.query_params.get("wait")
        if wait not in (None, "commit"):
            raise BadRequest("wait must be 'commit' when given")
        outcomes = await node.submit_txs(txs)
        if not batch and isinstance(outcomes[0], MempoolFullError):
            return busy_answer(outcomes[0])
        answers = [busy_result(o) if isinstance(o, MempoolFullError) else o for o in outcomes]
        # A short list ends at a full pool's answer: the unchecked rest are busy too.
        answers.extend(dict(answers[-1]) for _ in range(len(txs) - len(answers)))
        if wait == "commit":
            timeout = wait_seconds(request)
            for answer in answers:
                if answer["check"]["code"] == 0:
                    answer["result"] = await node.wait_for_tx(bytes.fromhex(answer["hash"]), timeout)
        if batch:
            return JSONResponse({"results": answers})
        answer = answers[0]
        return JSONResponse(answer, status_code=200 if answer["check"]["code"] == 0 else 422)

    def busy_answer(exc: MempoolFullError) -> Response:
        status = 429 if isinstance(exc, SenderFullError) else 503
        return JSONResponse({"error": f"busy: {exc}", "busy": True}, status_code=status, headers={"Retry-After": "1"})

    def busy_result(exc: MempoolFullError) -> dict[str, Any]:
        return {"hash": None, "check": {"code": BUSY_CODE, "log": f"busy: {exc}"}, "busy": True}

    async def get_tx(request: Request) -> Response:
        found = node.tx(parse_hash(request.path_params["tx_hash"]))
        if found is None:
            raise BadRequest("tx not found", status=404)
        return JSONResponse(found)

    async def get_block(request: Request) -> Response:
        found = node.block(parse_height(request.path_params["height"]))
        if found is None:
            raise BadRequest("block not found", status=404)
        return JSONResponse(found)

    async def get_account(request: Request) -> Response:
        return JSONResponse(ask(node.account, request.path_params["address"], is_true(request, "prove")))

    async def get_providers(request: Request) -> Response:
        return page_response(ask(node.providers, *get_page_args(request)))

    async def get_provider(request: Request) -> Response:
        address = request.path_params["address"]
        return found_or_404(ask(node.provider, address), f"provider {address}")

    async def get_jobs(request: Request) -> Response:
        return page_response(ask(node.jobs, is_true(request, "all"), *get_page_args(request)))

    async def get_job(request: Request) -> Response:
        job_id = parse_id(request.path_params["job_id"], "job id")
        return found_or_404(node.job(job_id), f"job {job_id}")

    async def get_leases(request: Request) -> Response:
        job = request.query_params.get("job")
        job_id = None if job is None else parse_id(job, "job")
        return page_response(ask(node.leases, job_id, request.query_params.get("provider"), *get_page_args(request)))

    async def get_escrow(request: Request) -> Response:
        job_id = parse_id(request.path_params["job_id"], "job id")
        return found_or_404(node.escrow(job_id), f"escrow of job {job_id}")

    async def get_reputation(request: Request) -> Response:
        return JSONResponse(ask(node.reputation, request.path_params["address"]))

    async def get_challenges(request: Request) -> Response:
        return page_response(ask(node.challenges, request.query_params.get("referee"), is_true(request, "open"),
                                 *get_page_args(request)))

    async def market_params(request: Request) -> Response:
        return JSONResponse(node.market_params())

    async def get_validators(request: Request) -> Response:
        return JSONResponse(node.validators())

    async def get_validator(request: Request) -> Response:
        address = request.path_params["address"]
        return found_or_404(ask(node.validator, address), f"validator {address}")

    async def get_delegations(request: Request) -> Response:
        return JSONResponse(ask(node.delegations, request.path_params["address"]))

    async def get_unbonding(request: Request) -> Response:
        return JSONResponse(ask(node.unbonding, request.path_params["address"]))

    async def get_signing_info(request: Request) -> Response:
        address = request.path_params["address"]
        return found_or_404(ask(node.signing_info, address), f"signing info of {address}")

    async def get_rewards(request: Request) -> Response:
        return JSONResponse(ask(node.rewards, request.path_params["address"]))

    async def get_proposals(request: Request) -> Response:
        return page_response(ask(node.proposals, *get_page_args(request)))

    def proposal_lookup(method: str, what: str) -> Callable[[Request], Any]:
        """A `/proposals/{id}…` endpoint answered by the NodeAPI method named `method`."""
        async def lookup(request: Request) -> Response:
            proposal_id = parse_id(request.path_params["proposal_id"], "proposal id")
            return found_or_404(getattr(node, method)(proposal_id), f"{what}proposal {proposal_id}")
        return lookup

    async def get_treasury(request: Request) -> Response:
        return JSONResponse(node.treasury())

    async def get_guardian(request: Request) -> Response:
        return JSONResponse(node.guardian())

    async def get_kpi(request: Request) -> Response:
        return JSONResponse(node.kpi())

    async def get_grants(request: Request) -> Response:
        return JSONResponse(ask(node.grants, request.path_params["owner"]))

    async def get_upgrade(request: Request) -> Response:
        return JSONResponse(ask(node.upgrade, request.path_params["view"]))

    async def get_bridge(request: Request) -> Response:
        return JSONResponse(ask(node.bridge, request.path_params.get("view", "orchestrators"), request.path_params.get("address")))


    async def bad_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, BadRequest)
        return JSONResponse({"error": str(exc)}, status_code=exc.status)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)

    async def internal_error(request: Request, exc: Exception) -> Response:
        """A bug, not a client mistake: logged with its traceback, answered in JSON; the node runs on."""
        log.error("HTTP %s %s failed", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"error": f"internal error: {type(exc).__name__}"}, status_code=500)

    routes = [
        Route("/status", status, methods=["GET"]),
        Route("/params", params, methods=["GET"]),
        Route("/params/{module}", module_params, methods=["GET"]),
        Route("/supply", supply, methods=["GET"]),
        Route("/txs", submit, methods=["POST"]),
        Route("/txs/{tx_hash}", get_tx, methods=["GET"]),
        Route("/blocks/{height}", get_block, methods=["GET"]),
        Route("/accounts/{address}", get_account, methods=["GET"]),
        Route("/providers", get_providers, methods=["GET"]),
        Route("/providers/{address}", get_provider, methods=["GET"]),
        Route("/jobs", get_jobs, methods=["GET"]),
        Route("/jobs/{job_id}", get_job, methods=["GET"]),
        Route("/leases", get_leases, methods=["GET"]),
        Route("/escrow/{job_id}", get_escrow, methods=["GET"]),
        Route("/reputation/{address}", get_reputation, methods=["GET"]),
        Route("/challenges", get_challenges, methods=["GET"]),
        Route("/market/params", market_params, methods=["GET"]),
        Route("/validators", get_validators, methods=["GET"]),
        Route("/validators/{address}", get_validator, methods=["GET"]),
        Route("/delegations/{address}", get_delegations, methods=["GET"]),
        Route("/unbonding/{address}", get_unbonding, methods=["GET"]),
        Route("/signing-info/{address}", get_signing_info, methods=["GET"]),
        Route("/rewards/{address}", get_rewards, methods=["GET"]),
        Route("/proposals", get_proposals, methods=["GET"]),
        Route("/proposals/{proposal_id}", proposal_lookup("proposal", ""), methods=["GET"]),
        Route("/proposals/{proposal_id}/votes", proposal_lookup("proposal_votes", "votes of "), methods=["GET"]),
        Route("/proposals/{proposal_id}/tally", proposal_lookup("proposal_tally", "tally of "), methods=["GET"]),
        Route("/treasury", get_treasury, methods=["GET"]),
        Route("/grants/{owner}", get_grants, methods=["GET"]),
        Route("/guardian", get_guardian, methods=["GET"]),
        Route("/kpi", get_kpi, methods=["GET"]),
        Route("/upgrade/{view}", get_upgrade, methods=["GET"]),
        Route("/bridge/orchestrators/{address}", get_bridge, methods=["GET"]),
        Route("/bridge/{view}", get_bridge, methods=["GET"]),
    ]
    routes.append(Route("/", status_page, methods=["GET"]))
    if events is not None:
        routes.append(Route("/events", event_stream(events), methods=["GET"]))
    middleware = []
    if metrics is not None:
        async def get_metrics(request: Request) -> Response:
            return Response(metrics.render(), media_type=METRICS_CONTENT_TYPE)

        routes.append(Route("/metrics", get_metrics, methods=["GET"]))
        middleware.append(Middleware(HTTPMetrics, metrics=metrics, routes=routes))
    return Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={BadRequest: bad_request, HTTPException: http_error, Exception: internal_error},
    )


def event_stream(events: EventLog) -> Callable[[Request], Any]:
    """`GET /events?type=T1,T2&address=A` with an optional `Last-Event-ID` to resume after."""

    async def get_events(request: Request) -> Response:
        raw_types = request.query_params.get("type")
        types = EVENT_TYPES if raw_types is None else frozenset(raw_types.split(","))
        if not types or not types <= EVENT_TYPES:
            raise BadRequest(f"type must be a comma-separated list of {', '.join(sorted(EVENT_TYPES))}")
        address = request.query_params.get("address")
        if address is not None and not 0 < len(address) <= 128:
            raise BadRequest("address must be 1 to 128 characters")
        last_id = request.headers.get("last-event-id")
        try:
            cursor = (events.tip, WHOLE_HEIGHT) if last_id is None else parse_last_event_id(last_id)
        except ValueError as exc:
            raise BadRequest(str(exc)) from None
        if events.streams >= MAX_STREAMS:
            raise BadRequest(f"busy: {MAX_STREAMS} event streams open", status=503)
        return StreamingResponse(events.stream(cursor, types, address), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    return get_events


async def serve_http(
    app: Starlette,
    host: str,
    port: int,
    shutdown: trio.Event,
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    max_in_flight: int = MAX_IN_FLIGHT_REQUESTS,
    max_connections: int = MAX_CONNECTIONS,
    header_seconds: float = HEADER_READ_SECONDS,
    send_seconds: float = SEND_SECONDS,
) -> None:
    """Serve `app` until `shutdown` is set; readiness is signalled once the socket listens. Excess
    concurrent requests are answered 503 and connections over the cap wait in the listen backlog.
    Headers must arrive within `header_seconds` of the connection or of the last answer, after which
    an idle connection is closed too (hypercorn's keep-alive timeout runs until a whole request head
    arrived); they are capped at h11's 16 KiB, bodies in size and time by read_body, and every write
    has a deadline (`send_seconds`, limits.SEND_SECONDS). Hypercorn's `read_timeout` is left unset: it times every
    read, also while a `?wait=commit` request waits for its answer, and would cut those off."""
    config = HypercornConfig()
    config.backlog = LISTEN_BACKLOG
    config.keep_alive_timeout = header_seconds
    config.accesslog = None
    config.errorlog = None
    config.graceful_timeout = 1.0
    limited = InFlightLimit(app, max_in_flight)  # type: ignore[arg-type]
    await serve_capped(limited, config, host, port, shutdown, max_connections, send_seconds, task_status=task_status)
