"""Pipelining: many requests in one write, answered in order, exactly once;
and a pipelined batch of memory-producing responses to a client that does not
read drives x0d into flow control (X0_FLOW_STOP) without holding the batch in
memory."""

import random
import select
import time
import unittest

import x0test
from x0test import Conn, ServerTestCase, build_request

FILES = {
    'one.txt': b'one\n',
    'two.html': b'<p>two, longer than one</p>\n' * 3,
    'three.css': b'.three { }\n' * 50,
    'big.bin': random.Random(7).randbytes(256 * 1024),
}


def hello_body(n):
    """The body of GET /hello?n=N (mod_hello)."""
    return b''.join(b'hello, world %d\n' % i for i in range(1, n + 1))


def wait_readable(sock, timeout):
    """Block until @sock has bytes to read (or EOF); False after @timeout s."""
    return bool(select.select([sock], [], [], timeout)[0])


# test_flow_control_memory_responses: a batch of x0-hello responses whose
# lines are each a heap bucket of their own, i.e. memory that counts against
# CORE_OUT's bound (256 KiB, core_output.h), unlike the file bucket of a
# static response.  FLOW_REQUESTS responses of about 80 KiB each on the wire
# (some 12 MB in all) are far more than the kernel's socket buffers take, so
# the server must stop producing; were it to produce them all, their buckets
# would take some 370 MB (each ~20-byte line costs hundreds of bytes in
# buckets and chunk framing).  FLOW_GROWTH_KIB is what a stalled batch may
# add to x0d's VmRSS: about 12 MB is measured (the 256 KiB bound counts bytes,
# not the buckets that carry them).
FLOW_REQUESTS = 40 if x0test.WRAPPER else 150
FLOW_LINES = 1000 if x0test.WRAPPER else 3000
FLOW_GROWTH_KIB = 32 * 1024


