"""Pipelining: many requests in one write, answered in order, exactly once."""

import random
import time
import unittest

from x0test import ServerTestCase, build_request

FILES = {
    'one.txt': b'one\n',
    'two.html': b'<p>two, longer than one</p>\n' * 3,
    'three.css': b'.three { }\n' * 50,
    'big.bin': random.Random(7).randbytes(256 * 1024),
}


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
        # the client reads only after sending everything: back-pressure on the
        # server side must not reorder, drop or mix responses
        items = [('GET', '/big.bin', 200, FILES['big.bin']), ('HEAD', '/big.bin', 200, b''),
                 ('GET', '/one.txt', 200, FILES['one.txt'])] * 10
        raw = b''.join(build_request(m, p) for m, p, _, _ in items)
        with self.conn() as c:
            c.send(raw)
            time.sleep(0.5)
            self.check(c, items)

    def test_head_then_get_pairs(self):
        items = [('HEAD', '/three.css', 200, b''), ('GET', '/three.css', 200, FILES['three.css'])] * 20
        raw = b''.join(build_request(m, p) for m, p, _, _ in items)
        with self.conn() as c:
            c.send(raw)
            self.check(c, items)


if __name__ == '__main__':
    unittest.main()
