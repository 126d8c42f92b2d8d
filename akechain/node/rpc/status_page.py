"""`GET /`: the node's status page, one inline HTML file (no CDN or external fetch; the CSP header
makes a browser refuse any) that reads the node's own JSON API and `/events` stream."""
from __future__ import annotations

from importlib.resources import files

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

PAGE = files("akechain.node.rpc").joinpath("static/status.html").read_bytes()
# Everything from this origin only; the page's own inline script and style.
POLICY = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'"


async def status_page(request: Request) -> Response:
    return HTMLResponse(PAGE, headers={"Content-Security-Policy": POLICY, "Cache-Control": "no-cache"})
