"""Persistent connections: 1.1 default, 1.0 opt-in, Connection: close,
MaxKeepAliveRequests, KeepAliveTimeout, connection reuse by curl."""

import time
import unittest

import x0test
from x0test import ServerTestCase, build_request

A = b'first file\n'
B = b'second file, a bit longer\n'
FILES = {'a.txt': A, 'b.txt': B}


class KeepAliveTest(ServerTestCase):
    directives = {'KeepAliveTimeout': '5'}
    files = FILES

    def test_http11_two_requests(self):
        with self.conn() as c:
            port = c.sock.getsockname()[1]
            c.request('GET', '/a.txt')
            r1 = c.read_response()
            self.assertTrue(c.still_open(0.3), 'closed after the first HTTP/1.1 response')
            c.request('GET', '/b.txt')
            r2 = c.read_response()
            self.assertEqual(c.sock.getsockname()[1], port)
            self.assertTrue(c.still_open(0.3), 'closed after the second HTTP/1.1 response')
        self.assertEqual((r1.status, r1.body), (200, A))
        self.assertEqual((r2.status, r2.body), (200, B))
        self.assertNotIn('close', r1.tokens('Connection'))
        self.assertNotIn('close', r2.tokens('Connection'))

    def test_http10_closes_by_default(self):
        with self.conn() as c:
            c.request('GET', '/a.txt', version='HTTP/1.0', host=None)
            r = c.read_response()
            self.assertEqual((r.status, r.body), (200, A))
            self.assertNotIn('keep-alive', r.tokens('Connection'))
            self.assertIsNotNone(c.wait_closed(2), 'HTTP/1.0 connection not closed')
            self.assertEqual(bytes(c.buf), b'')

    def test_http10_keep_alive(self):
        with self.conn() as c:
            c.request('GET', '/a.txt', version='HTTP/1.0', headers={'Connection': 'keep-alive'})
            r1 = c.read_response()
            self.assertIn('keep-alive', r1.tokens('Connection'), repr(r1))
            self.assertEqual(r1.header('Content-Length'), str(len(A)))
            self.assertTrue(c.still_open(0.3), 'HTTP/1.0 keep-alive connection closed')
            c.request('GET', '/b.txt', version='HTTP/1.0', headers={'Connection': 'keep-alive'})
            r2 = c.read_response()
            self.assertEqual((r2.status, r2.body), (200, B))
            # without the token the second 1.0 request ends the connection
            c.request('GET', '/a.txt', version='HTTP/1.0')
            r3 = c.read_response()
            self.assertEqual(r3.body, A)
            self.assertIsNotNone(c.wait_closed(2), 'not closed after a plain HTTP/1.0 request')

    def test_http11_connection_close(self):
        with self.conn() as c:
            c.request('GET', '/a.txt', headers={'Connection': 'close'})
            r = c.read_response()
            self.assertEqual((r.status, r.body), (200, A))
            self.assertIn('close', r.tokens('Connection'), repr(r))
            self.assertIsNotNone(c.wait_closed(2), 'Connection: close not honoured')
            self.assertEqual(bytes(c.buf), b'')

    def test_keep_alive_after_404(self):
        with self.conn() as c:
            c.request('GET', '/missing')
            self.assertEqual(c.read_response().status, 404)
            c.request('GET', '/a.txt')
            self.assertEqual(c.read_response().body, A)

    def test_curl_reuses_connection(self):
        p = x0test.curl('-s', '-v', '-o', '/dev/null', '-o', '/dev/null',
                        '-w', '%{http_code} %{num_connects}\n',
                        self.server.url('/a.txt'), self.server.url('/b.txt'))
        out = p.stdout.decode()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(out, '200 1\n200 0\n',
                         'curl -w num_connects for two URLs (second should reuse): %r\n%s'
                         % (out, p.stderr.decode(errors='replace')[-2000:]))


class MaxKeepAliveRequestsTest(ServerTestCase):
    directives = {'MaxKeepAliveRequests': '3'}
    files = FILES

    def test_third_response_closes(self):
        with self.conn() as c:
            for i in range(3):
                c.request('GET', '/a.txt')
                r = c.read_response()
                self.assertEqual((r.status, r.body), (200, A), 'request %d' % (i + 1))
                if i < 2:
                    self.assertNotIn('close', r.tokens('Connection'), 'response %d' % (i + 1))
                    self.assertTrue(c.still_open(0.2), 'closed after response %d' % (i + 1))
            self.assertIn('close', r.tokens('Connection'), '3rd response:\n%r' % r)
            self.assertIsNotNone(c.wait_closed(2), 'not closed after the 3rd response')
            self.assertEqual(bytes(c.buf), b'')

    def test_pipelined_beyond_limit(self):
        with self.conn() as c:
            c.send(build_request('GET', '/a.txt') * 5)
            bodies = [c.read_response().body for _ in range(3)]
            self.assertEqual(bodies, [A] * 3)
            self.assertIsNotNone(c.wait_closed(2))
            self.assertEqual(bytes(c.buf), b'', 'answered more than MaxKeepAliveRequests')


class KeepAliveTimeoutTest(ServerTestCase):
    directives = {'KeepAliveTimeout': '1'}
    files = FILES

    def test_idle_connection_closed(self):
        with self.conn() as c:
            c.request('GET', '/a.txt')
            self.assertEqual(c.read_response().body, A)
            start = time.monotonic()
            self.assertTrue(c.still_open(0.3), 'idle connection closed before 0.3 s')
            took = c.wait_closed(3)
            self.assertIsNotNone(took, 'idle keep-alive connection still open after 3.3 s')
            self.assertEqual(bytes(c.buf), b'', 'server sent bytes on an idle connection')
            elapsed = time.monotonic() - start
            self.assertGreater(elapsed, 0.5, 'closed too early: %.2f s' % elapsed)

    def test_activity_restarts_timer(self):
        with self.conn() as c:
            for i in range(4):
                c.request('GET', '/b.txt')
                self.assertEqual(c.read_response().body, B, 'request %d' % i)
                time.sleep(0.6)


class KeepAliveOffTest(ServerTestCase):
    directives = {'KeepAlive': 'Off'}
    files = FILES

    def test_closes_after_each(self):
        with self.conn() as c:
            c.request('GET', '/a.txt')
            r = c.read_response()
            self.assertEqual(r.body, A)
            self.assertIn('close', r.tokens('Connection'), repr(r))
            self.assertIsNotNone(c.wait_closed(2), 'KeepAlive Off: connection stayed open')


if __name__ == '__main__':
    unittest.main()
