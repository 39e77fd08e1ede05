"""Task resources: where each Task state's call goes (mock, local Lambda, boto3, HTTP) and the
callback/activity plumbing that `.waitForTaskToken` and activity tasks wait on.

    from asl_engine.tasks.dispatcher import TaskDispatcher
    from asl_engine.tasks.config import TaskConfig

boto3 is imported only when a call needs it, so importing the engine stays cheap.
"""
