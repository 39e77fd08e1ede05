"""The runtime: the async shell that performs what the pure core (`asl_engine.engine`) decides.

- `run.ExecutionRun`: one execution, from ExecutionStarted to its closing event (timeout, stop);
- `shell.Shell`: the states of a scope, one at a time: advance, checkpoint, perform, repeat;
- `tasks.TaskAttempts`, `branches.Branches`: the effects of Task, Parallel and Map;
- `checkpoints.Checkpoints`: the one owner of history and saved positions;
- `ports`: what the service hands in (`MapRunObserver`, TestState's `Probe`).
"""
