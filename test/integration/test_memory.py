"""No memory growth: after a warm-up, 100,000 keep-alive requests and
100,000 new connections leave x0d's VmRSS within 2 MiB."""

import re
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


if __name__ == '__main__':
    if x0test.sanitized_binary():
        x0test.skip_file('x0d is built with AddressSanitizer: VmRSS is not meaningful')
    unittest.main()
