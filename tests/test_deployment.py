"""The deployment guide's services (docs/deployment.md), as an operator runs them.

A PostgreSQL server of the test's own (Debian's binaries, `make postgres`) holds Dagster's
runs, events and sensor state through the guide's deploy/dagster.yaml; the Dagster daemon
and the webserver run as the systemd units in deploy/systemd/ start them, with the
environment of deploy/kuntaseuranta.env.example. A delivery dropped into the inbox is
built by the daemon's sensor, its run is in PostgreSQL and in the webserver's API, and
the published warehouse has its figures; a wrong database password stops the daemon
with PostgreSQL's reason.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from orchestration.warehouse.paths import PROJECT_ROOT
from tests.deliveries import age, deliver

DEPLOY = PROJECT_ROOT / "deploy"
UNITS = {
    "daemon": DEPLOY / "systemd" / "kuntaseuranta-daemon.service",
    "webserver": DEPLOY / "systemd" / "kuntaseuranta-webserver.service",
}
ENV_EXAMPLE = DEPLOY / "kuntaseuranta.env.example"
INSTALL_DIR = "/opt/kuntaseuranta"  # where the guide clones the project
WEB_PORT = "3000"  # the webserver unit's port
# systemd's PATH for services: the units must not rely on an activated virtualenv.
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PASSWORD = "Kunta'seuranta 2023:ä"  # quoting and non-ASCII survive the connection string
RUN_TIMEOUT = 240.0
MIGRATE = [str(PROJECT_ROOT / ".venv" / "bin" / "dagster"), "instance", "migrate"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _postgres_bindir() -> Path:
    """Debian keeps PostgreSQL's server programs off PATH, one folder per major version."""
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3])
    )
    if debian:
        return debian[-1].parent
    found = shutil.which("initdb")
    assert found, "PostgreSQL's initdb is missing: `make test` installs it (Debian: postgresql)"
    return Path(found).parent


