"""A web app with several worker processes, as users run one: `openllmetry.init()` at import.

`wsgi` for gunicorn's sync workers, `asgi` (Starlette) for uvicorn and gunicorn's UvicornWorker.
GET /call?model=M[&fail=500] makes one chat call to the mock provider (MOCK_URL) and answers with
this worker's pid; GET /pid only answers the pid.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

import openai
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import openllmetry
from opentelemetry.exporter.prometheus import PrometheusMetricReader

openllmetry.init(os.environ.get("APP_NAME", "multiprocess-app"), metric_readers=[PrometheusMetricReader()])

_clients: dict[int, openai.OpenAI] = {}


def call(model: str, fail: str | None) -> int:
    client = _clients.get(os.getpid())  # one per process: a forked worker must not share its parent's
    if client is None:
        client = _clients[os.getpid()] = openai.OpenAI(
            base_url=os.environ["MOCK_URL"], api_key="sk-test", max_retries=0
        )
    headers = {"x-mock-fail": fail} if fail else {}
    try:
        client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "hello there"}], extra_headers=headers
        )
    except openai.APIError:
        if not fail:
            raise
    return os.getpid()


def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    pid = os.getpid()
    if environ.get("PATH_INFO") == "/call":
        pid = call(query.get("model", "gpt-4o-mini"), query.get("fail"))
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({"pid": pid}).encode()]


async def _call(request: Request) -> JSONResponse:
    query = request.query_params
    pid = await run_in_threadpool(call, query.get("model", "gpt-4o-mini"), query.get("fail"))
    return JSONResponse({"pid": pid})


async def _pid(request: Request) -> JSONResponse:
    return JSONResponse({"pid": os.getpid()})


asgi = Starlette(routes=[Route("/call", _call), Route("/pid", _pid)])
