"""Real processes for the integration, fault and browser tests: Celery workers against the test database, a Redis
server of the test's own (so it can be stopped and killed), and a TCP forwarder that stands in for a database
outage. Fixtures in the root conftest.py build on these."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(condition: Callable[[], bool], seconds: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"still waiting after {seconds} s for {what}")


def database_url(settings_dict: dict) -> str:
    """The URL of the test database, so that a worker subprocess writes where the test reads."""
    user, host, port, name = (settings_dict[key] for key in ("USER", "HOST", "PORT", "NAME"))
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{name}"


@contextmanager
def celery_worker(environment: dict[str, str], queues: str = "default,render") -> Iterator[subprocess.Popen]:
    """A worker process with the solo pool: the task runs in the process itself, so killing it kills the task."""
    command = [sys.executable, "-m", "celery", "-A", "crbn_portal", "worker", "-Q", queues, "--pool", "solo"]
    name = f"--hostname=test-{uuid.uuid4().hex[:8]}@%h"
    process = subprocess.Popen([*command, name, "--loglevel", "WARNING"], cwd=ROOT, env=environment)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def kill_hard(process: subprocess.Popen) -> None:
    """SIGKILL: no warm shutdown, no acknowledgement, no message handed back to the broker."""
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


class RedisServer:
    """A redis-server of the test's own on a free port, which the test may stop, kill and start again. Its data
    folder stays across restarts, so the persistence options decide what survives."""

    def __init__(self, folder: Path, *options: str) -> None:
        self.folder, self.options, self.port = folder, options, free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder)]
        self.process = subprocess.Popen([*command, *self.options], stdout=subprocess.DEVNULL)
        wait_until(self._answers, 10, f"redis-server on port {self.port}")

    def kill(self) -> None:
        """A crash: the server gets no chance to write anything more to disk."""
        if self.process is not None and self.process.poll() is None:
            kill_hard(self.process)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def _answers(self) -> bool:
        with suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1) as client:
            client.sendall(b"PING\r\n")
            return client.recv(16).startswith(b"+PONG")
        return False


def redis_server_binary() -> str:
    return shutil.which("redis-server") or ""


class TcpForwarder:
    """Forwards a local port to a server; ``stop`` cuts every open connection and refuses new ones, as a database
    that went away would, and ``start`` brings it back on the same port."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        if self._listener is not None:
            with suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            self._listener.close()
            self._listener = None
        with self._lock:
            for connection in self._open:
                with suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
                connection.close()
            self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
                server = socket.create_connection(self.target)
            except OSError:
                return  # the listener was closed: the outage began
            with self._lock:
                self._open.update((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        with suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


def environment_for(database: str, broker: str, media_root: Path) -> dict[str, str]:
    """A subprocess's environment: the given database and broker, the test's media folder."""
    return {
        **os.environ,
        "DATABASE_URL": database,
        "REDIS_URL": broker,
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": broker,
        "MEDIA_ROOT": str(media_root),
    }