@dataclass
class Postgres:
    """A PostgreSQL server in a folder of its own, on a free port of 127.0.0.1."""

    bindir: Path
    folder: Path
    port: int
    as_user: list[str]  # root cannot run PostgreSQL: the server runs as `postgres`

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def run(self, program: str, *args: str) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [*self.as_user, str(self.bindir / program), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, f"{program} {args}: {done.stdout}{done.stderr}"
        return done

    def sql(self, statement: str, database: str = "postgres") -> str:
        """As the superuser, over the server's own Unix socket."""
        args = ["-h", str(self.folder), "-p", str(self.port), "-U", "postgres", "-d", database]
        return self.run("psql", *args, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", statement)


@contextlib.contextmanager
def postgres_server() -> Iterator[Postgres]:
    bindir = _postgres_bindir()
    # Not under pytest's tmp_path: its folders are private to the user running the tests.
    folder = Path(tempfile.mkdtemp(prefix="kuntaseuranta-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail("running as root needs the `postgres` user Debian's postgresql creates")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    server = Postgres(bindir, folder, _free_port(), as_user)
    started = False
    try:
        server.run(
            "initdb",
            *("-D", str(server.data), "-U", "postgres", "-E", "UTF8", "--no-sync"),
            *("--auth-local=trust", "--auth-host=scram-sha-256"),
        )
        options = (
            f"-p {server.port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c max_connections=60"
        )
        server.run(
            "pg_ctl", "-D", str(server.data), "-l", str(folder / "server.log"), "-o", options,
            "-w", "start",
        )  # fmt: skip
        started = True
        yield server
    finally:
        if started:
            subprocess.run(
                [*as_user, str(bindir / "pg_ctl"), "-D", str(server.data), "-m", "fast", "-w",
                 "stop"],
                capture_output=True,
                timeout=60,
            )  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as systemd's EnvironmentFile= reads them (no quotes used here)."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def exec_start(unit: Path, port: int | None = None) -> list[str]:
    """The unit's command, with the project where the guide installs it replaced by this
    checkout (and the webserver's port by a free one)."""
    line = next(
        line.partition("=")[2]
        for line in unit.read_text(encoding="utf-8").splitlines()
        if line.startswith("ExecStart=")
    )
    command = shlex.split(line.replace(INSTALL_DIR, str(PROJECT_ROOT)))
    if port is not None:
        assert command[command.index("-p") + 1] == WEB_PORT
        command[command.index("-p") + 1] = str(port)
    return command


@dataclass
class Deployment:
    postgres: Postgres
    env: dict[str, str]
    root: Path
    web_port: int
    wrong_password: subprocess.Popen | None = None
    migration: subprocess.Popen | None = None

    @property
    def home(self) -> Path:
        return Path(self.env["DAGSTER_HOME"])

    @property
    def inbox(self) -> Path:
        return Path(self.env["KUNTASEURANTA_INBOX"])

    @property
    def warehouse(self) -> Path:
        return Path(self.env["KUNTASEURANTA_WAREHOUSE"])

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.web_port}/graphql",
            data=json.dumps({"query": query, "variables": variables or {}}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.loads(response.read())
        assert "errors" not in answer, answer
        return answer["data"]

    def log_tail(self, lines: int = 60) -> str:
        parts = []
        for path in sorted(self.logs.glob("*.log")):
            text = path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
            parts.append(f"--- {path.name}\n" + "\n".join(text))
        return "\n".join(parts)

    def run_errors(self, run_id: str) -> str:
        """Why a run did not succeed: its events' messages and errors, and the logs."""
        events = self.graphql(EVENTS_QUERY, {"id": run_id})["logsForRun"].get("events", [])
        lines = [
            f"{e['__typename']}: {e.get('message', '')} {(e.get('error') or {}).get('message', '')}"
            for e in events
            if e["__typename"] in ("RunFailureEvent", "ExecutionStepFailureEvent", "EngineEvent")
        ]
        return "\n".join(lines) + "\n" + self.log_tail()

    def drop(self, period: str) -> Path:
        """Copy the embedded delivery into the inbox as `period` the way a finance
        system's export lands: written elsewhere, moved in whole (its files already
        older than the sensor's settling time)."""
        folder = deliver(self.root / "staging", period)
        age(folder)
        return folder.rename(self.inbox / period)

    def wait_for_run(self, delivery: str) -> dict:
        """The run the sensor started for a delivery, once it has finished."""
        deadline = time.monotonic() + RUN_TIMEOUT
        while True:
            runs = self.graphql(RUNS_QUERY, {"delivery": delivery})["runsOrError"]["results"]
            done = [r for r in runs if r["status"] in ("SUCCESS", "FAILURE", "CANCELED")]
            if done:
                return done[0]
            assert time.monotonic() < deadline, (
                f"no finished run for {delivery} after {RUN_TIMEOUT:.0f} s: {runs}\n"
                + self.log_tail()
            )
            time.sleep(1.0)


RUNS_QUERY = """
query ($delivery: String!) {
  runsOrError(filter: {tags: [{key: "delivery", value: $delivery}]}) {
    ... on Runs { results { runId status jobName tags { key value } } }
  }
}
"""


EVENTS_QUERY = """
query ($id: ID!) {
  logsForRun(runId: $id) {
    ... on EventConnection {
      events {
        __typename
        ... on MessageEvent { message }
        ... on ErrorEvent { error { message } }
      }
    }
  }
}
"""


def _stop(processes: list[subprocess.Popen]) -> None:
    """The services and what they started (code servers, run workers), as systemd stops a
    unit's processes: SIGTERM to all of them, SIGKILL to what is left after a while."""
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 2
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,  # the units' WorkingDirectory=
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def service_env(deployment_dir: Path, postgres: Postgres) -> dict[str, str]:
    """The guide's environment file with this test's places and database; nothing else
    (no virtualenv on PATH, no variables of the test session)."""
    example = read_env_file(ENV_EXAMPLE)
    values = {
        "DAGSTER_HOME": str(deployment_dir / "dagster_home"),
        "DAGSTER_PG_HOST": "127.0.0.1",
        "DAGSTER_PG_PORT": str(postgres.port),
        "DAGSTER_PG_PASSWORD": PASSWORD,
        "KUNTASEURANTA_INBOX": str(deployment_dir / "inbox"),
        "KUNTASEURANTA_WAREHOUSE": str(deployment_dir / "warehouse" / "warehouse.duckdb"),
        # The daemon's sensor loop runs every 5 s: look at every turn, not once a minute.
        "KUNTASEURANTA_INBOX_INTERVAL": "1",
    }
    assert set(values) <= set(example), "the example environment file names every variable"
    keep = {k: os.environ[k] for k in ("HOME", "LANG", "TMPDIR") if k in os.environ}
    return {**keep, "PATH": SYSTEMD_PATH, **example, **values}


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory, dbt_manifest: Path):
    """The guide's set-up: database and user, DAGSTER_HOME with deploy/dagster.yaml, the
    inbox and warehouse folders, both services started from their units.

    The waits overlap, to keep the module short: the delivery lands as the services
    start (the sensor's first tick finds it), and the daemon with the wrong password and
    the migration run beside the delivery's run."""
    root = tmp_path_factory.mktemp("deployment")
    with postgres_server() as postgres:
        env = service_env(root, postgres)
        # The guide's createuser/createdb, as SQL (createuser --pwprompt asks on a terminal).
        user, database = env["DAGSTER_PG_USER"], env["DAGSTER_PG_DB"]
        literal = PASSWORD.replace("'", "''")
        postgres.sql(f"create role {user} login password '{literal}'")
        postgres.sql(f"create database {database} owner {user}")
        home = Path(env["DAGSTER_HOME"])
        home.mkdir()
        shutil.copy(DEPLOY / "dagster.yaml", home / "dagster.yaml")
        Path(env["KUNTASEURANTA_INBOX"]).mkdir()
        logs = root / "logs"
        logs.mkdir()
        deployment = Deployment(postgres, env, root, _free_port())
        processes: list[subprocess.Popen] = []
        try:
            processes.append(_start(exec_start(UNITS["daemon"]), env, logs / "daemon.log"))
            web = exec_start(UNITS["webserver"], deployment.web_port)
            processes.append(_start(web, env, logs / "webserver.log"))
            deployment.drop("2023-03")
            _wait_for_webserver(deployment, processes)
            # Once the services have loaded the code (both processes would slow that down):
            # the daemon with a wrong password, and the upgrade's migration (step 9).
            wrong = {**env, "DAGSTER_PG_PASSWORD": "not-the-password"}
            deployment.wrong_password = _start(
                exec_start(UNITS["daemon"]), wrong, logs / "wrong-password.txt"
            )
            processes.append(deployment.wrong_password)
            deployment.migration = _start(MIGRATE, env, logs / "migrate.txt")
            processes.append(deployment.migration)
            yield deployment
        finally:
            _stop(processes)


def _wait_for_webserver(deployment: Deployment, processes: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + 90
    while True:
        for process in processes:
            assert process.poll() is None, f"{process.args[0]} exited\n{deployment.log_tail()}"
        with contextlib.suppress(urllib.error.URLError, ConnectionError):
            url = f"http://127.0.0.1:{deployment.web_port}/server_info"
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        assert time.monotonic() < deadline, "the webserver did not answer\n" + deployment.log_tail()
        time.sleep(0.5)


def test_the_daemon_builds_a_delivery_dropped_into_the_inbox(deployment: Deployment):
    import psycopg2
    from dagster import DagsterEventType

    # Dropped into the inbox as the services started (the fixture).
    run = deployment.wait_for_run("2023-03")
    tags = {t["key"]: t["value"] for t in run["tags"]}
    assert run["status"] == "SUCCESS", deployment.run_errors(run["runId"])
    assert run["jobName"] == "warehouse_job"
    assert tags["dagster/sensor_name"] == "inbox_sensor"
    assert tags["dagster/partition"] == "2023-03"

    # The run's record is in PostgreSQL, where the guide's dagster.yaml put it.
    env = deployment.env
    with (
        psycopg2.connect(
            host=env["DAGSTER_PG_HOST"],
            port=env["DAGSTER_PG_PORT"],
            dbname=env["DAGSTER_PG_DB"],
            user=env["DAGSTER_PG_USER"],
            password=env["DAGSTER_PG_PASSWORD"],
        ) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute("select status, pipeline_name from runs where run_id = %s", (run["runId"],))
        assert cursor.fetchall() == [("SUCCESS", "warehouse_job")]
        cursor.execute(
            "select count(*) from event_logs where run_id = %s and dagster_event_type = %s",
            (run["runId"], DagsterEventType.RUN_SUCCESS.value),
        )
        assert cursor.fetchone() == (1,)
        # ... and so is the sensor's tick that asked for it.
        cursor.execute(
            "select count(*) from job_ticks where type = 'SENSOR' and status = 'SUCCESS'"
            " and tick_body like %s",
            (f"%{run['runId']}%",),
        )
        assert cursor.fetchone() == (1,)
    # Nothing of Dagster's is in SQLite beside the instance's settings.
    assert not list(deployment.home.rglob("*.db"))

    # The webserver reads the same instance: the run, the sensor (at the interval the
    # environment file set) and the daemon's heartbeat.
    shown = deployment.graphql(
        """query ($id: ID!) { runOrError(runId: $id) { ... on Run { runId status } } }""",
        {"id": run["runId"]},
    )
    assert shown["runOrError"] == {"runId": run["runId"], "status": "SUCCESS"}
    sensor = deployment.graphql(SENSOR_QUERY)["sensorOrError"]
    assert sensor["minIntervalSeconds"] == 1
    assert sensor["sensorState"]["status"] == "RUNNING"
    daemons = deployment.graphql(DAEMONS_QUERY)["instance"]["daemonHealth"]["allDaemonStatuses"]
    healthy = {d["daemonType"] for d in daemons if d["healthy"]}
    assert {"SENSOR", "SCHEDULER", "QUEUED_RUN_COORDINATOR"} <= healthy, daemons

    # The published warehouse has the delivery's figures.
    with duckdb.connect(str(deployment.warehouse), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_budget_vs_actual").fetchone() == (127,)
        periods = con.execute("select distinct reporting_period from marts.fct_budget_vs_actual")
        assert [str(p) for (p,) in periods.fetchall()] == ["2023-03"]


SENSOR_QUERY = """
{
  sensorOrError(sensorSelector: {repositoryName: "__repository__",
      repositoryLocationName: "kuntaseuranta", sensorName: "inbox_sensor"}) {
    ... on Sensor { minIntervalSeconds sensorState { status } }
  }
}
"""
DAEMONS_QUERY = "{ instance { daemonHealth { allDaemonStatuses { daemonType healthy } } } }"


def test_a_wrong_database_password_stops_the_daemon_with_the_reason(deployment: Deployment):
    # Started by the fixture beside the services, with the same settings but the password.
    daemon = deployment.wrong_password
    assert daemon is not None
    assert daemon.wait(timeout=120) != 0
    output = (deployment.logs / "wrong-password.txt").read_text(encoding="utf-8")
    user = deployment.env["DAGSTER_PG_USER"]
    # What the guide tells the operator to look for in the daemon's journal.
    assert f'password authentication failed for user "{user}"' in output, output
    assert "too many retries for DB connection" in output, output


def test_the_upgrade_migrates_the_instance_in_postgresql(deployment: Deployment):
    migration = deployment.migration
    assert migration is not None
    code = migration.wait(timeout=120)
    output = (deployment.logs / "migrate.txt").read_text(encoding="utf-8")
    assert code == 0, output
    assert "Updating run storage..." in output, output


def test_the_units_are_valid_systemd_units(tmp_path: Path):
    """systemd's own check of the units as installed (the project where the guide puts it):
    every key known, the programs there."""
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing (Debian: systemd)"
    for unit in UNITS.values():
        text = unit.read_text(encoding="utf-8").replace(INSTALL_DIR, str(PROJECT_ROOT))
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    done = subprocess.run(
        [analyze, "verify", "--man=no", *(str(tmp_path / u.name) for u in UNITS.values())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout + done.stderr) == (0, "")
    for unit in UNITS.values():
        text = unit.read_text(encoding="utf-8")
        assert "EnvironmentFile=/etc/kuntaseuranta/kuntaseuranta.env" in text
        assert f"-w {INSTALL_DIR}/deploy/workspace.yaml" in text


def test_the_environment_file_names_every_variable_the_instance_reads():
    instance = (DEPLOY / "dagster.yaml").read_text(encoding="utf-8")
    read = set(re.findall(r"env: (\w+)", instance))
    assert read == {
        "DAGSTER_PG_HOST",
        "DAGSTER_PG_PORT",
        "DAGSTER_PG_DB",
        "DAGSTER_PG_USER",
        "DAGSTER_PG_PASSWORD",
    }
    assert read | {"DAGSTER_HOME", "KUNTASEURANTA_INBOX", "KUNTASEURANTA_WAREHOUSE"} <= set(
        read_env_file(ENV_EXAMPLE)
    )


def test_the_inbox_interval_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    from orchestration.defs.schedules.deliveries import inbox_interval_seconds

    monkeypatch.delenv("KUNTASEURANTA_INBOX_INTERVAL", raising=False)
    assert inbox_interval_seconds() == 60
    monkeypatch.setenv("KUNTASEURANTA_INBOX_INTERVAL", "15")
    assert inbox_interval_seconds() == 15
    for wrong in ("0", "soon", "1.5"):
        monkeypatch.setenv("KUNTASEURANTA_INBOX_INTERVAL", wrong)
        with pytest.raises(ValueError, match="KUNTASEURANTA_INBOX_INTERVAL must be whole"):
            inbox_interval_seconds()
