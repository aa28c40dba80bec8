"""The chunk filter, through the x0-hello handler (no Content-Length, several
brigades): strict framing on HTTP/1.1, close-delimited on HTTP/1.0."""

import unittest

from x0test import ServerTestCase, build_request

INDEX = b'<html>chunked index</html>\n'


def hello(n):
    return b''.join(b'hello, world %d\n' % i for i in range(1, n + 1))


class ChunkedTest(ServerTestCase):
    directives = {'MaxKeepAliveRequests': '1000'}
    files = {'index.html': INDEX}

    def raw_chunked(self, path):
        """Parse the chunked body by hand from the raw bytes (independently of
        x0test's reader): returns (head, [chunk data])."""
        with self.conn() as c:
            c.request('GET', path)
            r = c.read_head()
            self.assertEqual(r.status, 200, repr(r))
            self.assertEqual(r.tokens('Transfer-Encoding'), ['chunked'], repr(r))
            self.assertIsNone(r.header('Content-Length'), repr(r))
            chunks = []
            pos = 0
            buf = c.buf
            while True:
                while b'\r\n' not in buf[pos:]:
                    self.assertTrue(c._fill(), 'closed inside chunk size (%d chunks)' % len(chunks))
                end = buf.index(b'\r\n', pos)
                size_line = bytes(buf[pos:end])
                self.assertRegex(size_line, rb'^[0-9A-Fa-f]+$', 'chunk-size line %r' % size_line)
                size = int(size_line, 16)
                pos = end + 2
                if size == 0:
                    while len(buf) < pos + 2:
                        self.assertTrue(c._fill(), 'closed before the final CRLF')
                    self.assertEqual(bytes(buf[pos:pos + 2]), b'\r\n',
                                     'last-chunk not followed by CRLF (trailers?)')
                    del buf[:pos + 2]
                    break
                while len(buf) < pos + size + 2:
                    self.assertTrue(c._fill(), 'closed inside chunk data')
                chunks.append(bytes(buf[pos:pos + size]))
                self.assertEqual(bytes(buf[pos + size:pos + size + 2]), b'\r\n',
                                 'chunk of %d not followed by CRLF' % size)
                pos += size + 2
            self.assertEqual(bytes(buf), b'', 'bytes after the last chunk')
            self.assertTrue(c.still_open(0.2), 'HTTP/1.1 connection closed after a chunked response')
        return r, chunks

    def check_hello(self, query, n):
        r, chunks = self.raw_chunked('/hello' + query)
        self.assertEqual(b''.join(chunks), hello(n), '/hello%s' % query)
        self.assertNotIn(b'', chunks, 'zero-size chunk before the end')
        self.assertEqual((r.header('Content-Type') or '').split(';')[0].strip(), 'text/plain')
        return chunks

    def test_n1(self):
        self.check_hello('?n=1', 1)

    def test_default_n3(self):
        self.check_hello('', 3)

    def test_n3(self):
        self.check_hello('?n=3', 3)

    def test_n1000(self):
        self.check_hello('?n=1000', 1000)

    def test_location_sees_the_normalized_path(self):
        # <Location /hello> matches however the path is spelled (as httpd).
        for path in ('/%68ello?n=2', '//hello?n=2', '/x/../hello?n=2'):
            with self.conn() as c:
                c.request('GET', path)
                r = c.read_response()
            self.assertEqual((r.status, r.body), (200, hello(2)), path)

    def test_reader_agrees(self):
        with self.conn() as c:
            c.request('GET', '/hello?n=50')
            r = c.read_response()
        self.assertEqual(r.framing, 'chunked')
        self.assertEqual(r.body, hello(50))
        self.assertEqual(r.trailers, [])

    def test_keep_alive_after_chunked(self):
        with self.conn() as c:
            c.request('GET', '/hello?n=5')
            r1 = c.read_response()
            c.request('GET', '/index.html')
            r2 = c.read_response()
            c.send(build_request('GET', '/hello?n=2') + build_request('GET', '/hello?n=7')
                   + build_request('GET', '/index.html'))
            r3, r4, r5 = c.read_response(), c.read_response(), c.read_response()
        self.assertEqual(r1.body, hello(5))
        self.assertEqual((r2.status, r2.body), (200, INDEX))
        self.assertEqual((r3.framing, r3.body), ('chunked', hello(2)))
        self.assertEqual((r4.framing, r4.body), ('chunked', hello(7)))
        self.assertEqual(r5.body, INDEX)

    def test_http10(self):
        with self.conn() as c:
            c.request('GET', '/hello?n=4', version='HTTP/1.0')
            r = c.read_response()
            self.assertTrue(c.eof)
        self.assertEqual(r.status, 200)
        self.assertIsNone(r.header('Transfer-Encoding'), repr(r))
        self.assertIsNone(r.header('Content-Length'), repr(r))
        self.assertEqual(r.framing, 'close')
        self.assertEqual(r.body, hello(4))

    def test_http10_keep_alive_requested(self):
        # no length and no chunking on 1.0: the server must close anyway
        with self.conn() as c:
            c.request('GET', '/hello?n=4', version='HTTP/1.0', headers={'Connection': 'keep-alive'})
            r = c.read_response()
        self.assertNotIn('keep-alive', r.tokens('Connection'), repr(r))
        self.assertEqual(r.framing, 'close')
        self.assertEqual(r.body, hello(4))

    def test_head(self):
        with self.conn() as c:
            c.send(build_request('HEAD', '/hello?n=3') + build_request('GET', '/index.html'))
            h = c.read_response('HEAD')
            g = c.read_response('GET')
        self.assertEqual(h.status, 200, repr(h))
        self.assertIsNone(h.header('Content-Length'), 'HEAD /hello claims a length')
        self.assertEqual(g.status, 200, 'HEAD /hello sent a body? next response:\n%r' % g)
        self.assertEqual(g.body, INDEX)

    def test_connection_close(self):
        # chunked, then the close: the body still ends with the last-chunk
        with self.conn() as c:
            c.request('GET', '/hello?n=20', headers={'Connection': 'close'})
            raw = c.read_until_close()
        head, _, body = raw.partition(b'\r\n\r\n')
        self.assertIn(b'chunked', head.lower(), raw[:300])
        self.assertTrue(body.endswith(b'\r\n0\r\n\r\n'), 'chunked body ends with %r' % body[-20:])


if __name__ == '__main__':
    unittest.main()
