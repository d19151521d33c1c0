"""`protocolbot serve` as operations run it: a subprocess on a free port, with health,
readiness and metrics; two replicas on one PostgreSQL; the database going away and coming back
(a TCP relay cut and restored); SIGTERM during a request; broken knowledge at start and at
reload; `config check`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from loopback import ROOT, Loop, TcpProxy, free_port, serve
from test_slack_app import SECRET, Person, Servers, blocks_text, dm, load

DRAFT = "Mag ik dit posten: mijn baas is een klootzak"


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _wait_until(condition, what: str, timeout: float = 60) -> None:
    """Wait (not a timing assertion) until `condition()` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"never: {what}")


class Replica:
    """One `protocolbot serve` process with Slack pointed at the loopback Web API fake."""

    def __init__(self, slack: Servers, tmp_path: Path, database: str | None = None, **env) -> None:
        self.port = free_port()
        settings = {
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": f"{slack.fake.url}/api/",
            "PROTOCOLBOT_SYNC_SECONDS": "0.2",
            **env,
        }
        if database:
            settings["PROTOCOLBOT_DATABASE_URL"] = database
        self.process = serve(settings, tmp_path, self.port)
        self.base = f"http://127.0.0.1:{self.port}"
        self.events = f"{self.base}/slack/events"
        _wait_until(lambda: _get(f"{self.base}/healthz")[0] == 200, "serve answers /healthz")

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        _, err = self.process.communicate(timeout=60)
        return err


@pytest.fixture()
def slack():
    servers = Servers(None)  # only the Web API fake; the bot runs as a subprocess
    yield servers
    servers.close()


def _log_lines(err: str) -> list[dict]:
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


def test_health_readiness_metrics_and_privacy_safe_logs(slack, tmp_path):
    replica = Replica(slack, tmp_path, PROTOCOLBOT_LOG_LEVEL="DEBUG")  # even at DEBUG
    try:
        status, body = _get(f"{replica.base}/readyz")
        assert status == 200 and json.loads(body)["store"] == "ok"
        slack.url = replica.events
        assert slack.event(dm(DRAFT, "Ev0METRICS")) == 200
        [post] = slack.wait_for("chat.postMessage")
        assert "STOP" in blocks_text(post)
        status, metrics = _get(f"{replica.base}/metrics")
        assert status == 200
        assert 'protocolbot_reviews_total{verdict="stop"} 1.0' in metrics
        assert 'route="/slack/events",status="200"' in metrics
        assert "protocolbot_http_request_duration_seconds_bucket" in metrics
        assert "protocolbot_knowledge_info{version=" in metrics
        assert "protocolbot_store_up 1.0" in metrics
        assert "U0ANN" not in metrics and "klootzak" not in metrics
    finally:
        err = replica.stop()
    lines = _log_lines(err)
    turns = [line for line in lines if line["msg"] == "turn"]
    assert turns and turns[0]["verdict"] == "stop" and turns[0]["rules"] == [8]  # insults
    assert turns[0]["correlation_id"] == "Ev0METRICS" and len(turns[0]["user"]) == 16
    assert any(line["msg"] == "request" and line["route"] == "/slack/events" for line in lines)
    assert "klootzak" not in err and "U0ANN" not in err  # no draft, no user id in clear
    assert lines[-1]["msg"] == "store closed; stopped"


def test_two_replicas_on_one_postgresql_share_conversations_and_answer_a_retry_once(
    slack, tmp_path, pg_url
):
    first = Replica(slack, tmp_path / "a", pg_url)
    second = Replica(slack, tmp_path / "b", pg_url)
    try:
        ann = Person(slack, "U0ANN")
        slack.url = first.events
        assert slack.event(dm(DRAFT, "Ev0REPLICAS")) == 200
        slack.wait_for("chat.postMessage")
        slack.url = second.events  # the load balancer sends the click to the other replica
        ann.click("Ik twijfel nog", after=1)
        answer = slack.fake.called("response_url")[-1]
        assert "twijfel" in blocks_text(answer).lower() and "Ja" in blocks_text(answer)
        # Slack retries the first event; it lands on the second replica: answered once
        assert slack.event(dm(DRAFT, "Ev0REPLICAS"), headers={"X-Slack-Retry-Num": "1"}) == 200
        time.sleep(0.5)
        assert len(slack.fake.called("chat.postMessage")) == 1
    finally:
        first.stop()
        second.stop()


def _slash(slack: Servers, user: str, text: str) -> int:
    fields = load("slash_command.json")
    fields.update(text=text, user_id=user, response_url=f"{slack.fake.url}/respond/{user}")
    return slack.form(fields)


def test_a_reload_on_one_replica_reaches_the_other(slack, tmp_path, pg_url):
    import shutil

    knowledge = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    env = {"PROTOCOLBOT_KNOWLEDGE_DIR": str(knowledge)}
    first = Replica(slack, tmp_path / "a", pg_url, **env)
    second = Replica(slack, tmp_path / "b", pg_url, **env)
    try:
        version = json.loads(_get(f"{second.base}/readyz")[1])["knowledge"]
        profile = knowledge / "organisation.yaml"
        profile.write_text(
            profile.read_text(encoding="utf-8").replace("Gemeente Hofstede", "Gemeente Nieuwstede"),
            encoding="utf-8",
        )
        slack.url = first.events
        assert _slash(slack, "integrity-admin", "reload") == 200
        slack.wait_for("response_url")
        _wait_until(
            lambda: json.loads(_get(f"{second.base}/readyz")[1])["knowledge"] != version,
            "the second replica reloads",
        )
    finally:
        first.stop()
        second.stop()


