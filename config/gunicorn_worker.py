"""gunicorn's threaded worker, changed to answer every connection it accepted before it exits.

gunicorn 23's ``gthread`` worker leaves its loop as soon as it is told to stop (it has
served ``max_requests``, or the master sent SIGTERM for a stop or a reload) and exits
with the connections it had accepted but not yet read still open: the process exit
resets them. The client gets "Connection reset by peer"; nginx answers 502 and, rightly,
does not send a POST on to another server (it cannot know the request was not done).
Measured here: about one request lost per worker replacement (gunicorn issue #3038,
open, with a partial fix in pull request #3039).

This worker runs the same loop, then drains before it exits:

1. it closes its listening sockets; when stopped (SIGTERM, not a replacement, where the
   other workers keep the socket) it first accepts what the kernel has queued on them,
   so a connection either reaches a worker that answers it or is refused (a refused
   connection carries no request: nginx tries the other server, a POST too);
2. it reads and answers every connection it holds, within ``graceful_timeout``;
3. it closes idle keep-alive connections (there are none with ``keepalive = 0``,
   gunicorn.conf.py's default) instead of leaving them to the process exit.

``gunicorn.conf.py`` selects it (``worker_class``). tests/test_server_settings.py holds
a connection open while a worker is replaced or the server stopped, and checks it is
answered (and that gunicorn's own worker drops it, for as long as it does).
"""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import time
from concurrent import futures
from functools import partial

from gunicorn.workers.gthread import TConn, ThreadWorker


class DrainingThreadWorker(ThreadWorker):
    # SIGTERM (a stop or a reload), rather than max_requests: see drain().
    stopping = False

    def handle_exit(self, sig, frame) -> None:
        self.stopping = True
        super().handle_exit(sig, frame)

    def run(self) -> None:
        # gunicorn's ThreadWorker.run up to the end of its loop, unchanged but for the
        # signal pipe: a SIGTERM ends the wait at once, not up to a second later, so the
        # listening socket closes sooner (nginx then tries the other server).
        self.poller.register(self.PIPE[0], selectors.EVENT_READ, self.woken)
        for sock in self.sockets:
            sock.setblocking(False)
            server = sock.getsockname()
            acceptor = partial(self.accept, server)
            self.poller.register(sock, selectors.EVENT_READ, acceptor)

        while self.alive:
            self.notify()
            if self.nr_conns < self.worker_connections:
                events = self.poller.select(1.0)
                for key, _ in events:
                    callback = key.data
                    callback(key.fileobj)
                result = futures.wait(self.futures, timeout=0, return_when=futures.FIRST_COMPLETED)
            else:
                result = futures.wait(
                    self.futures, timeout=1.0, return_when=futures.FIRST_COMPLETED
                )
            for fut in result.done:
                self.futures.remove(fut)
            if not self.is_parent_alive():
                break
            self.murder_keepalived()

        self.drain()

    def drain(self) -> None:
        """Answer what this worker holds, then let it exit (see the module's text)."""
        # The master waits graceful_timeout before it kills a worker: finish before that.
        deadline = time.monotonic() + max(1.0, self.cfg.graceful_timeout - 1)
        for sock in self.sockets:
            with self._lock, contextlib.suppress(KeyError, ValueError):
                self.poller.unregister(sock)
            # Replaced after max_requests, the other workers and the master keep the
            # socket open and take its queue; stopped, this may be the last one open.
            if self.stopping:
                self.accept_queued(sock)
            sock.close()

        # Until nothing is held: no request in the thread pool, no connection waiting
        # for its request. (Not gunicorn's nr_conns: threads update it without a lock,
        # and it can stay above 0 with nothing held.)
        started = time.monotonic()
        while time.monotonic() < deadline:
            self.notify()
            for fut in futures.wait(self.futures, timeout=0).done:
                self.futures.remove(fut)
            self.close_idle_keepalive()
            if not self.futures and not self.waiting():
                break
            for key, _ in self.poller.select(0.05):
                key.data(key.fileobj)  # a request arrived: to the thread pool

        self.tpool.shutdown(False)
        futures.wait(self.futures, timeout=max(0.0, deadline - time.monotonic()))
        left = sum(not fut.done() for fut in self.futures) + self.waiting()
        if left:  # the graceful timeout ran out: these are reset as the process exits
            self.log.warning("Worker exits with %d requests unanswered (graceful timeout)", left)
        else:
            self.log.info("Worker answered what it held in %.1f s", time.monotonic() - started)
        self.poller.close()

    def waiting(self) -> int:
        """Connections accepted whose request has not arrived (the poller's, but for the
        signal pipe)."""
        with self._lock:
            return sum(key.fd != self.PIPE[0] for key in self.poller.get_map().values())

    def woken(self, pipe: int) -> None:
        """A signal arrived (gunicorn's wakeup pipe): empty the pipe; the loop goes on."""
        with contextlib.suppress(OSError):
            os.read(pipe, 4096)

    def accept_queued(self, listener) -> None:
        """Accept every connection already waiting on ``listener`` (non-blocking): the
        listener is closed next, which would reset them."""
        server = listener.getsockname()
        for _ in range(65536):
            try:
                sock, client = listener.accept()
            except OSError as e:
                if e.errno == errno.ECONNABORTED:
                    continue
                return  # EAGAIN: nothing more is queued
            conn = TConn(self.cfg, sock, client, server)
            self.nr_conns += 1
            with self._lock:
                self.poller.register(
                    conn.sock,
                    selectors.EVENT_READ,
                    partial(self.on_client_socket_readable, conn),
                )

    def close_idle_keepalive(self) -> None:
        """Close the keep-alive connections that sent nothing (their timeout set to now)."""
        with self._lock:
            for conn in self._keep:
                conn.timeout = 0
        self.murder_keepalived()