def plan(n, seed=3, missing_at=None):
    """n (method, path, expected status, expected body) in a fixed random mix."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        if i == missing_at:
            out.append(('GET', '/missing.txt', 404, None))
            continue
        name = rnd.choice(['one.txt', 'two.html', 'three.css'])
        method = 'HEAD' if rnd.random() < 0.2 else 'GET'
        out.append((method, '/' + name, 200, b'' if method == 'HEAD' else FILES[name]))
    return out


class PipeliningTest(ServerTestCase):
    directives = {'MaxKeepAliveRequests': '1000'}
    files = FILES

    def check(self, c, items):
        for i, (method, path, status, body) in enumerate(items):
            r = c.read_response(method)
            self.assertEqual(r.status, status, 'response %d (%s %s):\n%r' % (i, method, path, r))
            if body is not None:
                self.assertEqual(r.body, body, 'response %d (%s %s) body' % (i, method, path))
            if method == 'HEAD':
                self.assertEqual(r.header('Content-Length'), str(len(FILES[path[1:]])))

    def test_hundred_in_one_write(self):
        items = plan(100, missing_at=37)
        raw = b''.join(build_request(m, p, headers={'Connection': 'close'} if i == 99 else None)
                       for i, (m, p, _, _) in enumerate(items))
        with self.conn() as c:
            c.send(raw)
            self.check(c, items)
            self.assertIsNotNone(c.wait_closed(2), 'not closed after the last request\'s '
                                 'Connection: close')
            self.assertEqual(bytes(c.buf), b'', 'more than 100 responses')

    def test_hundred_then_more(self):
        items = plan(100, seed=5, missing_at=99)
        raw = b''.join(build_request(m, p) for m, p, _, _ in items)
        with self.conn() as c:
            c.send(raw)
            self.check(c, items)
            self.assertTrue(c.still_open(0.5), 'connection closed after 100 pipelined requests')
            self.assertEqual(bytes(c.buf), b'', 'more than 100 responses')
            c.request('GET', '/one.txt')
            self.assertEqual(c.read_response().body, FILES['one.txt'])

    def test_requests_after_close_ignored(self):
        # RFC 9112 9.6: no further requests are processed after "close".
        raw = (build_request('GET', '/one.txt')
               + build_request('GET', '/two.html', headers={'Connection': 'close'})
               + build_request('GET', '/three.css') + build_request('GET', '/one.txt'))
        with self.conn() as c:
            c.send(raw)
            self.assertEqual(c.read_response().body, FILES['one.txt'])
            r = c.read_response()
            self.assertEqual(r.body, FILES['two.html'])
            self.assertIn('close', r.tokens('Connection'))
            self.assertIsNotNone(c.wait_closed(2))
            self.assertEqual(bytes(c.buf), b'', 'answered requests after Connection: close')

    def test_split_at_odd_points(self):
        items = plan(30, seed=11, missing_at=12)
        raw = b''.join(build_request(m, p) for m, p, _, _ in items)
        rnd = random.Random(13)
        cuts = sorted(set(rnd.randrange(1, len(raw)) for _ in range(40)))
        # include cuts inside "\r\n\r\n" and right after a request's end
        end = raw.index(b'\r\n\r\n')
        cuts = sorted(set(cuts + [end + 1, end + 2, end + 3, end + 4]))
        with self.conn() as c:
            prev = 0
            for cut in cuts + [len(raw)]:
                c.send(raw[prev:cut])
                prev = cut
                time.sleep(0.01)
            self.check(c, items)
            self.assertTrue(c.still_open(0.3))

    def test_pipelined_big_responses(self):
        # The client reads only once the server has started answering: a
        # blocked socket must not reorder, drop or mix file responses.  (File
        # bodies do not count against the output bound, so this never reaches
        # flow control: test_flow_control_memory_responses does.)
        items = [('GET', '/big.bin', 200, FILES['big.bin']), ('HEAD', '/big.bin', 200, b''),
                 ('GET', '/one.txt', 200, FILES['one.txt'])] * 10
        raw = b''.join(build_request(m, p) for m, p, _, _ in items)
        with self.conn(rcvbuf=4096) as c:
            c.send(raw)
            self.assertTrue(wait_readable(c.sock, c.timeout), 'no response started')
            self.check(c, items)

    def test_flow_control_memory_responses(self):
        # FLOW_REQUESTS pipelined x0-hello responses, each a different length
        # (so that order shows), to a client that reads nothing until the
        # server has stopped.  The worker must stop the producer (X0_FLOW_STOP)
        # and go back to its loop, which other clients see; x0d's VmRSS must
        # stay far below what the batch would take in buckets; then, as the
        # client reads, every response must come complete and in order.
        measure = not (x0test.WRAPPER or x0test.sanitized_binary())
        lines = [FLOW_LINES + i for i in range(FLOW_REQUESTS)]
        raw = b''.join(build_request('GET', '/hello?n=%d' % n) for n in lines)
        before = x0test.rss_kib(self.server.pid) if measure else 0
        peak = before
        with self.conn(rcvbuf=4096) as c:
            c.send(raw)
            self.assertTrue(wait_readable(c.sock, c.timeout), 'no response started')
            # The first response has started: its handler runs on the one
            # worker.  Each request answered on another connection is a turn
            # of the worker's loop after that, i.e. after the producer was
            # stopped -- a producer that is never stopped makes the whole
            # batch before the loop turns.
            for _ in range(5):
                with Conn(self.port) as other:
                    other.request('GET', '/one.txt')
                    r = other.read_response()
                    self.assertEqual((r.status, r.body), (200, FILES['one.txt']))
                if measure:
                    peak = max(peak, x0test.rss_kib(self.server.pid))
            if measure:
                print('\nVmRSS KiB: %d before, at most %d while %d pipelined x0-hello '
                      'responses (%d lines) waited for the client: %+d KiB'
                      % (before, peak, len(lines), sum(lines), peak - before))
                self.assertLess(peak - before, FLOW_GROWTH_KIB,
                                'VmRSS grew %d -> %d KiB while the client did not read: '
                                'the producer was not stopped (X0_FLOW_STOP)'
                                % (before, peak))
            for i, n in enumerate(lines):
                r = c.read_response()
                self.assertEqual(r.status, 200, 'response %d (n=%d)' % (i, n))
                self.assertEqual(r.framing, 'chunked', 'response %d (n=%d)' % (i, n))
                if r.body != hello_body(n):
                    self.fail('response %d: %d bytes, want the %d lines of /hello?n=%d '
                              '(%d bytes)' % (i, len(r.body), n, n, len(hello_body(n))))
            self.assertEqual(bytes(c.buf), b'', 'more responses than requests')
            c.request('GET', '/one.txt')
            self.assertEqual(c.read_response().body, FILES['one.txt'])

    def test_head_then_get_pairs(self):
        items = [('HEAD', '/three.css', 200, b''), ('GET', '/three.css', 200, FILES['three.css'])] * 20
        raw = b''.join(build_request(m, p) for m, p, _, _ in items)
        with self.conn() as c:
            c.send(raw)
            self.check(c, items)


if __name__ == '__main__':
    unittest.main()