def test_the_database_going_away_and_coming_back(slack, tmp_path, pg_url):
    relay_loop = Loop()
    proxy = TcpProxy(relay_loop, "127.0.0.1", 5432)
    proxy.start()
    parts = urllib.parse.urlsplit(pg_url)
    via_proxy = urllib.parse.urlunsplit(parts._replace(netloc=f"postgres@127.0.0.1:{proxy.port}"))
    replica = Replica(slack, tmp_path, via_proxy)
    try:
        ann = Person(slack, "U0ANN")
        slack.url = replica.events
        slack.event(dm(DRAFT, "Ev0OUT1"))
        slack.wait_for("chat.postMessage")
        proxy.stop()  # PostgreSQL is gone
        _wait_until(lambda: _get(f"{replica.base}/readyz")[0] == 503, "/readyz turns red")
        assert slack.event(dm(DRAFT, "Ev0OUT2")) == 200
        [_, during] = slack.wait_for("chat.postMessage", 2)
        shown = blocks_text(during)
        assert "STOP" in shown and "even niet bereikbaar" in shown  # still reviewed
        ann.click("Ik twijfel nog", after=1)
        assert "even niet bereikbaar" in blocks_text(slack.fake.called("response_url")[-1])
        proxy.start()  # it is back: no restart needed
        _wait_until(lambda: _get(f"{replica.base}/readyz")[0] == 200, "/readyz turns green")
        ann.click("Ik twijfel nog", after=1)
        answer = blocks_text(slack.fake.called("response_url")[-1])
        assert "even niet bereikbaar" not in answer and "Ja" in answer
    finally:
        replica.stop()
        relay_loop.close()


def test_sigterm_finishes_the_request_in_flight_then_stops(tmp_path):
    from test_teams_app import Person as TeamsPerson
    from test_teams_app import Servers as TeamsServers

    teams = TeamsServers(None)  # only the fakes: the bot is the subprocess
    teams.connector.delay = 2.0  # the reply takes a while to post
    port = free_port()
    process = serve({"TEAMS_ALLOW_ANONYMOUS": "true"}, tmp_path, port)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until(lambda: _get(f"{base}/healthz")[0] == 200, "serve is up")
        teams.url = f"{base}/api/messages"
        ann = TeamsPerson(teams, "ann", "Ann Jansen")
        result: dict = {}

        def send() -> None:
            result["status"] = teams.post(ann.activity(text=DRAFT), token=None)[0]

        sender = threading.Thread(target=send)
        sender.start()
        _wait_until(lambda: teams.connector.sent or False, "the reply is on its way", 30)
        process.send_signal(signal.SIGTERM)  # mid-request
        sender.join(30)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
        teams.close()
    assert result["status"] == 202  # the request in flight was finished
    assert process.returncode == 0
    assert "STOP" in json.dumps(teams.connector.sent[0]["activity"], ensure_ascii=False)
    assert _log_lines(err)[-1]["msg"] == "store closed; stopped"


def test_a_broken_knowledge_volume_refuses_to_start_and_a_broken_reload_keeps_the_last_good(
    slack, tmp_path
):
    import shutil

    knowledge = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    cases = knowledge / "cases.yaml"
    good = cases.read_text(encoding="utf-8")
    cases.write_text(good + "\n  - id: [broken\n", encoding="utf-8")
    env = {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "PROTOCOLBOT_KNOWLEDGE_DIR": str(knowledge),
    }
    refused = serve(env, tmp_path)
    _, err = refused.communicate(timeout=60)
    assert refused.returncode == 2 and "cases.yaml:" in err and "not started" in err

    cases.write_text(good, encoding="utf-8")
    replica = Replica(slack, tmp_path, **{"PROTOCOLBOT_KNOWLEDGE_DIR": str(knowledge)})
    try:
        cases.write_text(good + "\n  - id: [broken\n", encoding="utf-8")
        slack.url = replica.events
        assert _slash(slack, "integrity-admin", "reload") == 200
        [answer] = slack.wait_for("response_url")
        assert "cases.yaml:" in blocks_text(answer)
        assert slack.event(dm(DRAFT, "Ev0AFTER")) == 200
        [post] = slack.wait_for("chat.postMessage")
        assert "STOP" in blocks_text(post)  # still the last good knowledge
    finally:
        replica.stop()


def test_config_check_masks_secrets_reads_env_files_and_names_each_problem(tmp_path):
    env_file = tmp_path / "protocolbot.env"
    env_file.write_text(
        "SLACK_BOT_TOKEN=xoxb-1111-2222-very-secret\n"
        "SLACK_SIGNING_SECRET=signing-secret-value\n"
        "PROTOCOLBOT_DATABASE_URL=postgresql://bot:hunter2@db.example:5432/protocolbot\n",
        encoding="utf-8",
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "MICROSOFT_", "TEAMS_", "PROTOCOLBOT_", "PORT"))
    }

    def check(**extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", "config", "check", "--env-file", str(env_file)],
            cwd=ROOT,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=60,
        )

    good = check(PORT="8080")
    assert good.returncode == 0, good.stderr
    assert "xoxb-… (26 characters)" in good.stdout and "very-secret" not in good.stdout
    assert "set (20 characters)" in good.stdout and "signing-secret-value" not in good.stdout
    assert "bot:****@db.example" in good.stdout and "hunter2" not in good.stdout
    assert "8080   [environment]" in good.stdout and f"[{env_file}]" in good.stdout
    bad = check(PORT="eighty", PROTOCOLBOT_LOG_LEVEL="loud", MICROSOFT_APP_ID="x")
    assert bad.returncode == 1
    assert "PORT: Input should be a valid integer" in bad.stderr
    assert "PROTOCOLBOT_LOG_LEVEL" in bad.stderr
    assert "MICROSOFT_APP_PASSWORD missing" in bad.stderr
