"""A slow fake platform server in a process of its own (bench/slow_bot_api.py,
bench/slow_slack_api.py), so its work does not share the measured bot's event loop."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any


@asynccontextmanager
async def child_server(module: str, rtt_ms: float, what: str) -> AsyncIterator[str]:
    """Run ``python -m <module> --rtt-ms <rtt_ms>``; yields the URL it prints first. It stops
    when its stdin closes (killed if it does not within 10 s)."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        "--rtt-ms",
        str(rtt_ms),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert child.stdout is not None and child.stdin is not None
    try:
        line = await asyncio.wait_for(child.stdout.readline(), 30)
        if not line:
            raise RuntimeError(f"{what} did not start")
        yield line.decode().strip()
    finally:
        child.stdin.close()
        try:
            await asyncio.wait_for(child.wait(), 10)
        except TimeoutError:
            child.kill()
            await child.wait()


def serve_until_stdin_closes() -> asyncio.Future[str]:
    """What a child server awaits after printing its URL."""
    return asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


def main(module: str, serve: Callable[[float], Coroutine[Any, Any, None]]) -> None:
    """A child server's command line: ``python -m <module> --rtt-ms N``."""
    parser = argparse.ArgumentParser(prog=f"python -m {module}")
    parser.add_argument("--rtt-ms", type=float, default=80.0)
    asyncio.run(serve(parser.parse_args().rtt_ms))
