"""Several servers' stores on one PostgreSQL database: leases, the fence, and shared queues
(asl_engine/store/postgres_cluster.py), each store standing for one server. The processes, kills
and pauses are tests/durability/test_postgres_cluster.py's."""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

import psycopg
import pytest

from asl_engine.aws_errors import ExecutionAlreadyExists, TaskTimedOut
from asl_engine.store import ExecutionRecord
from asl_engine.store.postgres import PostgresStore
from postgres_server import postgres_database

ARN = "arn:aws:states:us-east-1:123456789012:execution:m:e"
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:m"


def _record() -> ExecutionRecord:
    return ExecutionRecord(ARN, MACHINE, "e", None, "RUNNING", "{}", 1.0)


def _event(event_id: int) -> dict[str, object]:
    return {"id": event_id, "previousEventId": event_id - 1, "timestamp": 1.0, "type": "PassStateEntered"}


def _two_stores(scenario: Callable[[PostgresStore, PostgresStore, str], Awaitable[None]]) -> None:
    url = postgres_database()

    async def run() -> None:
        first, second = PostgresStore(url, lease_seconds=30), PostgresStore(url, lease_seconds=30)
        await first.open()
        await second.open()
        try:
            await scenario(first, second, url)
        finally:
            await first.close()
            await second.close()

    asyncio.run(run())


def _expire(url: str, store: PostgresStore) -> None:
    """As if the server had not renewed its lease in time (paused, cut off)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE asl_engine_servers SET expires = now() - interval '1 second' WHERE id = %s",
                     (store.server_id,))


def test_one_name_started_on_two_servers_at_once_is_started_once() -> None:
    """Both found no execution of that name, both insert it: the second is ExecutionAlreadyExists
    (AWS's answer to a reused name), not a 500."""
    async def scenario(first: PostgresStore, second: PostgresStore, url: str) -> None:
        await first.create_execution(_record())
        with pytest.raises(ExecutionAlreadyExists):
            await second.create_execution(_record())

    _two_stores(scenario)


def test_a_server_whose_lease_expired_loses_its_executions_and_cannot_write_them() -> None:
    """The claim takes only executions of expired leases; from then on the old owner's writes of
    them are refused (the fence) and it is told to let them go, while the new owner writes on."""
    async def scenario(first: PostgresStore, second: PostgresStore, url: str) -> None:
        lost: list[str] = []
        first.on_lease_lost = lost.append
        await first.create_execution(_record(), [_event(1)])
        assert await second.list_running() == []  # its owner's lease is live: not second's to take
        _expire(url, first)
        assert [record.arn for record in await second.list_running()] == [ARN]
        first.sink(ARN).emit([_event(2)], {"frames": {"root": '{"from": "first"}'}})
        await first.flush()
        assert lost == [ARN]
        assert not await first.renew()  # an expired lease is never renewed: the server joins again
        second.sink(ARN).emit([_event(2)], {"frames": {"root": '{"from": "second"}'}})
        await second.flush()
        position = await second.get_position(ARN)
        assert position.frames == {"root": {"from": "second"}}
        assert [event["id"] for event in await second.get_history(ARN, None, 10, False)] == [1, 2]

    _two_stores(scenario)


def test_an_activity_task_is_taken_by_one_poller_of_many() -> None:
    """Pollers of two servers racing for one queued task: exactly one gets it; a task queued
    again (its server restarted before a worker's name was recorded) waits for a worker again."""
    async def scenario(first: PostgresStore, second: PostgresStore, url: str) -> None:
        activity = "arn:aws:states:us-east-1:123456789012:activity:a"
        await first.queue_activity_task("AQtoken", activity, '{"n": 1}')
        taken = await asyncio.gather(*(store.take_activity_task(activity, f"w{index}")
                                       for index, store in enumerate((first, second, first, second))))
        assert [task for task in taken if task is not None] == [("AQtoken", '{"n": 1}')]
        await second.queue_activity_task("AQtoken", activity, '{"n": 1}')
        assert await second.take_activity_task(activity, "w") == ("AQtoken", '{"n": 1}')
        await first.drop_activity_task("AQtoken")
        assert await first.take_activity_task(activity, "w") is None

    _two_stores(scenario)


def test_a_token_waits_once_its_position_holds_it_until_it_is_answered() -> None:
    """What a server that does not run the execution checks before it takes an answer: the
    execution runs and its saved position holds the token (None while it does not yet: the
    position may still be on its way), and no answer or timeout closed it."""
    async def scenario(first: PostgresStore, second: PostgresStore, url: str) -> None:
        token = "AQ" + "t" * 70
        assert await second.token_waits(token, ARN) is False  # no such execution
        await first.create_execution(_record(), [_event(1)])
        assert await second.token_waits(token, ARN) is None
        first.sink(ARN).emit([_event(2)], {"frames": {"root": f'{{"phase": {{"token": "{token}"}}}}'}})
        await first.flush()
        assert await second.token_waits(token, ARN) is True
        assert await second.answer_token(token, ARN, '{"output": "1"}')
        assert not await second.answer_token(token, ARN, '{"output": "2"}')  # answered once
        assert await second.token_waits(token, ARN) is False
        assert await second.token_record(token) == ('{"output": "1"}', None)

    _two_stores(scenario)


def test_a_token_answered_on_two_servers_at_once_takes_the_first_answer() -> None:
    """The server running the execution commits its own SendTaskSuccess only if no other server
    committed one first; the second answer is TaskTimedOut (the task "has already been closed",
    API_SendTaskSuccess), not a second 200 whose answer is lost."""
    async def scenario(first: PostgresStore, second: PostgresStore, url: str) -> None:
        token = "AQ" + "u" * 70
        await first.create_execution(_record(), [_event(1)])
        assert await second.answer_token(token, ARN, '{"output": "1"}')
        with pytest.raises(TaskTimedOut):
            await first.record_task_answer(token, ARN, '{"output": "2"}')
        assert await first.token_record(token) == ('{"output": "1"}', None)

    _two_stores(scenario)


def test_the_servers_left_split_a_stopped_servers_executions() -> None:
    """Each claim takes the orphans over the live servers (at least 100): of the 300 executions a
    stopped server ran, the first of the two servers left takes half, and each is taken once."""
    url = postgres_database()

    async def run() -> None:
        stores = [PostgresStore(url, lease_seconds=30) for _ in range(3)]
        for store in stores:
            await store.open()
        try:
            await asyncio.gather(*(stores[0].create_execution(
                ExecutionRecord(f"{ARN}{n}", MACHINE, f"e{n}", None, "RUNNING", "{}", 1.0)) for n in range(300)))
            _expire(url, stores[0])
            rounds = [await stores[index].list_running() for index in (1, 2, 1, 2)]
            assert [len(claimed) for claimed in rounds] == [150, 100, 50, 0]  # half, then at least 100
            arns = [record.arn for claimed in rounds for record in claimed]
            assert sorted(arns) == sorted(f"{ARN}{n}" for n in range(300))  # each once
        finally:
            for store in stores:
                await store.close()

    asyncio.run(run())
