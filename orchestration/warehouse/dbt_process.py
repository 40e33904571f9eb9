"""dbt's process, started before the dbt step needs it.

Importing dbt takes about 2 s of every run, before dbt reads a file. A `warehouse run`
starts dbt's process at once (`prepared`), so that import happens on the machine's other
core while the run imports Dagster and loads its deliveries. When the dbt step starts
dbt, it runs the launcher (`kuntaseuranta-dbt`, the dbt executable the pipeline's dbt
resource names): the launcher hands its standard streams, arguments, environment and
working directory to the prepared process, which runs dbt's own command line with them
and passes its exit code back. To dagster-dbt it is the dbt command it started.

Without a prepared process (a run started by the Dagster daemon, or when the prepared
one is gone), the launcher becomes dbt itself (exec). The prepared process serves one
command and ends; it belongs to the run's process group, so whatever stops or kills the
run stops or kills it too.

Only the standard library (and the project's path helpers) is imported here: the
launcher starts in a few milliseconds.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from orchestration.lib.process import end_process
from orchestration.warehouse.dbt_state import PARTIAL_PARSE

# Where the launcher finds the prepared process: the path of its listening socket.
SOCKET_ENV = "KUNTASEURANTA_DBT_PROCESS"
LAUNCHER = "kuntaseuranta-dbt"
_MESSAGE_LIMIT = 4 * 1024 * 1024  # the request: arguments and the whole environment


def launcher_path() -> Path:
    """The launcher installed beside this Python (the project's console script)."""
    return Path(sys.executable).parent / LAUNCHER


def dbt_path() -> Path:
    """dbt's own executable, installed beside this Python."""
    return Path(sys.executable).parent / "dbt"


@contextlib.contextmanager
def prepared(parse: list[str] | None = None) -> Iterator[subprocess.Popen | None]:
    """Start dbt's process for the dbt commands run inside the block (the first one uses
    it); end it at the end of the block if no command did. Where Unix sockets cannot
    pass file descriptors, nothing is prepared and dbt starts as it would.

    `parse`: a `dbt parse` command line the process runs while it waits (the run's vars
    and profile). Its partial-parse state then replaces the one the command it serves
    starts from: dbt checks that state as it checks any, so a parse that differs from
    the command's own only costs the time it took."""
    if not hasattr(socket, "send_fds") or SOCKET_ENV in os.environ:
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="kuntaseuranta-dbt-"))
    path = folder / "dbt.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    process = None
    try:
        listener.bind(str(path))
        listener.listen(1)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # dbt's events stream as they come
        ahead = {"argv": parse, "target": str(folder / "parse")} if parse else {}
        process = subprocess.Popen(
            [sys.executable, "-m", __name__, str(listener.fileno()), json.dumps(ahead)],
            pass_fds=[listener.fileno()],
            # Until it runs a command, nothing of it reaches the run's output: then it
            # writes where the launcher does.
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        # Only the prepared process listens now: if it ends, the launcher finds nobody
        # at the socket and starts dbt itself rather than waiting.
        listener.close()
        os.environ[SOCKET_ENV] = str(path)
        yield process
    finally:
        os.environ.pop(SOCKET_ENV, None)
        listener.close()
        if process is not None:
            if process.poll() is None:
                process.terminate()  # not used: it waits at its socket, doing nothing
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)


def _serve(listener_fd: int, ahead: dict) -> None:
    """The prepared process: import dbt (and parse, if asked), then run the one command
    the launcher sends."""
    listener = socket.socket(fileno=listener_fd)
    import dbt.adapters.duckdb  # noqa: F401  (the adapter the project's profiles use)
    from dbt.cli.main import cli, dbtRunner  # the import this process is started early for

    parsed = _parse_ahead(dbtRunner, ahead) if ahead else None
    connection, _ = listener.accept()
    listener.close()
    message, fds, _, _ = socket.recv_fds(connection, _MESSAGE_LIMIT, 3)
    request = json.loads(message)
    for target, fd in enumerate(fds):  # the launcher's stdin, stdout and stderr
        os.dup2(fd, target)
        os.close(fd)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    target = os.environ.get("DBT_TARGET_PATH")  # dagster-dbt's target path for the command
    if parsed is not None and target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(parsed, Path(target) / parsed.name)
    sys.argv = request["argv"]
    connection.sendall(f"{os.getpid()}\n".encode())
    try:
        code = cli()
    except SystemExit as done:
        code = done.code
    except KeyboardInterrupt:
        code = 130
    if not isinstance(code, int):
        code = 0 if code is None else 1

    def reply() -> None:  # once dbt's exit handlers have run and its output is flushed
        connection.sendall(f"{code}\n".encode())
        connection.close()

    # Without the interpreter's teardown (about 1 s after a build): dagster-dbt reads
    # dbt's output until this process closes it.
    end_process(code, last=reply)


def _parse_ahead(runner, ahead: dict) -> Path | None:
    """Run the parse asked for; its partial-parse state, or None if it failed (then the
    command parses as it would have)."""
    target = Path(ahead["target"])
    argv = [*ahead["argv"], "--target-path", str(target), "--log-path", str(target)]
    try:
        result = runner().invoke(argv)
    except Exception:  # noqa: BLE001  (an optimisation: dbt reports its errors itself later)
        return None
    state = target / PARTIAL_PARSE
    return state if result.success and state.exists() else None


def launch() -> None:
    """The launcher (`kuntaseuranta-dbt ARGS`): dbt ARGS in the prepared process, or dbt
    itself when there is none."""
    argv = [str(dbt_path()), *sys.argv[1:]]
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(os.environ[SOCKET_ENV])
    except (KeyError, OSError):
        os.execv(argv[0], argv)  # no prepared process: become dbt
    request = {"argv": argv, "env": dict(os.environ), "cwd": os.getcwd()}
    socket.send_fds(connection, [json.dumps(request).encode()], [0, 1, 2])
    replies = connection.makefile("r", encoding="ascii")
    pid_line = replies.readline().strip()
    if not pid_line:  # it ended before taking the command: nothing has run yet
        os.execv(argv[0], argv)
    pid = int(pid_line)

    def forward(signum: int, _frame) -> None:  # dagster-dbt interrupts dbt with SIGINT
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, forward)
    code = replies.readline().strip()
    if not code:  # the connection closed without an exit code: the process was killed
        print(f"{LAUNCHER}: dbt's process (pid {pid}) ended without an exit code", file=sys.stderr)
        sys.exit(1)
    sys.exit(int(code))


if __name__ == "__main__":
    _serve(int(sys.argv[1]), json.loads(sys.argv[2]))
