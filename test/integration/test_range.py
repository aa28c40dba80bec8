"""Range requests (RFC 9110 section 14) against a real x0d: single ranges,
multipart/byteranges, 416, invalid or abusive Range fields, If-Range,
responses of unknown length, and ranges of a sparse 5 GiB file that cross
2^31 and 2^32.

Every range response is followed by a plain GET on the same connection, so
a Content-Length that does not match the body shows up as garbage in front
of the second response."""

import os
import re
import tempfile
import time
import unittest

import x0test
from x0test import ServerTestCase, build_request

MTIME = 1577934245            # Thu, 02 Jan 2020 03:04:05 GMT
MTIME_TEXT = 'Thu, 02 Jan 2020 03:04:05 GMT'
DATA = bytes((i * 7 + i // 256) & 0xff for i in range(10000))
OTHER = b'the request after\n'
HELLO3 = b'hello, world 1\nhello, world 2\nhello, world 3\n'
BIN_TYPE = 'application/octet-stream'


def parse_multipart(r):
    """The parts of a multipart/byteranges response as [(headers, data)],
    checking the delimiters byte for byte (RFC 9110 14.6, RFC 2046 5.1)."""
    m = re.fullmatch(r'multipart/byteranges; boundary=([0-9A-Za-z\'()+_,./:=?-]{1,70})',
                     r.header('Content-Type') or '')
    if not m:
        raise AssertionError('not multipart/byteranges: %r' % r)
    boundary = m.group(1).encode()
    body = r.body
    close = b'\r\n--' + boundary + b'--\r\n'
    if not body.endswith(close):
        raise AssertionError('no close-delimiter at the end: %r' % body[-80:])
    pieces = body[:-len(close)].split(b'\r\n--' + boundary + b'\r\n')
    if pieces[0] != b'':
        raise AssertionError('a preamble before the first part: %r' % pieces[0][:80])
    parts = []
    for piece in pieces[1:]:
        head, sep, data = piece.partition(b'\r\n\r\n')
        if not sep:
            raise AssertionError('a part without a blank line: %r' % piece[:200])
        fields = {}
        for line in head.split(b'\r\n'):
            name, _, value = line.decode('latin-1').partition(': ')
            fields[name.lower()] = value
        parts.append((fields, data))
    return parts


class RangeTest(ServerTestCase):
    files = {'data.bin': DATA, 'empty.bin': b'', 'other.txt': OTHER,
             'page.txt': b'0123456789abcdefghij'}

    @classmethod
    def prepare(cls, server):
        # An old file: its Last-Modified is a strong validator (8.8.2.2).
        os.utime(server.path('data.bin'), (MTIME, MTIME))

    # ---- helpers
    def exchange(self, headers, path='/data.bin', method='GET', version='HTTP/1.1'):
        """@method @path with @headers, then GET /other.txt on the same
        connection; returns the first response."""
        items = list(headers.items()) if isinstance(headers, dict) else list(headers)
        with self.conn() as c:
            c.send(build_request(method, path, headers=items, version=version)
                   + build_request('GET', '/other.txt'))
            r = c.read_response(method)
            if version == 'HTTP/1.1':
                nxt = c.read_response('GET')
                self.assertEqual((nxt.status, nxt.body), (200, OTHER),
                                 'the response after %s %s %r is not the next one:\n%r\n%r'
                                 % (method, path, headers, r, nxt))
        return r

    def range(self, spec, **kw):
        headers = kw.pop('headers', [])
        return self.exchange([('Range', spec)] + headers, **kw)

    def expect_206(self, spec, first, last, length=len(DATA), data=DATA, **kw):
        r = self.range(spec, **kw)
        self.assertEqual(r.status, 206, '%s ->\n%r' % (spec, r))
        self.assertEqual(r.header('Content-Range'), 'bytes %d-%d/%d' % (first, last, length))
        self.assertEqual(r.framing, 'length', repr(r))
        self.assertEqual(r.header('Content-Length'), str(last - first + 1))
        self.assertEqual(r.body, data[first:last + 1])
        return r

    def expect_whole(self, spec, path='/data.bin', data=DATA, **kw):
        """14.2: the Range field is ignored: 200 with the whole file."""
        r = self.range(spec, path=path, **kw)
        self.assertEqual(r.status, 200, '%r ->\n%r' % (spec[:80], r))
        self.assertIsNone(r.header('Content-Range'), repr(r))
        self.assertEqual(r.body, data)
        return r

    def etag(self):
        e = self.get('/data.bin').header('ETag')
        self.assertTrue(e and e.startswith('"'), 'no strong ETag: %r' % e)
        return e

    # ---- single ranges (14.1.2, 14.4, 15.3.7)
    def test_single_range(self):
        r = self.expect_206('bytes=100-199', 100, 199)
        self.assertEqual(r.header('Content-Type'), BIN_TYPE)
        self.assertEqual(r.header('Accept-Ranges'), 'bytes')
        self.assertEqual(r.header('ETag'), self.etag())
        self.assertEqual(r.header('Last-Modified'), MTIME_TEXT)

    def test_first_and_last_byte(self):
        self.expect_206('bytes=0-0', 0, 0)
        self.expect_206('bytes=9999-9999', 9999, 9999)

    def test_suffix_range(self):
        self.expect_206('bytes=-500', 9500, 9999)
        self.expect_206('bytes=-1', 9999, 9999)
        # 14.1.2: a suffix longer than the file selects all of it.
        self.expect_206('bytes=-20000', 0, 9999)

    def test_open_ended_range(self):
        self.expect_206('bytes=9000-', 9000, 9999)
        self.expect_206('bytes=0-', 0, 9999)

    def test_last_position_is_clamped(self):
        self.expect_206('bytes=9990-20000', 9990, 9999)

    def test_unit_and_whitespace(self):
        self.expect_206('BYTES=1-2', 1, 2)
        self.expect_206('bytes=, 5-6 ,', 5, 6)

    def test_http10_client(self):
        r = self.range('bytes=10-19', version='HTTP/1.0')
        self.assertEqual(r.status, 206, repr(r))
        self.assertEqual(r.body, DATA[10:20])

    def test_pipelined_ranges_stay_in_order(self):
        specs = [('bytes=0-9', 0, 9), ('bytes=-3', 9997, 9999), ('bytes=500-', 500, 9999)]
        with self.conn() as c:
            c.send(b''.join(build_request('GET', '/data.bin', headers=[('Range', s)])
                            for s, _, _ in specs))
            for s, first, last in specs:
                r = c.read_response()
                self.assertEqual(r.status, 206, repr(r))
                self.assertEqual(r.header('Content-Range'), 'bytes %d-%d/10000' % (first, last))
                self.assertEqual(r.body, DATA[first:last + 1])

    # ---- several ranges (14.6)
    def test_multipart(self):
        r = self.range('bytes=500-599,0-9,-10')
        self.assertEqual(r.status, 206, repr(r))
        self.assertIsNone(r.header('Content-Range'), '14.6: no Content-Range on multipart')
        self.assertEqual(r.framing, 'length', 'Content-Length is computed in advance')
        parts = parse_multipart(r)
        want = [(500, 599), (0, 9), (9990, 9999)]       # 15.3.7.2: in the order asked for
        self.assertEqual(len(parts), len(want), repr(r))
        for (fields, data), (first, last) in zip(parts, want):
            self.assertEqual(fields, {'content-type': BIN_TYPE,
                                      'content-range': 'bytes %d-%d/10000' % (first, last)})
            self.assertEqual(data, DATA[first:last + 1])

    def test_multipart_part_type_follows_the_file(self):
        r = self.range('bytes=0-1,5-6', path='/page.txt')
        parts = parse_multipart(r)
        self.assertEqual([f['content-type'] for f, _ in parts], ['text/plain'] * 2)
        self.assertEqual([d for _, d in parts], [b'01', b'56'])

    def test_multipart_boundaries_differ(self):
        a = self.range('bytes=0-1,5-6').header('Content-Type')
        b = self.range('bytes=0-1,5-6').header('Content-Type')
        self.assertNotEqual(a, b)

    def test_overlapping_and_adjacent_ranges_are_merged(self):
        self.expect_206('bytes=0-9,5-19,20-29', 0, 29)
        self.expect_206('bytes=100-,-50', 100, 9999)
        parts = parse_multipart(self.range('bytes=0-9,5-19,21-29'))
        self.assertEqual([d for _, d in parts], [DATA[0:20], DATA[21:30]])
        # A merged part goes out where its first range-spec was.
        parts = parse_multipart(self.range('bytes=50-59,0-5,3-10'))
        self.assertEqual([f['content-range'] for f, _ in parts],
                         ['bytes 50-59/10000', 'bytes 0-10/10000'])
        self.assertEqual([d for _, d in parts], [DATA[50:60], DATA[0:11]])

    # ---- unsatisfiable (14.1.1, 15.5.17)
    def test_unsatisfiable_is_416(self):
        for spec in ('bytes=10000-', 'bytes=20000-30000', 'bytes=-0', 'bytes=10000-,-0'):
            r = self.range(spec)
            self.assertEqual(r.status, 416, '%s ->\n%r' % (spec, r))
            self.assertEqual(r.header('Content-Range'), 'bytes */10000')
            self.assertEqual(r.header('Content-Length'), '0')
            self.assertEqual(r.body, b'')

    def test_zero_length_file(self):
        r = self.range('bytes=0-', path='/empty.bin')
        self.assertEqual(r.status, 416, repr(r))
        self.assertEqual(r.header('Content-Range'), 'bytes */0')
        # 14.1.2: a suffix is satisfiable even here, but no 206 can say so.
        r = self.expect_whole('bytes=-5', path='/empty.bin', data=b'')
        self.assertEqual(r.header('Content-Length'), '0')

    # ---- ignored Range fields (14.2)
    def test_invalid_syntax_is_ignored(self):
        for spec in ('bytes=5-2', 'bytes=a-b', 'bytes=0-1,x', 'bytes=0 - 1', 'bytes=',
                     'lines=0-1', 'bytes=99999999999999999999-', 'bytes 0-1', 'bytes=1'):
            self.expect_whole(spec)

    def test_a_thousand_ranges_get_the_whole_file(self):
        r = self.expect_whole('bytes=' + ','.join(['0-'] * 1000))
        self.assertEqual(r.header('Content-Length'), str(len(DATA)))
        # 200 is still fine, and below the limit they merge into one range.
        self.expect_206('bytes=' + ','.join(['0-'] * 200), 0, 9999)
        self.expect_whole('bytes=' + ','.join('%d-%d' % (i, i) for i in range(0, 402, 2)))

    def test_head_ignores_range(self):
        """14.2: Range is defined for GET only."""
        r = self.range('bytes=0-9', method='HEAD')
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.header('Content-Length'), str(len(DATA)))
        self.assertEqual(r.header('Accept-Ranges'), 'bytes')
        self.assertIsNone(r.header('Content-Range'))

    def test_unknown_length_response_ignores_range(self):
        """x0-hello streams without a Content-Length: sent whole, chunked."""
        r = self.range('bytes=0-4', path='/hello')
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.framing, 'chunked')
        self.assertEqual(r.body, HELLO3)
        self.assertIsNone(r.header('Accept-Ranges'))

    def test_errors_and_304_ignore_range(self):
        r = self.range('bytes=0-9', path='/missing.bin')
        self.assertEqual(r.status, 404, repr(r))
        self.assertIsNone(r.header('Content-Range'))
        r = self.range('bytes=0-9', headers=[('If-None-Match', self.etag())])
        self.assertEqual(r.status, 304, repr(r))
        self.assertIsNone(r.header('Content-Range'))

    def test_accept_ranges_on_files(self):
        r = self.get('/data.bin')
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header('Accept-Ranges'), 'bytes')

    # ---- If-Range (13.1.5)
    def test_if_range_strong_etag_match(self):
        self.expect_206('bytes=0-9', 0, 9, headers=[('If-Range', self.etag())])

    def test_if_range_etag_mismatch(self):
        self.expect_whole('bytes=0-9', headers=[('If-Range', '"not-the-etag"')])

    def test_if_range_weak_etag_never_matches(self):
        self.expect_whole('bytes=0-9', headers=[('If-Range', 'W/' + self.etag())])

    def test_if_range_date_match(self):
        self.expect_206('bytes=0-9', 0, 9, headers=[('If-Range', MTIME_TEXT)])
        # The same instant in the obsolete RFC 850 form (5.6.7).
        self.expect_206('bytes=0-9', 0, 9,
                        headers=[('If-Range', 'Thursday, 02-Jan-20 03:04:05 GMT')])

    def test_if_range_date_mismatch(self):
        for date in ('Thu, 02 Jan 2020 03:04:06 GMT', 'Thu, 02 Jan 2020 03:04:04 GMT',
                     'not a date'):
            self.expect_whole('bytes=0-9', headers=[('If-Range', date)])

    def test_if_range_date_in_the_second_of_the_response_is_weak(self):
        """8.8.2.2: a Last-Modified in the second of the response is a weak
        validator. A file modified in the future gets the response's own
        time as Last-Modified (8.8.2.1), so it never matches."""
        path = self.server.write('future.bin', DATA)
        future = int(time.time()) + 3600
        os.utime(path, (future, future))
        lm = self.get('/future.bin').header('Last-Modified')
        self.assertIsNotNone(lm)
        self.expect_whole('bytes=0-9', path='/future.bin', headers=[('If-Range', lm)])


