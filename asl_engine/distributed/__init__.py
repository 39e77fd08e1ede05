"""Distributed Map's data plumbing: where its items come from (ItemReader), how they are grouped
for child executions (ItemBatcher), where their results go (ResultWriter), and the names AWS
gives a Map Run and its children.

Pure where it can be: parsing, batching and the result layout take and return values. The only
I/O goes through `ObjectStore` (store.py), a three-call view of S3 that a boto3 client backs in
production and moto's server backs in tests. Nothing here knows about executions or the clock.
"""
