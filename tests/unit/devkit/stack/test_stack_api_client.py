"""The REST client the demo and e2e tests drive: reads survive a busy api-server, writes are sent once."""

from __future__ import annotations

import http.server
import json
import threading
from typing import TYPE_CHECKING

import pytest

from emr_dags_devkit.stack import api as api_module
from emr_dags_devkit.stack.api import AirflowApiError, AirflowClient

if TYPE_CHECKING:
    from collections.abc import Iterator


class _Server(http.server.ThreadingHTTPServer):
    answers: list[int | tuple[int, dict]]  # a status, or a status and the JSON body to send
    seen: list[str]


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def _answer(self) -> None:
        self.server.seen.append(f"{self.command} {self.path}")
        answer = self.server.answers.pop(0) if self.server.answers else 200
        code, payload = answer if isinstance(answer, tuple) else (answer, None)
        if payload is None:
            payload = {"state": "ok"} if code == 200 else {"detail": "database is locked"}
        body = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Server]:
    monkeypatch.setattr(api_module.time, "sleep", lambda s: None)
    srv = _Server(("127.0.0.1", 0), _Handler)
    srv.answers, srv.seen = [], []
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()


def _client(srv: _Server) -> AirflowClient:
    client = AirflowClient(f"http://127.0.0.1:{srv.server_address[1]}", "admin", "pw")
    client._token = "t"
    return client


def test_a_read_is_retried_through_5xx_answers(server):
    server.answers = [500, 503]
    assert _client(server).get("/api/v2/dags/x") == {"state": "ok"}
    assert server.seen == ["GET /api/v2/dags/x"] * 3


def test_a_read_gives_up_after_its_attempts_with_the_last_answer(server):
    server.answers = [503] * 10
    with pytest.raises(AirflowApiError, match="HTTP 503: .*database is locked") as info:
        _client(server).get("/api/v2/dags/x")
    assert info.value.status == 503
    assert len(server.seen) == AirflowClient.read_attempts


def test_a_client_error_is_not_retried(server):
    server.answers = [404]
    with pytest.raises(AirflowApiError, match="HTTP 404"):
        _client(server).get("/api/v2/dags/missing")
    assert len(server.seen) == 1


def test_a_write_is_sent_once_even_on_5xx(server):
    server.answers = [503]
    with pytest.raises(AirflowApiError, match="HTTP 503"):
        _client(server).trigger("d")  # no run id: cannot tell whether it landed
    assert server.seen == ["POST /api/v2/dags/d/dagRuns"]


def test_a_trigger_with_a_run_id_that_landed_despite_a_5xx_is_not_sent_again(server):
    server.answers = [503]  # the POST fails, the look-up finds the run
    assert _client(server).trigger("d", run_id="r") == {"state": "ok"}
    assert server.seen == ["POST /api/v2/dags/d/dagRuns", "GET /api/v2/dags/d/dagRuns/r"]


def test_a_trigger_with_a_run_id_is_resent_when_it_did_not_land(server):
    server.answers = [503, 404]  # POST fails, look-up: not there, POST again: ok
    assert _client(server).trigger("d", run_id="r") == {"state": "ok"}
    assert server.seen == [
        "POST /api/v2/dags/d/dagRuns",
        "GET /api/v2/dags/d/dagRuns/r",
        "POST /api/v2/dags/d/dagRuns",
    ]


def test_an_unreachable_api_server_is_named_after_the_retries(monkeypatch):
    monkeypatch.setattr(api_module.time, "sleep", lambda s: None)
    client = AirflowClient("http://127.0.0.1:9", "a", "b")  # discard port: connection refused
    client._token = "t"
    with pytest.raises(AirflowApiError, match="no answer after 4 tries"):
        client.get("/api/v2/dags")


TI = "GET /api/v2/dags/d/dagRuns/r%2F1/taskInstances/g.t"


def test_a_clear_that_landed_despite_a_5xx_is_not_sent_again(server):
    # Airflow 3 gives a cleared task instance a new id: that is how a landed clear is recognised.
    server.answers = [(200, {"id": "try-1"}), 503, (200, {"id": "try-2"})]
    assert _client(server).clear_task("d", "r/1", "g.t") == {"id": "try-2"}
    assert server.seen == [TI, "POST /api/v2/dags/d/clearTaskInstances", TI]


def test_a_clear_that_did_not_land_is_sent_again(server):
    server.answers = [(200, {"id": "try-1"}), 503, (200, {"id": "try-1"}), 200]
    assert _client(server).clear_task("d", "r/1", "g.t") == {"state": "ok"}
    clear = "POST /api/v2/dags/d/clearTaskInstances"
    assert server.seen == [TI, clear, TI, clear]


def test_marking_a_task_failed_is_read_back_after_a_5xx(server):
    server.answers = [503, (200, {"state": "failed"})]
    assert _client(server).set_task_state("d", "r/1", "g.t", "failed") == {"state": "failed"}
    assert server.seen == ["PATCH /api/v2/dags/d/dagRuns/r%2F1/taskInstances/g.t", TI]


def test_a_rejected_write_is_not_retried(server):
    server.answers = [(200, {"id": "try-1"}), 409]
    with pytest.raises(AirflowApiError, match="HTTP 409"):
        _client(server).clear_task("d", "r/1", "g.t")
    assert len(server.seen) == 2


def test_unpause_is_sent_again_after_a_5xx(server):
    server.answers = [502]
    _client(server).unpause("d")
    assert server.seen == ["PATCH /api/v2/dags/d"] * 2


def test_a_write_waits_longer_than_sqlites_busy_timeout():
    # A write may wait out the stack's SQLite busy timeout before it even starts.
    from emr_dags_devkit.stack.compose import SQLITE_BUSY_TIMEOUT_S

    assert AirflowClient.write_timeout > SQLITE_BUSY_TIMEOUT_S