class MaxRangesTest(ServerTestCase):
    """The MaxRanges directive, server-wide and per <Location>."""
    directives = {'MaxRanges': '2'}
    extra = '<Location /none>\n    MaxRanges none\n</Location>\n'
    files = {'data.bin': DATA, 'none/data.bin': DATA}

    def test_limit(self):
        r = self.get('/data.bin', headers=[('Range', 'bytes=0-1,5-6')])
        self.assertEqual(r.status, 206, repr(r))
        r = self.get('/data.bin', headers=[('Range', 'bytes=0-1,5-6,9-10')])
        self.assertEqual((r.status, r.body), (200, DATA))

    def test_none_ignores_range(self):
        r = self.get('/none/data.bin', headers=[('Range', 'bytes=0-1')])
        self.assertEqual((r.status, r.body), (200, DATA))
        self.assertIsNone(r.header('Content-Range'))


# ---- a sparse 5 GiB file: 64-bit positions in Content-Range and in sendfile
GIB = 2 ** 30
SIZE = 5 * GIB
MARKERS = {2 ** 31 - 8: b'[across 2 GiB!!]', 2 ** 32 - 8: b'[across 4 GiB!!]',
           SIZE - 16: b'<<the-end-mark>>'}


def sparse_supported():
    d = tempfile.mkdtemp(prefix='x0test-sparse-')
    p = os.path.join(d, 'probe')
    try:
        with open(p, 'wb') as f:
            f.truncate(SIZE)
            f.seek(SIZE - 1)
            f.write(b'x')
        st = os.stat(p)
        return st.st_size == SIZE and st.st_blocks * 512 < (64 << 20)
    except OSError:
        return False
    finally:
        if os.path.exists(p):
            os.unlink(p)
        os.rmdir(d)


