"""Tornado's hello world, the yardstick bench/run.py measures a product page against: same
Tornado, same Python, same event loop (asyncio's default policy, as `vitrine front` runs).

    .venv/bin/python bench/hello.py --port 8656
"""

from __future__ import annotations

import argparse
import asyncio
import signal

import tornado.web


class HelloHandler(tornado.web.RequestHandler):
    def get(self) -> None:
        self.write("Hello, world")


async def serve(port: int) -> None:
    app = tornado.web.Application([(r"/", HelloHandler)])
    server = app.listen(port, "127.0.0.1")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8888)
    asyncio.run(serve(parser.parse_args().port))


if __name__ == "__main__":
    main()
