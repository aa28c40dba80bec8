"""Request-head parsing over raw sockets: errors, limits, Date/Server, slow writes."""

import email.utils
import time
import unittest

from x0test import ServerTestCase, build_request

LINE_LIMIT = 256
FIELD_LIMIT = 200
FIELDS_LIMIT = 10
INDEX = b'<html>protocol index</html>\n'


class ProtocolTest(ServerTestCase):
    directives = {'LimitRequestLine': str(LINE_LIMIT),
                  'LimitRequestFieldSize': str(FIELD_LIMIT),
                  'LimitRequestFields': str(FIELDS_LIMIT)}
    files = {'index.html': INDEX}

    def send_raw(self, raw, method='GET'):
        c = self.conn()
        self.addCleanup(c.close)
        c.send(raw)
        return c.read_response(method), c

    def assert_ok(self, raw, what):
        r, c = self.send_raw(raw)
        self.assertEqual(r.status, 200, '%s: %r\n->\n%r' % (what, raw[:300], r))
        self.assertEqual(r.body, INDEX)
        return r

    def assert_error(self, raw, status, what):
        r, c = self.send_raw(raw)
        self.assertEqual(r.status, status, '%s: %r\n->\n%r' % (what, raw[:300], r))
        self.assertIsNotNone(r.header('Content-Length'), '%s: error without Content-Length' % what)
        self.assertEqual(r.framing, 'length')
        self.assertGreater(len(r.body), 0, '%s: error response without a body' % what)
        self.assertIsNotNone(r.header('Date'), what)
        self.assertIsNotNone(r.header('Server'), what)
        closed = c.wait_closed(3)
        self.assertIsNotNone(closed, '%s: connection still open 3 s after the %d' % (what, status))
        self.assertEqual(bytes(c.buf), b'', '%s: bytes after the error response' % what)
        return r

    # ---- good requests
    def test_simple(self):
        r = self.assert_ok(build_request('GET', '/index.html'), 'GET')
        self.assertEqual(r.version, 'HTTP/1.1')
        self.assertEqual(r.reason, 'OK')

    def test_date_and_server(self):
        r = self.assert_ok(build_request('GET', '/'), 'GET /')
        date = r.header('Date')
        self.assertIsNotNone(date)
        self.assertTrue(date.endswith(' GMT'), date)
        ts = email.utils.parsedate_to_datetime(date).timestamp()
        self.assertLess(abs(ts - time.time()), 5, 'Date %r is off' % date)
        self.assertTrue(r.header('Server'), 'no Server header')

    def test_http10_without_host(self):
        r, c = self.send_raw(build_request('GET', '/index.html', version='HTTP/1.0', host=None))
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.body, INDEX)

    def test_leading_empty_line(self):
        # RFC 9112 2.2: a server SHOULD ignore at least one empty line before the request line.
        self.assert_ok(b'\r\n' + build_request('GET', '/index.html'), 'leading CRLF')

    def test_absolute_form(self):
        # RFC 9112 3.2.2: a server MUST accept the absolute-form.
        self.assert_ok(build_request('GET', 'http://localhost/index.html'), 'absolute-form')

    def test_one_byte_writes(self):
        raw = build_request('GET', '/index.html', headers={'User-Agent': 'slow-writer',
                                                           'Accept': '*/*'})
        with self.conn() as c:
            for i in range(len(raw)):
                c.send(raw[i:i + 1])
                time.sleep(0.005)
            r = c.read_response()
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.body, INDEX)

    # ---- errors
    def test_missing_host(self):
        self.assert_error(build_request('GET', '/', host=None), 400, 'HTTP/1.1 without Host')

    def test_duplicate_host(self):
        # RFC 9112 3.2: more than one Host -> 400.
        self.assert_error(build_request('GET', '/', headers=[('Host', 'other')]), 400,
                          'two Host fields')

    def test_unknown_method(self):
        self.assert_error(build_request('FOO', '/'), 501, 'FOO')

    def test_http2_version(self):
        self.assert_error(build_request('GET', '/', version='HTTP/2.0'), 505, 'HTTP/2.0')
        self.assert_error(build_request('GET', '/', version='HTTP/3.0'), 505, 'HTTP/3.0')

    def test_garbage_request_line(self):
        self.assert_error(b'hello\r\n\r\n', 400, 'one word')
        self.assert_error(b'GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'control char in target')
        self.assert_error(b'GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n', 400, 'four words')
        self.assert_error(b'GET / HTTX/1.1\r\nHost: x\r\n\r\n', 400, 'bad protocol')

    def test_request_line_limit(self):
        fill = LINE_LIMIT - len('GET / HTTP/1.1')
        ok = build_request('GET', '/' + 'a' * fill)
        self.assertEqual(ok.index(b'\r\n'), LINE_LIMIT)
        r, c = self.send_raw(ok)
        self.assertEqual(r.status, 404, 'request line of exactly LimitRequestLine=%d bytes:\n%r'
                         % (LINE_LIMIT, r))
        self.assert_error(build_request('GET', '/' + 'a' * (fill + 1)), 414,
                          'request line of LimitRequestLine+1 bytes')
        self.assert_error(build_request('GET', '/' + 'a' * 5000), 414, 'request line of 5 KB')

    def test_field_size_limit(self):
        name = 'X-Long: '
        ok = name + 'b' * (FIELD_LIMIT - len(name))
        self.assertEqual(len(ok), FIELD_LIMIT)
        self.assert_ok(build_request('GET', '/', headers=[tuple(ok.split(': ', 1))]),
                       'field line of exactly LimitRequestFieldSize bytes')
        self.assert_error(build_request('GET', '/', headers=[('X-Long', 'b' * (FIELD_LIMIT - len(name) + 1))]),
                          431, 'field line of LimitRequestFieldSize+1 bytes')
        self.assert_error(build_request('GET', '/', headers=[('X-Long', 'b' * 10000)]),
                          431, 'field line of 10 KB')

    def test_field_count_limit(self):
        # Host counts as a field.
        ok = [('X-F%d' % i, 'v') for i in range(FIELDS_LIMIT - 1)]
        self.assert_ok(build_request('GET', '/', headers=ok), '%d fields' % FIELDS_LIMIT)
        bad = [('X-F%d' % i, 'v') for i in range(FIELDS_LIMIT)]
        self.assert_error(build_request('GET', '/', headers=bad), 431,
                          '%d fields' % (FIELDS_LIMIT + 1))
        many = [('X-F%d' % i, 'v') for i in range(200)]
        self.assert_error(build_request('GET', '/', headers=many), 431, '201 fields')

    def test_obs_fold(self):
        self.assert_error(b'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n', 400, 'obs-fold SP')
        self.assert_error(b'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tb\r\n\r\n', 400, 'obs-fold TAB')

    def test_space_before_colon(self):
        self.assert_error(b'GET / HTTP/1.1\r\nHost : x\r\n\r\n', 400, 'space before colon (Host)')
        self.assert_error(b'GET / HTTP/1.1\r\nHost: x\r\nX-A : a\r\n\r\n', 400, 'space before colon')

    def test_bad_field_lines(self):
        self.assert_error(b'GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n', 400, 'no colon')
        self.assert_error(b'GET / HTTP/1.1\r\nHost: x\r\n: empty name\r\n\r\n', 400, 'empty name')

    # DESIGN.md: the smuggling vectors are rejected with 400 and a close
    # (RFC 9112 6.1, 6.3), whatever the method and whether a body is read.
    def test_bare_cr(self):
        self.assert_error(b'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n', 400, 'bare CR')

    def test_nul_in_field(self):
        self.assert_error(b'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n', 400, 'NUL')

    def test_content_length_and_transfer_encoding(self):
        self.assert_error(b'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n'
                          b'Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'CL + TE')

    def test_differing_content_lengths(self):
        self.assert_error(b'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n'
                          b'Content-Length: 6\r\n\r\nhello!', 400, 'two Content-Lengths')

    def test_bad_content_length(self):
        self.assert_error(b'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n', 400,
                          'negative Content-Length')
        self.assert_error(b'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n', 400,
                          'Content-Length 1x')

    def test_transfer_encoding_not_chunked(self):
        # RFC 9112 6.3: chunked not final in a request -> 400 and close.
        self.assert_error(b'GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n', 400,
                          'Transfer-Encoding: gzip')

    def test_body_not_parsed_as_request(self):
        # A body the handler ignores is discarded or the connection closed:
        # its bytes never become a request of their own.
        smuggled = b'GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n'
        for framing, body in ((b'Content-Length: %d\r\n' % len(smuggled), smuggled),
                              (b'Transfer-Encoding: chunked\r\n',
                               b'%x\r\n%s\r\n0\r\n\r\n' % (len(smuggled), smuggled))):
            with self.conn(timeout=3) as c:
                c.send(b'GET /index.html HTTP/1.1\r\nHost: x\r\n' + framing + b'\r\n' + body
                       + build_request('GET', '/index.html'))
                r = c.read_response()
                self.assertEqual((r.status, r.body), (200, INDEX), framing)
                if c.wait_closed(0.5) is None or c.buf:
                    r2 = c.read_response()
                    self.assertEqual((r2.status, r2.body), (200, INDEX),
                                     'the body became a request (%r)' % framing)


if __name__ == '__main__':
    unittest.main()
