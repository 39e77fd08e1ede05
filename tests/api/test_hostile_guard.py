"""Who may talk to the server (issue 13, item 6): the Host check, and opt-in SigV4 verification.

SigV4 errors as AWS names them for JSON-protocol services (MissingAuthenticationTokenException,
UnrecognizedClientException, InvalidSignatureException):
https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html
"""

from __future__ import annotations

from typing import Iterator

import boto3
import httpx
import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError
from postgres_server import fresh_db
from serving import ServerThread

from asl_engine.api.app import create_app
from asl_engine.config import Config

AWS = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions.ListStateMachines"}


def post(url: str, host: str | None = None, **headers: str) -> httpx.Response:
    extra = {"Host": host} if host is not None else {}
    return httpx.post(url + "/", content=b"{}", headers={**AWS, **extra, **headers})


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1.nip.io:{port}", "sync-evil.example"])
def test_a_host_it_does_not_serve_is_refused(server, host):
    """DNS rebinding: a page's own name pointed at 127.0.0.1 arrives with that name in Host."""
    refused = post(server.url, host.format(port=server.port))
    assert refused.status_code == 403
    assert refused.json()["__type"] == "AccessDeniedException"
    assert "ASL_ENGINE_ALLOWED_HOSTS" in refused.json()["message"]
    rest = httpx.get(f"{server.url}/state-machines/x", headers={"Host": "evil.example"})
    assert rest.status_code == 403


@pytest.mark.parametrize("host", [
    "127.0.0.1:{port}", "localhost:{port}", "LOCALHOST", "sync-127.0.0.1:{port}", "sync-localhost:{port}",
    "[::1]:{port}", "10.0.0.7:{port}", "api.localhost:{port}", "localhost.:{port}",
])
def test_loopback_names_and_addresses_are_served(server, host):
    assert post(server.url, host.format(port=server.port)).status_code == 200


def client(url: str, access_key: str, secret: str = "testing"):
    return boto3.client("stepfunctions", endpoint_url=url, region_name="us-east-1", aws_access_key_id=access_key,
                        aws_secret_access_key=secret, config=BotoConfig(retries={"max_attempts": 0}))


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    """A server that verifies SigV4 against two keys and also answers to the name `sfn`."""
    config = Config(db_path=fresh_db(tmp_path_factory.mktemp("guarded"), "g.db"), clock="virtual",
                    allowed_hosts=("sfn",), credentials={"AKIDGOOD": "testing", "111122223333": "testing"})
    thread = ServerThread(create_app(config))
    thread.start()
    yield thread
    thread.stop()


def test_a_configured_host_name_is_served(guarded):
    response = httpx.get(f"{guarded.url}/state-machines/x", headers={"Host": f"sfn:{guarded.port}"})
    assert response.json()["__type"] == "MissingAuthenticationTokenException"  # past the Host check
    assert httpx.get(f"{guarded.url}/state-machines/x", headers={"Host": "other"}).status_code == 403


def _code(call) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return str(caught.value.response["Error"]["Code"])


def test_sigv4_signed_requests_are_served_and_others_refused(guarded):
    assert client(guarded.url, "AKIDGOOD").list_state_machines()["stateMachines"] == []
    assert _code(client(guarded.url, "AKIDGOOD", "not-the-secret").list_state_machines) == "InvalidSignatureException"
    assert _code(client(guarded.url, "AKIDUNKNOWN").list_state_machines) == "UnrecognizedClientException"
    unsigned = post(guarded.url)
    assert unsigned.status_code == 403 and unsigned.json()["__type"] == "MissingAuthenticationTokenException"
    assert httpx.get(f"{guarded.url}/executions/x").json()["__type"] == "MissingAuthenticationTokenException"
    assert httpx.get(f"{guarded.url}/ui/").status_code == 403  # a browser cannot sign
    assert httpx.get(f"{guarded.url}/health").status_code == 200  # readiness probes need no key


def test_a_signature_does_not_cover_another_body(guarded):
    """Replaying a signed request's headers with a different body is refused."""
    captured = {}
    signed = client(guarded.url, "AKIDGOOD")

    def keep(request, **_):
        captured["r"] = request  # returns None: botocore then sends it

    signed.meta.events.register("before-send", keep)
    signed.list_state_machines()
    request = captured["r"]
    headers = {key: value.decode() if isinstance(value, bytes) else value for key, value in request.headers.items()
               if key.lower() != "content-length"}
    assert httpx.post(guarded.url + "/", content=request.body, headers=headers).status_code == 200
    tampered = httpx.post(guarded.url + "/", content=b'{"maxResults": 5}', headers=headers)
    assert tampered.status_code == 400 and tampered.json()["__type"] == "InvalidSignatureException"


def test_a_signing_twelve_digit_key_still_selects_the_account(guarded):
    arn = client(guarded.url, "111122223333").create_activity(name="mine")["activityArn"]
    assert ":111122223333:" in arn


def test_a_signed_rest_request_with_a_query_string_is_served(guarded):
    """What `curl --aws-sigv4 "aws:amz:us-east-1:states"` sends: a signed GET with a query string."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = f"{guarded.url}/executions/arn:aws:states:us-east-1:123456789012:execution:m:e/history?reverseOrder=true"
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials("AKIDGOOD", "testing"), "states", "us-east-1").add_auth(request)
    answer = httpx.get(url, headers=dict(request.headers.items()))
    assert answer.status_code == 404 and answer.json()["__type"] == "ExecutionDoesNotExist"  # past the check
