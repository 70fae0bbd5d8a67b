"""Use cases: one module per feature holding its rules once, called alike by the chat
(handlers/), the command line (udx_bot/cli/) and the scheduler (udx_bot/scheduler.py).

A use case takes what it works with (the store, the outbox, the clock, and a translator where it
produces text) and returns plain results; it never sees a chat ``Context`` and knows no
platform. How a result is told (a chat reply with buttons, a line on the terminal) is up to the
caller.
"""
