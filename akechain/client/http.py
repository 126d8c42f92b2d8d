"""A small HTTP client for a node's JSON API (used by the CLI, the devnet, benchmarks and tests)."""
from __future__ import annotations

from typing import Any

import httpx


NEXT_CURSOR_HEADER = "X-Next-Cursor"  # a list endpoint's next page (the node's rpc.market.NEXT_CURSOR_HEADER)


class NodeClientError(Exception):
    """The node could not be reached or answered with an error."""


class NotFoundError(NodeClientError):
    """The node answered 404: no such tx, block, provider, job or escrow."""


class NodeClient:
    def __init__(self, url: str, timeout: float = 40.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "NodeClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._request(method, path, **kwargs)[0]

    def _request(self, method: str, path: str, **kwargs: Any) -> tuple[Any, httpx.Response]:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise NodeClientError(f"cannot reach node at {self.url}: {exc}") from None
        try:
            doc = response.json()
        except ValueError:
            raise NodeClientError(f"{method} {path}: HTTP {response.status_code}, not JSON") from None
        if response.status_code == 404:
            raise NotFoundError(f"{method} {path}: {doc.get('error', doc)}")
        if response.status_code >= 400 and response.status_code != 422:
            raise NodeClientError(f"{method} {path}: HTTP {response.status_code}: {doc.get('error', doc)}")
        return doc, response

    def _list(self, path: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """Every item of a paginated list endpoint, following its cursors page by page."""
        items: list[dict[str, Any]] = []
        params = dict(params or {})
        while True:
            page, response = self._request("GET", path, params=params)
            items.extend(page)
            cursor = response.headers.get(NEXT_CURSOR_HEADER)
            if cursor is None:
                return items
            params["cursor"] = cursor

    def status(self) -> dict[str, Any]:
        return self._call("GET", "/status")

    def params(self) -> dict[str, Any]:
        return self._call("GET", "/params")

    def account(self, address: str, prove: bool = False) -> dict[str, Any]:
        return self._call("GET", f"/accounts/{address}", params={"prove": "true"} if prove else None)

    def block(self, height: int | None = None) -> dict[str, Any]:
        return self._call("GET", f"/blocks/{'latest' if height is None else height}")

    def tx(self, tx_hash: str) -> dict[str, Any]:
        return self._call("GET", f"/txs/{tx_hash}")

    def submit(self, tx: bytes, wait_commit: bool = False) -> dict[str, Any]:
        params = {"wait": "commit"} if wait_commit else None
        return self._call("POST", "/txs", content=tx.hex(), params=params)

    # -- market

    def providers(self) -> list[dict[str, Any]]:
        return self._list("/providers")

    def provider(self, address: str) -> dict[str, Any]:
        return self._call("GET", f"/providers/{address}")

    def jobs(self, include_closed: bool = False) -> list[dict[str, Any]]:
        return self._list("/jobs", {"all": "true"} if include_closed else None)

    def job(self, job_id: int) -> dict[str, Any]:
        return self._call("GET", f"/jobs/{job_id}")

    def leases(self, job_id: int | None = None, provider: str | None = None) -> list[dict[str, Any]]:
        params = {name: str(value) for name, value in (("job", job_id), ("provider", provider)) if value is not None}
        return self._list("/leases", params)

    def challenges(self, referee: str | None = None, open_only: bool = False) -> list[dict[str, Any]]:
        params = {"open": "true"} if open_only else {}
        if referee is not None:
            params["referee"] = referee
        return self._list("/challenges", params)

    def escrow(self, job_id: int) -> dict[str, Any]:
        return self._call("GET", f"/escrow/{job_id}")

    def reputation(self, address: str) -> dict[str, Any]:
        return self._call("GET", f"/reputation/{address}")

    def market_params(self) -> dict[str, Any]:
        return self._call("GET", "/market/params")

    # -- staking

    def validators(self) -> list[dict[str, Any]]:
        return self._call("GET", "/validators")

    def validator(self, address: str) -> dict[str, Any]:
        return self._call("GET", f"/validators/{address}")

    def delegations(self, address: str) -> list[dict[str, Any]]:
        return self._call("GET", f"/delegations/{address}")

    def unbonding(self, address: str) -> dict[str, Any]:
        return self._call("GET", f"/unbonding/{address}")

    def staking_params(self) -> dict[str, Any]:
        return self.params()["staking"]

    # -- slashing

    def signing_info(self, address: str) -> dict[str, Any]:
        return self._call("GET", f"/signing-info/{address}")

    def slashing_params(self) -> dict[str, Any]:
        return self.params()["slashing"]

    # -- bridge

    def bridge(self, view: str) -> Any:
        """`/bridge/{view}`: transfers, batches, valsets, claims, params or state."""
        return self._call("GET", f"/bridge/{view}")

    def bridge_orchestrator(self, address: str) -> dict[str, Any]:
        return self._call("GET", f"/bridge/orchestrators/{address}")

    # -- upgrade

    def upgrade_plan(self) -> dict[str, Any]:
        return self._call("GET", "/upgrade/plan")

    def upgrade_applied(self) -> dict[str, Any]:
        return self._call("GET", "/upgrade/applied")

    def upgrade_versions(self) -> dict[str, Any]:
        return self._call("GET", "/upgrade/versions")

    # -- distribution

    def rewards(self, address: str) -> dict[str, Any]:
        return self._call("GET", f"/rewards/{address}")

    def commission(self, address: str) -> dict[str, Any]:
        return {"validator": address, "commission": self.rewards(address)["commission"]}

    def distribution_params(self) -> dict[str, Any]:
        return self.params()["distribution"]

    # -- gov

    def proposals(self) -> list[dict[str, Any]]:
        return self._list("/proposals", {})

    def proposal(self, proposal_id: int) -> dict[str, Any]:
        return self._call("GET", f"/proposals/{proposal_id}")

    def proposal_votes(self, proposal_id: int) -> list[dict[str, Any]]:
        return self._call("GET", f"/proposals/{proposal_id}/votes")

    def proposal_tally(self, proposal_id: int) -> dict[str, Any]:
        return self._call("GET", f"/proposals/{proposal_id}/tally")

    def treasury(self) -> dict[str, Any]:
        return self._call("GET", "/treasury")

    def grants(self, owner: str) -> dict[str, Any]:
        return self._call("GET", f"/grants/{owner}")

    def guardian(self) -> dict[str, Any]:
        return self._call("GET", "/guardian")

    def kpi(self) -> dict[str, Any]:
        return self._call("GET", "/kpi")

    def gov_params(self) -> dict[str, Any]:
        return self.params()["gov"]
