"""A Distributed Map over 10,000 CSV rows read from S3 in batches of 100 (100 child executions,
EXPRESS and then STANDARD), results exported to S3, timed beside an inline Map building the same
rows from their numbers; peak RSS of this process
(engine, server thread and moto's S3 server thread together). An inline Map over 10,000 items
ends on the 25,000-event history limit (each iteration records four events), as on AWS, so the
inline Map runs 5,000 (`--inline-rows`): compare the rows per second.

    .venv/bin/python -m benchmarks.distributed [--rows 10000] [--repeat 3]

Both run on the `asl_engine.testing` environment (a real server on loopback, virtual clock) with
a Pass processor, so what is timed is the engine's own work: reading and parsing the CSV, batching,
starting and running the child executions (STANDARD ones recorded in the store with their
histories, EXPRESS ones in memory), writing the results.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from asl_engine.testing import Environment

from .servers import free_port

PROCESSOR = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


def _distributed(bucket: str, children: str) -> dict[str, Any]:
    return {"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": children},
                                         **PROCESSOR},
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                       "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                       "Parameters": {"Bucket": bucket, "Key": "rows.csv"}},
        "ItemBatcher": {"MaxItemsPerBatch": 100},
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": bucket, "Prefix": "out"}},
        "End": True}}}


def _definitions(bucket: str) -> dict[str, Any]:
    # The same rows built from their numbers (10,000 rows are over the 256 KiB input limit).
    inline = {"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemProcessor": PROCESSOR, "ResultPath": None, "End": True,
        "ItemSelector": {"id.$": "States.Format('{}', $$.Map.Item.Value)",
                         "name.$": "States.Format('row-{}', $$.Map.Item.Value)",
                         "score.$": "States.Format('{}', $$.Map.Item.Value)"}}}}
    return {"distributed-express": _distributed(bucket, "EXPRESS"),
            "distributed-standard": _distributed(bucket, "STANDARD"), "inline": inline}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--inline-rows", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    os.environ.update(S3_ENDPOINT=f"http://127.0.0.1:{port}", AWS_ACCESS_KEY_ID="testing",
                      AWS_SECRET_ACCESS_KEY="testing")
    try:
        s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=os.environ["S3_ENDPOINT"])
        s3.create_bucket(Bucket="bench")
        csv = "id,name,score\n" + "".join(f"{i},row-{i},{i}\n" for i in range(args.rows))
        s3.put_object(Bucket="bench", Key="rows.csv", Body=csv.encode())
        numbers = list(range(args.inline_rows))
        counts = {"distributed-express": args.rows, "distributed-standard": args.rows, "inline": args.inline_rows}
        times: dict[str, list[float]] = {name: [] for name in counts}
        with Environment() as asl:
            for name, definition in _definitions("bench").items():
                asl.create(name, definition)
            for _ in range(args.repeat):
                for name in times:
                    started = time.perf_counter()
                    execution = asl.start(name, numbers if name == "inline" else {}).wait()
                    times[name].append(time.perf_counter() - started)
                    assert execution.status == "SUCCEEDED", execution.cause
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        for name, samples in times.items():
            median = statistics.median(samples)
            print(f"{name:20} {counts[name]:6} rows: median {median:.2f} s of {args.repeat}, "
                  f"{counts[name] / median:,.0f} rows/s")
        print(f"peak RSS {peak:.0f} MiB (this process: engine, server and moto together)")
    finally:
        moto.stop()


if __name__ == "__main__":
    main()
