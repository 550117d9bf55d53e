"""A private PostgreSQL 15 + PostGIS cluster kept in a local folder.

The platform's embedded default: ``lampung-geo db start`` creates (``initdb``) and
starts a cluster of its own, listening on 127.0.0.1 only, with a generated password.
As root, the server runs as the ``postgres`` OS user through ``runuser`` (PostgreSQL
refuses to run as root); as a normal user it runs as that user.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

PG_VERSION = "15"
PG_BIN = Path(f"/usr/lib/postgresql/{PG_VERSION}/bin")
POSTGIS_CONTROL = Path(f"/usr/share/postgresql/{PG_VERSION}/extension/postgis.control")
APT_PACKAGES = (f"postgresql-{PG_VERSION}", f"postgresql-{PG_VERSION}-postgis-3")
SUPERUSER = "lampung"
DATABASE = "lampung_geo"


class ClusterError(RuntimeError):
    """The private cluster could not be installed, created, started or stopped."""


@dataclass(frozen=True, slots=True)
class ClusterStatus:
    """What ``db status`` reports."""

    path: Path
    initialised: bool
    running: bool
    port: int
    url: str | None


def _is_root() -> bool:
    return os.geteuid() == 0


def ensure_postgis_installed(*, allow_apt: bool = True) -> None:
    """Make sure PostgreSQL 15 and PostGIS 3 are installed.

    Installs them with apt when missing, if running as root and apt is available;
    otherwise raises a :class:`ClusterError` that names the exact command to run.
    """
    if (PG_BIN / "initdb").exists() and POSTGIS_CONTROL.exists():
        return
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", *APT_PACKAGES]
    if allow_apt and _is_root() and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
        done = subprocess.run(cmd, check=False, env=env, capture_output=True, text=True)
        if done.returncode == 0 and POSTGIS_CONTROL.exists():
            return
        msg = f"apt-get could not install PostGIS: {done.stderr.strip()[-500:]}"
        raise ClusterError(msg)
    msg = (
        "PostgreSQL 15 with PostGIS 3 is not installed. On Debian/Ubuntu run:\n"
        f"  sudo {' '.join(cmd)}\n"
        "or point LAMPUNG_GEO_DATABASE_URL at an existing PostGIS database."
    )
    raise ClusterError(msg)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class PostgresCluster:
    """A PostgreSQL cluster in ``path``, reachable on ``127.0.0.1:port``.

    Parameters
    ----------
    path
        Folder of the cluster; created if missing. ``path/data`` holds the
        PostgreSQL data directory, ``path/password`` the generated password.
    port
        TCP port on 127.0.0.1.
    """

    def __init__(self, path: str | Path, *, port: int = 55432) -> None:
        self.path = Path(path).absolute()
        self.port = port
        self.data_dir = self.path / "data"
        self.password_file = self.path / "password"
        self.log_file = self.path / "postgres.log"

    # -- helpers -------------------------------------------------------------------
    def _run(self, args: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(PG_BIN / args[0]), *args[1:]]
        if _is_root():
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd="/")
        if check and done.returncode != 0:
            msg = f"{args[0]} failed ({done.returncode}): {(done.stderr or done.stdout).strip()}"
            raise ClusterError(msg)
        return done

    def _prepare_folder(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        if not _is_root():
            return
        import pwd

        pg = pwd.getpwnam("postgres")
        # PostgreSQL runs as the postgres OS user: every parent must let it through.
        for parent in reversed(self.path.parents):
            mode = parent.stat().st_mode
            if not mode & stat.S_IXOTH:
                parent.chmod(mode | stat.S_IXOTH)
        os.chown(self.path, pg.pw_uid, pg.pw_gid)
        self.path.chmod(0o700)

    @property
    def password(self) -> str:
        """The generated password of the cluster's superuser."""
        return self.password_file.read_text().strip()

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the platform database in this cluster."""
        pw = quote(self.password, safe="")
        return f"postgresql+psycopg://{SUPERUSER}:{pw}@127.0.0.1:{self.port}/{DATABASE}"

    def is_initialised(self) -> bool:
        """Whether ``initdb`` has run in this folder."""
        return (self.data_dir / "PG_VERSION").exists()

    def is_running(self) -> bool:
        """Whether the server of this folder is running."""
        if not self.is_initialised():
            return False
        return (
            self._run(["pg_ctl", "status", "-D", str(self.data_dir)], check=False).returncode == 0
        )

    def status(self) -> ClusterStatus:
        """Report whether the cluster exists and runs."""
        running = self.is_running()
        return ClusterStatus(
            self.path, self.is_initialised(), running, self.port, self.url if running else None
        )

    # -- lifecycle -----------------------------------------------------------------
    def init(self) -> None:
        """Create the cluster (``initdb``) with a generated superuser password."""
        ensure_postgis_installed()
        if self.is_initialised():
            return
        self._prepare_folder()
        password = secrets.token_urlsafe(24)
        pwfile = self.path / "pwfile.tmp"
        pwfile.write_text(password + "\n")
        if _is_root():
            import pwd

            pg = pwd.getpwnam("postgres")
            os.chown(pwfile, pg.pw_uid, pg.pw_gid)
        pwfile.chmod(0o600)
        try:
            self._run(
                [
                    "initdb",
                    "-D",
                    str(self.data_dir),
                    "-U",
                    SUPERUSER,
                    "--auth=scram-sha-256",
                    f"--pwfile={pwfile}",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ]
            )
        finally:
            pwfile.unlink(missing_ok=True)
        self.password_file.write_text(password + "\n")
        self.password_file.chmod(0o600)

    def start(self, *, timeout_s: float = 60.0) -> str:
        """Initialise if needed, start the server and create the database.

        Returns
        -------
        str
            The SQLAlchemy URL of the platform database.
        """
        self.init()
        if not self.is_running():
            opts = (
                f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                "-c unix_socket_directories='' -c fsync=off -c synchronous_commit=off "
                "-c full_page_writes=off -c max_connections=100 -c shared_buffers=256MB"
            )
            if _port_in_use(self.port):
                msg = f"port {self.port} on 127.0.0.1 is already in use; choose another port"
                raise ClusterError(msg)
            self._run(
                [
                    "pg_ctl",
                    "start",
                    "-D",
                    str(self.data_dir),
                    "-l",
                    str(self.log_file),
                    "-w",
                    "-t",
                    str(int(timeout_s)),
                    "-o",
                    opts,
                ]
            )
        self._create_database(timeout_s=timeout_s)
        return self.url

    def _create_database(self, *, timeout_s: float) -> None:
        import psycopg

        admin = (
            f"host=127.0.0.1 port={self.port} user={SUPERUSER} "
            f"password={self.password} dbname=postgres"
        )
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                conn = psycopg.connect(admin, autocommit=True, connect_timeout=5)
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        with conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
            if exists.fetchone() is None:
                conn.execute(f'CREATE DATABASE "{DATABASE}"')

    def stop(self) -> None:
        """Stop the server (fast shutdown). Does nothing if it is not running."""
        if self.is_running():
            self._run(["pg_ctl", "stop", "-D", str(self.data_dir), "-m", "fast", "-w"])

    def destroy(self) -> None:
        """Stop the server and delete the whole folder."""
        with contextlib.suppress(ClusterError):
            self.stop()
        shutil.rmtree(self.path, ignore_errors=True)


def _port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0
