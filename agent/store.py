"""Persisted state under the data dir (stdlib sqlite3): deployments with their specs (never
secrets, registry credentials or step outputs), their step history (with only the outputs that
hold no secret) and their network subnets.

A missing or corrupt file means: start empty (the corrupt file is kept aside for inspection)
and rely on the control plane's next full sync. Never a crash loop.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from agent.protocol import DeploymentSpec

log = logging.getLogger(__name__)

FILE = "state.db"
SCHEMA = """
CREATE TABLE IF NOT EXISTS deployments (
    id INTEGER PRIMARY KEY, spec BLOB NOT NULL, status TEXT NOT NULL, error TEXT NOT NULL,
    ports TEXT NOT NULL, desired INTEGER NOT NULL, retry_on_sync INTEGER NOT NULL,
    updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS steps (
    deployment_id INTEGER NOT NULL, step TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,
    outputs TEXT NOT NULL, error TEXT NOT NULL, finished_at REAL NOT NULL,
    PRIMARY KEY (deployment_id, step));
CREATE TABLE IF NOT EXISTS networks (
    deployment_id INTEGER PRIMARY KEY, name TEXT NOT NULL, subnet TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass
class DeploymentRecord:
    spec: DeploymentSpec
    status: str
    error: str
    ports: dict[str, int]
    desired: bool
    retry_on_sync: bool


@dataclass
class StepRecord:
    step: str
    kind: str
    status: str
    outputs: dict[str, Any]
    error: str
    finished_at: float


class Store:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / FILE
        self.db = self._open()

    def _open(self) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(self.path, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(SCHEMA)
            db.execute("SELECT count(*) FROM deployments").fetchone()
            return db
        except sqlite3.DatabaseError as error:
            aside = self.path.with_name(f"{FILE}.corrupt-{int(time.time())}")
            log.error(
                "state file %s is unreadable (%s); moved to %s, starting empty",
                self.path,
                error,
                aside,
            )
            for suffix in ("", "-wal", "-shm"):
                source = Path(f"{self.path}{suffix}")
                if source.exists():
                    source.replace(f"{aside}{suffix}")
            db = sqlite3.connect(self.path, isolation_level=None)
            db.executescript(SCHEMA)
            return db

    # ---- deployments

    def save_deployment(self, spec: DeploymentSpec, status: str, *, desired: bool = True) -> None:
        stripped = msgspec.structs.replace(spec, secrets={}, registry_credentials=[], outputs={})
        self.db.execute(
            "INSERT INTO deployments VALUES (?, ?, ?, '', '{}', ?, 0, ?) ON CONFLICT(id) DO UPDATE"
            " SET spec=excluded.spec, status=excluded.status, error='', desired=excluded.desired,"
            " retry_on_sync=0, updated_at=excluded.updated_at",
            (spec.id, msgspec.json.encode(stripped), status, int(desired), time.time()),
        )

    def set_status(
        self,
        deployment_id: int,
        status: str,
        error: str = "",
        ports: dict[str, int] | None = None,
        *,
        retry_on_sync: bool = False,
    ) -> None:
        self.db.execute(
            "UPDATE deployments SET status=?, error=?, ports=coalesce(?, ports), retry_on_sync=?,"
            " updated_at=? WHERE id=?",
            (
                status,
                error,
                None if ports is None else msgspec.json.encode(ports).decode(),
                int(retry_on_sync),
                time.time(),
                deployment_id,
            ),
        )

    def set_desired(self, deployment_id: int, desired: bool) -> None:
        self.db.execute(
            "UPDATE deployments SET desired=? WHERE id=?", (int(desired), deployment_id)
        )

    def get(self, deployment_id: int) -> DeploymentRecord | None:
        row = self.db.execute(
            "SELECT spec, status, error, ports, desired, retry_on_sync FROM deployments WHERE id=?",
            (deployment_id,),
        ).fetchone()
        return _record(row) if row else None

    def all(self) -> list[DeploymentRecord]:
        rows = self.db.execute(
            "SELECT spec, status, error, ports, desired, retry_on_sync FROM deployments ORDER BY id"
        ).fetchall()
        return [_record(row) for row in rows]

    def forget(self, deployment_id: int) -> None:
        for table, column in (
            ("deployments", "id"),
            ("steps", "deployment_id"),
            ("networks", "deployment_id"),
        ):
            self.db.execute(f"DELETE FROM {table} WHERE {column}=?", (deployment_id,))

    # ---- steps

    def record_step(
        self,
        deployment_id: int,
        step: str,
        kind: str,
        status: str,
        outputs: dict[str, Any] | None = None,
        error: str = "",
    ) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO steps VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                deployment_id,
                step,
                kind,
                status,
                msgspec.json.encode(outputs or {}).decode(),
                error,
                time.time(),
            ),
        )

    def steps(self, deployment_id: int) -> list[StepRecord]:
        rows = self.db.execute(
            "SELECT step, kind, status, outputs, error, finished_at FROM steps"
            " WHERE deployment_id=? ORDER BY finished_at, rowid",
            (deployment_id,),
        ).fetchall()
        return [StepRecord(r[0], r[1], r[2], msgspec.json.decode(r[3]), r[4], r[5]) for r in rows]

    def clear_steps(self, deployment_id: int) -> None:
        self.db.execute("DELETE FROM steps WHERE deployment_id=?", (deployment_id,))

    # ---- networks (subnets survive restarts so a crash never hands one out twice)

    def save_network(self, deployment_id: int, name: str, subnet: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO networks VALUES (?, ?, ?)", (deployment_id, name, subnet)
        )

    def subnets(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT subnet FROM networks")]

    def forget_network(self, deployment_id: int) -> None:
        self.db.execute("DELETE FROM networks WHERE deployment_id=?", (deployment_id,))

    # ---- small values (plugin list)

    def get_meta(self, key: str, default: str = "") -> str:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def close(self) -> None:
        self.db.close()


def _record(row: tuple) -> DeploymentRecord:
    spec = msgspec.json.decode(row[0], type=DeploymentSpec)
    return DeploymentRecord(
        spec, row[1], row[2], msgspec.json.decode(row[3]), bool(row[4]), bool(row[5])
    )
