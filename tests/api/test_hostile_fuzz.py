"""Fuzzing both APIs: no request, however malformed, gets a 5xx (issue 13, item 5).

Bodies are built from botocore's own model of every Step Functions operation (the members a real
client sends), with hostile values: unpaired surrogates, NaN and Infinity, 1e400, deep nesting,
bytes that are not UTF-8, wrong types, truncation. AWS answers every bad request with a 4xx in its
error shape (https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html).
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import botocore.session
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from postgres_server import fresh_db
from serving import ServerThread

from asl_engine.api.actions import ACTIONS
from asl_engine.api.app import create_app
from asl_engine.config import Config

EXAMPLES = 1_200  # per API: 2,400 requests, under 30 s in all on a busy 2-core machine
MODEL = botocore.session.get_session().get_service_model("stepfunctions")
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
JSONATA = json.dumps({"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {
    "Type": "Pass", "Output": "{% $states.input %}", "End": True}}})

surrogates = st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3)
hostile_strings = st.sampled_from([
    "", " ", "{}", '{"a": NaN}', "[Infinity]", '{"a": -Infinity}', '{"a": 1e400}', '"\\ud800"', '{"\\udc00": 1}',
    "[" * 600 + "]" * 600, "[" * 5000, "\x00", "a" * 300, "null", PASS, JSONATA, "sync-", "%ff", "../..",
    "arn:aws:states:us-east-1:123456789012:stateMachine:fuzz",
    "arn:aws:states:us-east-1:123456789012:execution:fuzz:x",
    "arn:aws:states:us-east-1:123456789012:activity:fuzz",
    "arn:aws:states:us-east-1:123456789012:stateMachine:fuzz:1",
    "AQ" + "x" * 64,
])
texts = st.one_of(st.text(max_size=20), surrogates, hostile_strings,
                  st.builds(lambda a, b: a + b, hostile_strings, surrogates))
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                    st.floats(allow_nan=False, allow_infinity=False), texts)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
                      max_leaves=8)


@st.composite
def aws_bodies(draw: st.DrawFn) -> tuple[str, bytes]:
    """(action, raw body): model members with hostile values, then perhaps broken as bytes."""
    action = draw(st.sampled_from([*sorted(ACTIONS), "NoSuchAction"]))
    members = list(MODEL.operation_model(action).input_shape.members) if action in ACTIONS else ["x"]
    chosen = draw(st.lists(st.sampled_from(members), max_size=len(members), unique=True)) if members else []
    body: Any = {name: draw(values) for name in chosen}
    if draw(st.integers(0, 9)) == 0:
        body = draw(values)  # not even an object
    raw = json.dumps(body).encode()
    return action, draw(breakages(raw))


def breakages(raw: bytes) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.just(raw), st.just(raw), st.just(raw),
        st.just(raw.replace(b"0", b"NaN", 1)), st.just(raw.replace(b"1", b"1e400", 1)),
        st.just(raw.replace(b"0", b"Infinity", 1)),
        st.just(b"[" * 3000 + raw + b"]" * 3000), st.just(b'{"a":' * 2000 + raw + b"}" * 2000),
        st.integers(0, max(len(raw) - 1, 0)).map(lambda cut: raw[:cut]),
        st.binary(max_size=40).map(lambda junk: raw[:5] + junk + raw[5:]),
        st.just(b"\xff\xfe" + raw), st.just(raw.replace(b'"', b'"\xc3', 1)),
    )


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    config = Config(db_path=fresh_db(tmp_path_factory.mktemp("fuzz"), "fuzz.db"), clock="virtual",
                    activity_poll_seconds=0.01)
    thread = ServerThread(create_app(config))
    thread.start()
    yield thread
    thread.stop()


@pytest.fixture(scope="module")
def http(fuzz_server: ServerThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fuzz_server.url, timeout=30) as client:
        yield client


def _check(response: httpx.Response, aws: bool) -> None:
    """No 5xx; on the AWS protocol an error is in AWS's shape (the REST API also answers
    Starlette's own 404, 405 and 422 for routes, methods and query parameters it does not have)."""
    assert response.status_code < 500, response.text
    if aws and response.status_code >= 400:
        assert "__type" in response.json(), response.text


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(aws_bodies())
def test_the_aws_protocol_answers_no_5xx(http: httpx.Client, request: tuple[str, bytes]) -> None:
    action, body = request
    _check(http.post("/", content=body, headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"AWSStepFunctions.{action}"}), aws=True)


names = st.one_of(st.text(alphabet="abcXYZ-_09", min_size=1, max_size=12), texts.filter(bool),
                  st.sampled_from(["%ff", "%2F", "a%00b", "..", "x" * 100]))


@st.composite
def rest_requests(draw: st.DrawFn) -> tuple[str, str, bytes, dict[str, str], dict[str, str]]:
    name = draw(names)
    method, path = draw(st.sampled_from([
        ("PUT", "/state-machines/{}"), ("GET", "/state-machines/{}"), ("DELETE", "/state-machines/{}"),
        ("POST", "/state-machines/{}/executions"), ("GET", "/executions/{}"), ("GET", "/executions/{}/history"),
        ("PATCH", "/state-machines/{}"), ("GET", "/nothing/{}"),
    ]))
    body = draw(st.one_of(st.sampled_from([PASS, JSONATA, "", "{}"]).map(str.encode), aws_bodies().map(lambda r: r[1])))
    content_type = draw(st.sampled_from(["application/json", "application/yaml", "text/plain", "",
                                         "application/json; charset=latin-1", "application/x-amz-json-1.0"]))
    query = draw(st.dictionaries(st.sampled_from(["name", "type", "roleArn", "reverseOrder",
                                                   "includeExecutionData"]), texts, max_size=2))
    headers = {"Content-Type": content_type} if content_type else {}
    return method, path.format(name), body, headers, query


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(rest_requests())
def test_the_rest_api_answers_no_5xx(http: httpx.Client, request: tuple[str, str, bytes, dict, dict]) -> None:
    method, path, body, headers, query = request
    try:
        url = httpx.URL(path, params=query)
    except (httpx.InvalidURL, UnicodeEncodeError):
        return  # a URL no client can send
    try:
        response = http.request(method, url, content=body, headers=headers)
    except UnicodeEncodeError:
        return  # an unpaired surrogate has no form in a URL
    _check(response, aws=False)