@unittest.skipUnless(sparse_supported(), 'the temp filesystem cannot hold a sparse 5 GiB file')
class BigFileRangeTest(ServerTestCase):
    files = {'other.txt': OTHER}

    @classmethod
    def prepare(cls, server):
        with open(server.path('huge.bin'), 'wb') as f:
            f.truncate(SIZE)
            for off, mark in MARKERS.items():
                f.seek(off)
                f.write(mark)

    def get_range(self, spec):
        with self.conn(timeout=30) as c:
            c.send(build_request('GET', '/huge.bin', headers=[('Range', spec)])
                   + build_request('GET', '/other.txt'))
            r = c.read_response()
            self.assertEqual(c.read_response().body, OTHER)
        return r

    def test_ranges_across_2g_and_4g(self):
        for off, mark in MARKERS.items():
            r = self.get_range('bytes=%d-%d' % (off, off + 15))
            self.assertEqual(r.status, 206, repr(r))
            self.assertEqual(r.header('Content-Range'), 'bytes %d-%d/%d' % (off, off + 15, SIZE))
            self.assertEqual(r.body, mark)
        # Two bytes on either side of each boundary.
        for edge in (2 ** 31, 2 ** 32):
            r = self.get_range('bytes=%d-%d' % (edge - 1, edge))
            self.assertEqual(r.body, MARKERS[edge - 8][7:9])

    def test_suffix_and_open_ended(self):
        r = self.get_range('bytes=-16')
        self.assertEqual(r.header('Content-Range'), 'bytes %d-%d/%d' % (SIZE - 16, SIZE - 1, SIZE))
        self.assertEqual(r.body, MARKERS[SIZE - 16])
        r = self.get_range('bytes=%d-' % (SIZE - 20))
        self.assertEqual(r.body, b'\0' * 4 + MARKERS[SIZE - 16])
        r = self.get_range('bytes=%d-' % SIZE)
        self.assertEqual((r.status, r.header('Content-Range')), (416, 'bytes */%d' % SIZE))

    def test_multipart_across_2g_and_4g(self):
        spec = ','.join('%d-%d' % (off, off + 15) for off in sorted(MARKERS, reverse=True))
        r = self.get_range('bytes=' + spec)
        self.assertEqual(r.status, 206, repr(r))
        parts = parse_multipart(r)
        want = sorted(MARKERS.items(), reverse=True)     # in the order asked for
        self.assertEqual([f['content-range'] for f, _ in parts],
                         ['bytes %d-%d/%d' % (o, o + 15, SIZE) for o, _ in want])
        self.assertEqual([d for _, d in parts], [m for _, m in want])


if __name__ == '__main__':
    unittest.main()
