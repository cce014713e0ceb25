"""A protocol registered from outside the package gets routes with path parameters and every shared fault."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request

import pytest

from llm_mock import MockProvider
from llm_mock.exchange import Call, Frame, Reply, StreamReply
from llm_mock.registry import Protocol, protocol, register


def _acme_error(status: int, message: str, param: str | None = None) -> Reply:
    return Reply({"acme_error": message}, status=status, headers={"x-acme-error": str(status)})


ACME = register(
    Protocol("acme-test", error_reply=_acme_error, request_id_header="x-acme-id", base_path="/acme")
)


@ACME.route("POST", "/acme/models/{model}:generate")
def _generate(call: Call) -> Reply | StreamReply:
    words = ["one", "two", "three"]
    if call.body_dict().get("stream"):
        frames = [Frame(json.dumps({"w": w}).encode() + b"\n", token=True) for w in words]
        return StreamReply(frames, content_type="application/x-ndjson")
    return Reply({"model": call.params["model"], "text": " ".join(words)})


def _post(url: str, headers: dict[str, str] | None = None, stream: bool = False) -> tuple[int, dict, bytes]:
    data = json.dumps({"stream": stream}).encode()
    request = urllib.request.Request(
        url, data=data, headers={"content-type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()


def test_route_with_path_parameters(mock_provider: MockProvider) -> None:
    assert protocol("acme-test") is ACME
    base = mock_provider.base_url("acme-test")
    assert base == mock_provider.url + "/acme"
    status, headers, body = _post(base + "/models/a%3Ab:generate")
    assert status == 200 and json.loads(body) == {"model": "a:b", "text": "one two three"}
    assert headers["x-acme-id"].startswith("req_")
    status, headers, body = _post(base + "/models/m:generate", stream=True)
    assert headers["Content-Type"] == "application/x-ndjson"
    assert [json.loads(line)["w"] for line in body.splitlines()] == ["one", "two", "three"]


@pytest.mark.parametrize("status", [429, 503])
def test_injected_errors_use_the_protocols_format(mock_provider: MockProvider, status: int) -> None:
    code, headers, body = _post(
        mock_provider.base_url("acme-test") + "/models/m:generate", {"x-mock-fail": str(status)}
    )
    assert code == status and headers["x-acme-error"] == str(status)
    assert json.loads(body)["acme_error"].endswith("(injected by llm-mock).")
    assert ("retry-after-ms" in headers) is (status == 429)


def test_cut_stream_and_unknown_path(mock_provider: MockProvider) -> None:
    url = mock_provider.base_url("acme-test") + "/models/m:generate"
    request = urllib.request.Request(
        url, data=b'{"stream": true}', headers={"x-mock-fail": "cut", "x-mock-cut-after": "1"}
    )
    with urllib.request.urlopen(request, timeout=5) as response, pytest.raises(http.client.IncompleteRead):
        response.read()
    assert _post(mock_provider.url + "/acme/nope")[0] == 404
    assert mock_provider.base_url("openai") == mock_provider.openai_base_url
