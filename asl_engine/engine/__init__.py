"""The pure core of the runtime: what a state does, decided as a value (see `step.advance`).

Nothing in this package, or below it, imports asyncio, sqlite or HTTP code.
"""
