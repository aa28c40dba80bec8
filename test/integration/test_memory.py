"""No memory growth: after a warm-up, 100,000 keep-alive requests and
100,000 new connections leave x0d's VmRSS within 2 MiB.  A client that stops
reading a response made of memory (x0-hello) holds x0d's VmRSS within
STALL_LIMIT_KIB, other clients are served meanwhile, and the response comes
complete once it reads.  (Idle connections: test_idle_memory.py.)"""

import re
import select
import socket
import struct
import time
import unittest

import x0test
from x0test import Conn, ServerTestCase, build_request

SMALL = b'a small body for the memory test\n'
BATCH = 50
LIMIT_KIB = 2048
CONTENT_LENGTH = re.compile(rb'\r\nContent-Length: *(\d+)\r\n', re.I)


def keepalive_requests(port, n, conns=4):
    """n GETs pipelined BATCH at a time over a few connections."""
    req = build_request('GET', '/small.txt')
    socks = [Conn(port) for _ in range(conns)]
    try:
        done = 0
        i = 0
        while done < n:
            k = min(BATCH, n - done)
            c = socks[i % conns]
            i += 1
            c.send(req * k)
            for _ in range(k):
                r = c.read_response()
                if r.status != 200 or r.body != SMALL:
                    raise AssertionError('keep-alive request %d: %r' % (done, r))
                done += 1
    finally:
        for c in socks:
            c.close()


def new_connections(port, n):
    """n connections: connect, one keep-alive GET, read it, close with RST."""
    req = build_request('GET', '/small.txt')
    linger = struct.pack('ii', 1, 0)
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        s.settimeout(10)
        try:
            s.connect(('127.0.0.1', port))
            s.sendall(req)
            data = b''
            need = None
            while need is None or len(data) < need:
                chunk = s.recv(65536)
                if not chunk:
                    raise AssertionError('connection %d closed early: %r' % (i, data))
                data += chunk
                if need is None:
                    end = data.find(b'\r\n\r\n')
                    if end >= 0:
                        m = CONTENT_LENGTH.search(data, 0, end + 2)
                        if not m:
                            raise AssertionError('connection %d: no Content-Length: %r' % (i, data))
                        need = end + 4 + int(m.group(1))
            if not data.startswith(b'HTTP/1.1 200 ') or data[-len(SMALL):] != SMALL \
                    or len(data) != need:
                raise AssertionError('connection %d: bad response %r' % (i, data))
        finally:
            s.close()


class MemoryTest(ServerTestCase):
    directives = {'MaxKeepAliveRequests': '0', 'KeepAliveTimeout': '30'}
    files = {'small.txt': SMALL}

    def rss(self):
        return x0test.rss_kib(self.server.pid)

    def test_no_growth(self):
        t0 = time.monotonic()
        start = self.rss()
        keepalive_requests(self.port, 10000)
        new_connections(self.port, 10000)
        warm = self.rss()
        t1 = time.monotonic()
        keepalive_requests(self.port, 100000)
        after_ka = self.rss()
        t2 = time.monotonic()
        new_connections(self.port, 100000)
        after = self.rss()
        t3 = time.monotonic()
        print('\nVmRSS KiB: start %d, after warm-up %d (%.1f s), after 100k keep-alive %d '
              '(%.1f s), after 100k connections %d (%.1f s); growth %+d KiB'
              % (start, warm, t1 - t0, after_ka, t2 - t1, after, t3 - t2, after - warm))
        self.assertLessEqual(after_ka - warm, LIMIT_KIB,
                             '100k keep-alive requests grew VmRSS %d -> %d KiB' % (warm, after_ka))
        self.assertLessEqual(after - warm, LIMIT_KIB,
                             'VmRSS grew %d -> %d KiB over 100k requests + 100k connections'
                             % (warm, after))


# GET /hello?n=STALL_LINES: x0-hello passes each "hello, world N" line as a
# heap bucket of its own, so everything it makes is memory that counts against
# CORE_OUT's bound.  The response is about 40 MB on the wire (30 MB of body);
# as buckets it would take some 1.5 GB.  Stopped at the bound, about 8 MB of
# growth is measured (the bound counts bytes, not the buckets that carry them).
STALL_LINES = 1500000
STALL_LIMIT_KIB = 24 * 1024


def hello_body(n):
    return b''.join(b'hello, world %d\n' % i for i in range(1, n + 1))


class StalledReaderTest(ServerTestCase):
    files = {'small.txt': SMALL}

    def rss(self):
        return x0test.rss_kib(self.server.pid)

    def test_stalled_reader_behind_hello(self):
        body = hello_body(STALL_LINES)
        # Warm the allocators with a smaller response read at once.
        with Conn(self.port, timeout=60) as c:
            c.request('GET', '/hello?n=100000')
            self.assertEqual(c.read_response().body, hello_body(100000))
        before = self.rss()
        self.assertLess(STALL_LIMIT_KIB * 1024, len(body), 'the bound must be below the size')
        with Conn(self.port, timeout=60, rcvbuf=4096) as stalled:
            stalled.request('GET', '/hello?n=%d' % STALL_LINES)
            self.assertTrue(select.select([stalled.sock], [], [], 60)[0], 'no response started')
            # The handler runs on the one worker; every request answered on
            # another connection is a turn of its loop after the handler was
            # stopped (a handler never stopped makes all 1.5M lines first).
            peak = before
            for i in range(5):
                with Conn(self.port) as other:
                    other.request('GET', '/small.txt')
                    r = other.read_response()
                    self.assertEqual((r.status, r.body), (200, SMALL))
                    other.request('GET', '/hello?n=%d' % (i + 1))
                    r = other.read_response()
                    self.assertEqual((r.status, r.body), (200, hello_body(i + 1)))
                peak = max(peak, self.rss())
            print('\nVmRSS KiB: %d before, at most %d while a client did not read '
                  '/hello?n=%d (%d bytes of body): %+d KiB'
                  % (before, peak, STALL_LINES, len(body), peak - before))
            self.assertLess(peak - before, STALL_LIMIT_KIB,
                            'VmRSS grew %d -> %d KiB behind a client that did not read'
                            % (before, peak))
            r = stalled.read_response()
            self.assertEqual(r.status, 200)
            if r.body != body:
                self.fail('stalled response: %d bytes, want %d' % (len(r.body), len(body)))
            stalled.request('GET', '/small.txt')
            self.assertEqual(stalled.read_response().body, SMALL)


if __name__ == '__main__':
    if x0test.sanitized_binary():
        x0test.skip_file('x0d is built with AddressSanitizer: VmRSS is not meaningful')
    unittest.main()
