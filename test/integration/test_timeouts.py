"""Timeout: slow request heads, idle new connections, stalled readers (with
bounded memory), and clients that vanish mid-download."""

import hashlib
import os
import time
import unittest

import x0test
from x0test import Conn, Server, ServerTestCase, build_request

TIMEOUT = 2
SPARSE_SIZE = 64 << 20
RANDOM = os.urandom(32 << 20)
INDEX = b'<html>timeouts index</html>\n'
SANITIZED = x0test.sanitized_binary()


class TimeoutTest(ServerTestCase):
    # AcceptFilter none: a connection that sends nothing reaches the worker,
    # whose Timeout is tested (with data the kernel holds it, see
    # test_accept_filter.py).
    directives = {'Timeout': str(TIMEOUT), 'KeepAliveTimeout': '5',
                  'MaxKeepAliveRequests': '1000', 'AcceptFilter': 'http none'}
    files = {'index.html': INDEX, 'random.bin': RANDOM}

    @classmethod
    def prepare(cls, server):
        with open(server.path('sparse.bin'), 'wb') as f:
            f.truncate(SPARSE_SIZE)

    def test_slow_head(self):
        head = build_request('GET', '/index.html', headers={'User-Agent': 'slowloris ' * 4})
        c = self.conn()
        self.addCleanup(c.close)
        start = time.monotonic()
        sent = 0
        closed_after = None
        for i in range(len(head)):
            try:
                c.send(head[i:i + 1])
                sent += 1
            except (BrokenPipeError, ConnectionResetError):
                closed_after = time.monotonic() - start
                break
            if c.wait_closed(0.5) is not None:
                closed_after = time.monotonic() - start
                break
            if time.monotonic() - start > 10:
                break
        self.assertIsNotNone(closed_after, 'a head trickling in at 2 bytes/s was never cut off '
                             '(%d of %d bytes sent in %.1f s)' % (sent, len(head),
                                                                  time.monotonic() - start))
        self.assertLessEqual(closed_after, TIMEOUT + 2,
                             'closed only after %.1f s with Timeout %d' % (closed_after, TIMEOUT))
        self.assertGreaterEqual(closed_after, TIMEOUT - 1,
                                'closed after %.1f s, before Timeout %d' % (closed_after, TIMEOUT))
        self.assertLess(sent, len(head))
        if c.buf:
            r = c.read_response()
            self.assertEqual(r.status, 408, 'answer to a timed-out head:\n%r' % r)

    def test_idle_new_connection(self):
        with self.conn() as c:
            took = c.wait_closed(TIMEOUT + 5 + 2)
            self.assertIsNotNone(took, 'a connection that sends nothing is never closed')
            self.assertGreaterEqual(took, TIMEOUT - 1)

    def test_stalled_reader(self):
        # warm up: one complete download, so that the baseline includes it
        with self.conn() as c:
            c.request('GET', '/sparse.bin')
            r = c.read_response()
            self.assertEqual(len(r.body), SPARSE_SIZE)
        base = x0test.rss_kib(self.server.pid)
        clients = []
        for i in range(8):
            c = Conn(self.port, rcvbuf=4096)
            self.addCleanup(c.close)
            c.request('GET', '/sparse.bin')
            h = c.read_head()
            self.assertEqual(h.header('Content-Length'), str(SPARSE_SIZE))
            c._fill(1024)
            clients.append(c)
        start = time.monotonic()
        time.sleep(1)
        rss = [x0test.rss_kib(self.server.pid)]
        time.sleep(max(0, TIMEOUT + 3 - (time.monotonic() - start)))
        rss.append(x0test.rss_kib(self.server.pid))
        print('\nstalled readers: VmRSS base %d KiB, during %s KiB' % (base, rss))
        results = []
        for c in clients:
            got = len(c.buf)
            c.sock.settimeout(5)
            closed = False
            try:
                while True:
                    n = len(c.sock.recv(1 << 20))
                    if n == 0:
                        closed = True
                        break
                    got += n
            except ConnectionResetError:
                closed = True
            except OSError:
                pass
            results.append((closed, got))
        for i, (closed, got) in enumerate(results):
            self.assertTrue(got < SPARSE_SIZE, 'stalled client %d still got the whole file: '
                            'the server waited for it for more than %d s' % (i, TIMEOUT + 3))
            self.assertTrue(closed, 'stalled client %d: connection not closed (%d bytes)' % (i, got))
        if not SANITIZED:
            self.assertLess(max(rss) - base, 4096,
                            '8 stalled readers of a 64 MiB file grew VmRSS from %d to %s KiB'
                            % (base, rss))
        r = self.get('/index.html')
        self.assertEqual((r.status, r.body), (200, INDEX))

    def test_abort_while_other_downloads(self):
        digest = hashlib.sha256(RANDOM).hexdigest()
        b = self.conn()
        self.addCleanup(b.close)
        b.request('GET', '/random.bin')
        while len(b.buf) < (1 << 20):
            self.assertTrue(b._fill())
        for linger0 in (True, False):
            a = Conn(self.port, linger0=linger0)
            a.request('GET', '/random.bin')
            while len(a.buf) < (1 << 20):
                self.assertTrue(a._fill())
            a.close()           # RST with linger0, else FIN with unread data
        r = b.read_response()
        self.assertEqual(r.status, 200)
        self.assertEqual(len(r.body), len(RANDOM))
        self.assertEqual(hashlib.sha256(r.body).hexdigest(), digest, 'download corrupted')
        # the same connection and new ones still work
        b.request('GET', '/index.html')
        self.assertEqual(b.read_response().body, INDEX)
        for _ in range(3):
            r = self.get('/index.html')
            self.assertEqual((r.status, r.body), (200, INDEX))


class StopWhileStalledTest(unittest.TestCase):
    """SIGTERM while a download is stuck on a full socket: a clean exit."""

    def test_sigterm_with_stalled_download(self):
        srv = Server({'Timeout': '30'}, files={'index.html': INDEX})
        self.addCleanup(srv.cleanup)
        with open(srv.path('sparse.bin'), 'wb') as f:
            f.truncate(SPARSE_SIZE)
        srv.start()
        try:
            c = Conn(srv.port, rcvbuf=4096)
            self.addCleanup(c.close)
            c.request('GET', '/sparse.bin')
            self.assertEqual(c.read_head().status, 200)
            time.sleep(1)
        finally:
            note = srv.stop()
        self.assertIsNone(note, '%s\n%s' % (note, srv.logs()))


if __name__ == '__main__':
    unittest.main()
