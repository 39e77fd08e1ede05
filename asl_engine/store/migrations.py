"""Schema versions, applied in order and recorded in `PRAGMA user_version`.

Script N brings a database from version N to N+1. Never edit a released script: append a new
one, so a database written by any earlier release upgrades in place on the next start.
"""

from __future__ import annotations

import aiosqlite

SCRIPTS: tuple[str, ...] = (
    # 0 -> 1: state machines with their revisions, executions, history events, checkpoints.
    """
    CREATE TABLE state_machines (
        arn TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        type TEXT NOT NULL,
        definition TEXT NOT NULL,
        role_arn TEXT NOT NULL,
        creation_date REAL NOT NULL,
        revision_id TEXT,
        update_date REAL,
        logging_configuration TEXT NOT NULL,
        tracing_configuration TEXT NOT NULL,
        tags TEXT NOT NULL
    );
    CREATE INDEX state_machines_by_scope ON state_machines (account, region, name);
    CREATE TABLE state_machine_revisions (
        state_machine_arn TEXT NOT NULL,
        revision_id TEXT NOT NULL,
        definition TEXT NOT NULL,
        role_arn TEXT NOT NULL,
        update_date REAL NOT NULL,
        PRIMARY KEY (state_machine_arn, revision_id)
    ) WITHOUT ROWID;
    CREATE TABLE executions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        arn TEXT NOT NULL UNIQUE,
        state_machine_arn TEXT NOT NULL,
        name TEXT NOT NULL,
        revision_id TEXT,
        status TEXT NOT NULL,
        input TEXT NOT NULL,
        output TEXT,
        error TEXT,
        cause TEXT,
        start_date REAL NOT NULL,
        stop_date REAL,
        redrive_count INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX executions_by_machine ON executions (state_machine_arn, seq);
    CREATE INDEX executions_by_status ON executions (status);
    CREATE TABLE history_events (
        execution_arn TEXT NOT NULL,
        event_id INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (execution_arn, event_id)
    ) WITHOUT ROWID;
    CREATE TABLE checkpoints (
        execution_arn TEXT PRIMARY KEY,
        body TEXT NOT NULL
    ) WITHOUT ROWID;
    """,
    # 1 -> 2: an execution's position is a tree of frames (asl_engine/position.py), each saved
    # on its own row so a transition rewrites only the frames it moved.
    """
    DROP TABLE checkpoints;
    CREATE TABLE frames (
        execution_arn TEXT NOT NULL,
        frame_id TEXT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (execution_arn, frame_id)
    ) WITHOUT ROWID;
    """,
    # 2 -> 3: activities (CreateActivity), and the SFN Local mock test case an execution runs
    # (`<arn>#<TestCase>`), so a resumed execution answers from the same mocks.
    """
    CREATE TABLE activities (
        arn TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        creation_date REAL NOT NULL,
        tags TEXT NOT NULL
    );
    CREATE INDEX activities_by_scope ON activities (account, region, name);
    ALTER TABLE executions ADD COLUMN test_case TEXT;
    """,
    # 3 -> 4: state machine versions (each an immutable revision, numbered from 1 and never
    # reused: a deleted version keeps its row, marked deleted) and aliases routing to them; an
    # execution remembers the version or alias ARN it was started through.
    """
    CREATE TABLE state_machine_versions (
        state_machine_arn TEXT NOT NULL,
        version INTEGER NOT NULL,
        revision_id TEXT NOT NULL,
        description TEXT,
        creation_date REAL NOT NULL,
        logging_configuration TEXT NOT NULL,
        tracing_configuration TEXT NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (state_machine_arn, version)
    ) WITHOUT ROWID;
    CREATE TABLE state_machine_aliases (
        arn TEXT PRIMARY KEY,
        state_machine_arn TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT,
        routing_configuration TEXT NOT NULL,
        creation_date REAL NOT NULL,
        update_date REAL
    );
    CREATE INDEX state_machine_aliases_by_machine ON state_machine_aliases (state_machine_arn);
    ALTER TABLE executions ADD COLUMN state_machine_version_arn TEXT;
    ALTER TABLE executions ADD COLUMN state_machine_alias_arn TEXT;
    """,
    # 4 -> 5: the Map Runs of Distributed Map states (DescribeMapRun, ListMapRuns, UpdateMapRun).
    """
    CREATE TABLE map_runs (
        arn TEXT PRIMARY KEY,
        execution_arn TEXT NOT NULL,
        state_machine_arn TEXT NOT NULL,
        status TEXT NOT NULL,
        start_date REAL NOT NULL,
        stop_date REAL,
        max_concurrency INTEGER NOT NULL,
        tolerated_failure_percentage REAL NOT NULL,
        tolerated_failure_count INTEGER NOT NULL,
        item_counts TEXT NOT NULL,
        redrive_count INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX map_runs_by_execution ON map_runs (execution_arn);
    """,
    # 5 -> 6: what SendTaskSuccess/Failure/Heartbeat committed before answering: a task token's
    # answer (consumed by its execution, now or after a restart) and its last heartbeat.
    """
    CREATE TABLE task_tokens (
        token TEXT PRIMARY KEY,
        execution_arn TEXT NOT NULL,
        answer TEXT,
        heartbeat REAL
    ) WITHOUT ROWID;
    CREATE INDEX task_tokens_by_execution ON task_tokens (execution_arn);
    """,
    # 6 -> 7: encryptionConfiguration of state machines and activities (JSON; NULL is AWS's
    # default, {"type": "AWS_OWNED_KEY"}).
    """
    ALTER TABLE state_machines ADD COLUMN encryption_configuration TEXT;
    ALTER TABLE activities ADD COLUMN encryption_configuration TEXT;
    """,
    # 7 -> 8: a task token that timed out (1): a late SendTask* answers TaskTimedOut after a
    # restart too. Timed-out and answered tokens outlive their execution's end for that reason.
    """
    ALTER TABLE task_tokens ADD COLUMN timed_out INTEGER;
    """,
    # 8 -> 9: RedriveExecution: when an execution was last redriven, and the client tokens of its
    # last redrives (JSON; a repeated token answers the same redrive, service/redrive.py).
    """
    ALTER TABLE executions ADD COLUMN redrive_date REAL;
    ALTER TABLE executions ADD COLUMN redrive_tokens TEXT;
    """,
    # 9 -> 10: a Distributed Map's child executions name their Map Run (ListExecutions mapRunArn,
    # DescribeExecution mapRunArn); NULL for every other execution.
    """
    ALTER TABLE executions ADD COLUMN map_run_arn TEXT;
    CREATE INDEX executions_by_map_run ON executions (map_run_arn, seq) WHERE map_run_arn IS NOT NULL;
    """,
    # 10 -> 11: the running executions alone are indexed, by state machine: an execution's start
    # and end then write one small index page instead of two of an index of every status (the
    # RUNNING end and the SUCCEEDED end), and ListExecutions(statusFilter=RUNNING) reads only the
    # running ones of its machine. The other statuses are found through executions_by_machine.
    """
    DROP INDEX executions_by_status;
    CREATE INDEX executions_running ON executions (state_machine_arn, seq) WHERE status = 'RUNNING';
    """,
    # 11 -> 12: the items a Distributed Map's ItemReader read when its Map Run started (JSON;
    # NULL without an ItemReader): a redriven Map Run "uses the same input provided in the
    # original execution attempt", not the object as it is now (AWS: redrive-map-run.html).
    """
    ALTER TABLE map_runs ADD COLUMN items TEXT;
    """,
)

LATEST = len(SCRIPTS)


async def migrate(conn: aiosqlite.Connection) -> int:
    """Bring the schema to `LATEST`; returns the version found before. Refuses newer databases."""
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    found = int(row[0]) if row else 0
    if found > LATEST:
        raise RuntimeError(
            f"database schema version {found} is newer than this asl-engine supports ({LATEST})"
        )
    for version in range(found, LATEST):
        # executescript commits first and runs outside our transaction control, so the version
        # bump rides inside the script: a crash leaves either the old or the new version.
        await conn.executescript(f"BEGIN;\n{SCRIPTS[version]}\nPRAGMA user_version = {version + 1};\nCOMMIT;")
    return found
