"""The PostgreSQL store on its own: its schema is SQLite's, its migrations run once however many
servers start together, and `serve` refuses a database it cannot reach in one line.

What it shares with SQLite's store is tested on both: failure isolation per write
(tests/durability/test_store_isolation.py), and the whole API suite, which CI runs once more with
`ASL_ENGINE_TEST_STORE=postgresql` (.ci/run).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from botocore.exceptions import ClientError

from asl_engine.api.app import create_app
from asl_engine.config import Config

from asl_engine.__main__ import EXIT_DATABASE
from asl_engine.aws_errors import ExecutionAlreadyExists
from asl_engine.store import migrations
from asl_engine.store.errors import DatabaseUnusable
from asl_engine.store.postgres import PostgresStore, redact
from asl_engine.store.postgres_migrations import CLUSTER_COLUMNS, CLUSTER_TABLES, LATEST
from asl_engine.store.sqlite import SqliteStore
from asl_engine.store import ActivityRecord, ExecutionRecord, StateMachineRecord
from postgres_server import PostgresServer, postgres_database
from serving import ServerThread, boto_client, free_port

# SQLite's declared types and the PostgreSQL types that hold the same values.
_TYPES = {"TEXT": {"text"}, "REAL": {"double precision"}, "INTEGER": {"integer", "bigint"}}


def _sqlite_schema(path: Path) -> dict[str, dict[str, str]]:
    with sqlite3.connect(path) as conn:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                                 "AND name NOT LIKE 'sqlite_%'")]
        return {table: {row[1]: row[2] for row in conn.execute(f"PRAGMA table_info({table})")} for table in tables}


def _postgres_schema(url: str) -> dict[str, dict[str, str]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT table_name, column_name, data_type FROM information_schema.columns "
                            "WHERE table_schema = current_schema() AND table_name <> 'asl_engine_schema' "
                            "AND column_name <> 'rowid'").fetchall()
    schema: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        if table not in CLUSTER_TABLES and (table, column) not in CLUSTER_COLUMNS:  # several servers only
            schema.setdefault(table, {})[column] = data_type
    return schema


def test_the_schema_is_sqlites_latest(tmp_path: Path) -> None:
    """Every table and column SQLite's migrations create, in a type holding the same values: a new
    SQLite migration without its PostgreSQL twin fails here."""
    url = postgres_database()

    async def scenario() -> None:
        for store in (SqliteStore(str(tmp_path / "s.db")), PostgresStore(url)):
            await store.open()
            await store.close()

    asyncio.run(scenario())
    sqlite_schema, postgres_schema = _sqlite_schema(tmp_path / "s.db"), _postgres_schema(url)
    assert set(postgres_schema) == set(sqlite_schema)
    for table, columns in sqlite_schema.items():
        assert set(postgres_schema[table]) == set(columns), table
        for column, declared in columns.items():
            assert postgres_schema[table][column] in _TYPES[declared], (table, column)
    assert migrations.LATEST == 12 and LATEST == 7, "a new SQLite script needs its PostgreSQL twin (and 3 -> 4 is the cluster's)"


def test_servers_starting_together_migrate_once_all_serve_and_a_newer_database_is_refused() -> None:
    """Three servers opening one new database together: each applies every script or finds it
    applied (an advisory lock takes them in turn), and all three hold a lease at once."""
    url = postgres_database()

    async def scenario() -> None:
        stores = [PostgresStore(url) for _ in range(3)]
        await asyncio.wait_for(asyncio.gather(*(store.open() for store in stores)), 60)
        with psycopg.connect(url) as conn:
            servers = {row[0] for row in conn.execute("SELECT id FROM asl_engine_servers WHERE expires > now()")}
        assert servers == {store.server_id for store in stores}
        for store in stores:
            await store.close()
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT count(*) FROM asl_engine_servers").fetchone() == (0,)  # leases given up
            assert conn.execute("SELECT version FROM asl_engine_schema").fetchall() == [(LATEST,)]
            conn.execute("UPDATE asl_engine_schema SET version = %s", (LATEST + 1,))
        with pytest.raises(DatabaseUnusable, match=f"schema version {LATEST + 1} is newer"):
            await PostgresStore(url).open()

    asyncio.run(scenario())


def test_serve_refuses_a_database_it_cannot_reach_without_showing_the_password() -> None:
    url = f"postgresql://someone:s3cret@127.0.0.1:{free_port()}/nothing"
    result = subprocess.run([sys.executable, "-m", "asl_engine", "serve", "--port", "0", "--db", url],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == EXIT_DATABASE
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("asl-engine: cannot use the database "), result.stderr
    assert redact(url) in lines[0] and "s3cret" not in result.stderr + result.stdout


def test_a_password_given_as_a_query_parameter_never_appears_either() -> None:
    """README "PostgreSQL": the password never appears in the start-up line or the log, whether in
    the user part or as libpq's `password` query parameter: neither in the exit line of a database
    it cannot reach, nor in the ready line and the log of one it opened."""
    unreachable = f"postgresql://someone@127.0.0.1:{free_port()}/nothing?password=s3cret"
    result = subprocess.run([sys.executable, "-m", "asl_engine", "serve", "--port", "0", "--db", unreachable],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == EXIT_DATABASE and "password=***" in result.stderr, result.stderr
    assert "s3cret" not in result.stderr + result.stdout
    url = postgres_database() + "?sslmode=disable&password=s3cret"  # trust authentication: any password
    server = subprocess.Popen([sys.executable, "-m", "asl_engine", "serve", "--port", str(free_port()), "--db", url,
                               "--log-level", "info"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        ready = server.stdout.readline()
    finally:
        server.terminate()
        out, err = server.communicate(timeout=60)
    assert " ready on " in ready and "password=***" in ready, ready
    assert "open" in err and "s3cret" not in ready + out + err, err


def test_a_database_restart_costs_no_request_and_no_event() -> None:
    """A restart of PostgreSQL (a failover looks the same to the store) drops every connection:
    the next read and the next batch of writes go through new ones, nothing is lost or refused."""
    postgres_database()  # skips without PostgreSQL
    server = PostgresServer()  # a cluster of its own: the session's is not restarted under others
    server.start()
    try:
        url = server.create_database()
        machine = StateMachineRecord("arn:aws:states:us-east-1:123456789012:stateMachine:m", "123456789012",
                                     "us-east-1", "m", "STANDARD", "{}", "r", 1.0)
        execution = ExecutionRecord(f"{machine.arn.replace('stateMachine', 'execution')}:e", machine.arn, "e",
                                    None, "RUNNING", "{}", 2.0)

        async def scenario() -> None:
            store = PostgresStore(url)
            await store.open()
            await store.put_state_machine(machine, new_revision=True)
            await store.create_execution(execution, [{"id": 1, "type": "ExecutionStarted"}])
            assert await store.get_state_machine(machine.arn) is not None  # the read pool is in use
            server.restart()
            assert (await store.get_state_machine(machine.arn)) == machine
            store.sink(execution.arn).emit([{"id": 2, "type": "PassStateEntered"}])
            await store.put_activity(ActivityRecord(f"{machine.arn.replace('stateMachine', 'activity')}2",
                                                    "123456789012", "us-east-1", "a", 3.0))
            await store.flush(committed=True)
            assert [e["id"] for e in await store.get_history(execution.arn, None, 10, reverse=False)] == [1, 2]
            assert store.failure(execution.arn) is None
            assert len(await store.list_activities("123456789012", "us-east-1", None, 10)) == 1
            await store.close()

        asyncio.run(scenario())
    finally:
        server.stop()


def test_a_statement_the_server_refuses_fails_only_its_own_write() -> None:
    """A batch goes to the server as one pipeline; when the server refuses one statement of it (a
    duplicate key here), the batch is applied again write by write, each under its savepoint,
    and the other writes of the batch commit (the lone-surrogate case, refused before it reaches
    the server, is tests/durability/test_store_isolation.py)."""
    url = postgres_database()
    machine = "arn:aws:states:us-east-1:123456789012:stateMachine:m"

    def execution(name: str) -> ExecutionRecord:
        return ExecutionRecord(f"arn:aws:states:us-east-1:123456789012:execution:m:{name}", machine, name, None,
                               "RUNNING", "{}", 2.0)

    async def scenario() -> None:
        store = PostgresStore(url)
        await store.open()
        await store.create_execution(execution("taken"))
        names = [f"e{n}" for n in range(10)]
        names[4] = "taken"
        results = await asyncio.gather(*(store.create_execution(execution(name), [{"id": 1}]) for name in names),
                                       return_exceptions=True)
        assert [isinstance(result, ExecutionAlreadyExists) for result in results] == \
            [name == "taken" for name in names]
        listed, _ = await store.list_executions(machine, None, None, 100)
        assert sorted(record.name for record in listed) == sorted({*names})
        await store.close()

    asyncio.run(scenario())


def test_a_value_postgresql_cannot_hold_is_refused_as_aws_refuses_a_value() -> None:
    """PostgreSQL's text cannot hold U+0000 (SQLite's can): a request whose stored text carries one
    is a ValidationException saying why, never a 500; an execution whose own value carries one
    ends FAILED with States.Runtime saying why (as a lone surrogate does on SQLite, README
    "Durability")."""
    server = ServerThread(create_app(Config(db_path=postgres_database(), clock="virtual")))
    server.start()
    try:
        client = boto_client(server.url)
        definition = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "a\u0000b"}}}
        machine = client.create_state_machine(name="nul", definition=json.dumps(definition),
                                              roleArn="arn:aws:iam::123456789012:role/r")["stateMachineArn"]
        with pytest.raises(ClientError) as refused:
            client.publish_state_machine_version(stateMachineArn=machine, description="a\x00b")
        assert refused.value.response["Error"]["Code"] == "ValidationException"
        assert "cannot contain NUL" in refused.value.response["Error"]["Message"]
        execution = client.start_execution(stateMachineArn=machine)["executionArn"]
        described = client.describe_execution(executionArn=execution)
        for _ in range(200):  # a Fail state: it ends at once
            if described["status"] != "RUNNING":
                break
            time.sleep(0.05)
            described = client.describe_execution(executionArn=execution)
        assert (described["status"], described["error"]) == ("FAILED", "States.Runtime")
        assert "cannot contain NUL" in described["cause"]
    finally:
        server.stop()
