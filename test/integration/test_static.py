"""Static files: bodies, types, validators, directories, HEAD, conditionals, 405."""

import hashlib
import os
import random
import tempfile
import time
import unittest

import x0test
from x0test import ServerTestCase, build_request

MTIME = 1577934245            # Thu, 02 Jan 2020 03:04:05 GMT
MTIME_TEXT = 'Thu, 02 Jan 2020 03:04:05 GMT'
PAGE = b'<html><body>a page</body></html>\n'
BIG = random.Random(1).randbytes(1 << 20)


class StaticTest(ServerTestCase):
    directives = {'AddType': ['text/plain .txt', 'text/x-x0-new .x0t',
                              'application/x-x0-override .gif']}
    files = {
        'index.html': b'<html>root index</html>\n',
        'page.html': PAGE,
        'style.css': b'body { color: red }\n',
        'image.png': b'\x89PNG\r\n\x1a\n' + bytes(range(256)),
        'pic.gif': b'GIF89a' + bytes(40),
        'data.qqqz': b'unknown extension\n',
        'noext': b'no extension\n',
        'notes.txt': b'some notes\n',
        'new.x0t': b'added type\n',
        'empty.txt': b'',
        'with space.txt': b'space in the name\n',
        'dir/index.html': b'<html>dir index</html>\n',
        'nodir/file.txt': b'a file in a directory without index\n',
        'sub dir/index.html': b'<html>sub dir index</html>\n',
        'big.bin': BIG,
    }

    @classmethod
    def prepare(cls, server):
        os.utime(server.path('page.html'), (MTIME, MTIME))

    def content_type(self, r):
        ct = r.header('Content-Type')
        self.assertIsNotNone(ct, 'no Content-Type\n%r' % r)
        return ct.split(';')[0].strip().lower()

    def assert_file(self, path, body, ctype):
        r = self.get(path)
        self.assertEqual(r.status, 200, 'GET %s\n%r' % (path, r))
        self.assertEqual(r.body, body, 'GET %s body' % path)
        self.assertEqual(r.header('Content-Length'), str(len(body)), 'GET %s' % path)
        self.assertEqual(self.content_type(r), ctype, 'GET %s Content-Type' % path)
        return r

    # ---- bodies and types
    def test_html(self):
        r = self.assert_file('/page.html', PAGE, 'text/html')
        self.assertEqual(r.version, 'HTTP/1.1')
        self.assertEqual(r.framing, 'length')

    def test_css(self):
        self.assert_file('/style.css', self.files['style.css'], 'text/css')

    def test_png(self):
        self.assert_file('/image.png', self.files['image.png'], 'image/png')

    def test_default_type(self):
        self.assert_file('/data.qqqz', self.files['data.qqqz'], 'application/octet-stream')
        self.assert_file('/noext', self.files['noext'], 'application/octet-stream')

    def test_addtype_new_extension(self):
        self.assert_file('/new.x0t', self.files['new.x0t'], 'text/x-x0-new')
        self.assert_file('/notes.txt', self.files['notes.txt'], 'text/plain')

    def test_addtype_overrides_mime_types(self):
        self.assert_file('/pic.gif', self.files['pic.gif'], 'application/x-x0-override')

    def test_empty_file(self):
        r = self.assert_file('/empty.txt', b'', 'text/plain')
        self.assertEqual(r.header('Content-Length'), '0')

    def test_query_ignored(self):
        self.assert_file('/page.html?x=1&y', PAGE, 'text/html')

    def test_percent_encoded_path(self):
        self.assert_file('/with%20space.txt', self.files['with space.txt'], 'text/plain')

    def test_validators(self):
        r = self.get('/page.html')
        self.assertEqual(r.header('Last-Modified'), MTIME_TEXT)
        etag = r.header('ETag')
        self.assertIsNotNone(etag, 'no ETag\n%r' % r)
        self.assertRegex(etag, r'^(W/)?"[\x21\x23-\x7e]*"$', 'ETag syntax (RFC 9110 8.8.3)')
        self.assertEqual(self.get('/page.html').header('ETag'), etag, 'ETag not stable')
        self.assertIsNotNone(r.header('Date'))
        self.assertIsNotNone(r.header('Server'))

    def test_etag_changes_with_content(self):
        p = self.server.write('changing.txt', b'version one\n')
        os.utime(p, (MTIME, MTIME))
        e1 = self.get('/changing.txt').header('ETag')
        self.server.write('changing.txt', b'version two, longer\n')
        os.utime(p, (MTIME + 60, MTIME + 60))
        r = self.get('/changing.txt')
        self.assertEqual(r.body, b'version two, longer\n')
        self.assertNotEqual(r.header('ETag'), e1)

    def test_small_file_rewritten_in_place(self):
        # A small file unchanged for a second is served from the worker's
        # memory (mod_static/file_cache.h); a rewrite of the same size shows
        # on the next request of the same connection all the same.
        p = self.server.write('inplace.txt', b'version one\n')
        while int(time.time()) <= int(os.stat(p).st_ctime) + 1:  # what the cache checks
            time.sleep(0.05)
        with self.conn() as c:
            c.request('GET', '/inplace.txt')
            self.assertEqual(c.read_response().body, b'version one\n')
            c.request('GET', '/inplace.txt')
            self.assertEqual(c.read_response().body, b'version one\n')
            with open(p, 'r+b') as f:
                f.write(b'version two\n')
            c.request('GET', '/inplace.txt')
            self.assertEqual(c.read_response().body, b'version two\n')

    def test_big_file_curl(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, 'big.out')
            p = x0test.curl('-s', '-o', out, '-w', '%{http_code} %{size_download}',
                            self.server.url('/big.bin'))
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(p.stdout.decode(), '200 %d' % len(BIG))
            with open(out, 'rb') as f:
                got = f.read()
        self.assertEqual(hashlib.sha256(got).hexdigest(), hashlib.sha256(BIG).hexdigest(),
                         '1 MiB file differs (%d bytes received)' % len(got))

    # ---- directories
    def test_directory_index(self):
        self.assert_file('/dir/', self.files['dir/index.html'], 'text/html')
        self.assert_file('/', self.files['index.html'], 'text/html')

    def test_directory_redirect(self):
        r = self.get('/dir')
        self.assertEqual(r.status, 301, repr(r))
        self.assertTrue((r.header('Location') or '').endswith('/dir/'), repr(r))
        self.assertIsNotNone(r.header('Content-Length'))

    def test_directory_redirect_keeps_query(self):
        r = self.get('/dir?a=1')
        self.assertEqual(r.status, 301, repr(r))
        self.assertTrue((r.header('Location') or '').endswith('/dir/?a=1'), repr(r))

    def test_directory_redirect_stays_encoded(self):
        r = self.get('/sub%20dir')
        self.assertEqual(r.status, 301, repr(r))
        self.assertTrue((r.header('Location') or '').endswith('/sub%20dir/'), repr(r))
        self.assertEqual(self.get('/sub%20dir/').body, self.files['sub dir/index.html'])

    def test_directory_without_index(self):
        r = self.get('/nodir/')
        self.assertEqual(r.status, 403, repr(r))
        self.assertNotIn(b'file.txt', r.body, 'directory listing leaked')

    def test_missing(self):
        r = self.get('/no-such-file.html')
        self.assertEqual(r.status, 404, repr(r))
        self.assertEqual(r.header('Content-Length'), str(len(r.body)))
        r = self.get('/dir/no-such-file')
        self.assertEqual(r.status, 404, repr(r))

    # ---- HEAD
    def test_head(self):
        with self.conn() as c:
            c.send(build_request('HEAD', '/page.html') + build_request('GET', '/page.html'))
            h = c.read_response('HEAD')
            g = c.read_response('GET')
        self.assertEqual(h.status, 200)
        self.assertEqual(h.body, b'')
        self.assertEqual(g.status, 200, 'response after HEAD is not the GET: HEAD sent a body?')
        self.assertEqual(g.body, PAGE)
        for name in ('Content-Length', 'Content-Type', 'ETag', 'Last-Modified'):
            self.assertEqual(h.header(name), g.header(name), name)
        self.assertEqual(h.header('Content-Length'), str(len(PAGE)))

    def test_head_big_and_missing(self):
        with self.conn() as c:
            c.send(build_request('HEAD', '/big.bin') + build_request('HEAD', '/nope')
                   + build_request('GET', '/style.css'))
            h = c.read_response('HEAD')
            m = c.read_response('HEAD')
            g = c.read_response('GET')
        self.assertEqual(h.header('Content-Length'), str(len(BIG)))
        self.assertEqual(m.status, 404)
        self.assertEqual(g.body, self.files['style.css'])

    # ---- conditionals
    def etag(self):
        return self.get('/page.html').header('ETag')

    def conditional(self, headers, expect):
        """Send a conditional GET and a plain GET after it on one connection:
        a 304 must have no body, so the second response starts right after."""
        with self.conn() as c:
            c.send(build_request('GET', '/page.html', headers=headers)
                   + build_request('GET', '/style.css'))
            r = c.read_response('GET')
            nxt = c.read_response('GET')
        self.assertEqual(r.status, expect, '%r ->\n%r' % (headers, r))
        self.assertEqual(nxt.body, self.files['style.css'], 'after %r' % headers)
        if expect == 304:
            self.assertEqual(r.header('ETag'), self.etag(), '304 must carry the ETag')
        else:
            self.assertEqual(r.body, PAGE)
        return r

    def test_if_none_match(self):
        self.conditional({'If-None-Match': self.etag()}, 304)

    def test_if_none_match_list(self):
        self.conditional({'If-None-Match': '"nope", %s, "other"' % self.etag()}, 304)

    def test_if_none_match_weak(self):
        e = self.etag()
        strong = e[2:] if e.startswith('W/') else e
        self.conditional({'If-None-Match': 'W/' + strong}, 304)
        self.conditional({'If-None-Match': strong}, 304)

    def test_if_none_match_star(self):
        self.conditional({'If-None-Match': '*'}, 304)

    def test_if_none_match_mismatch(self):
        self.conditional({'If-None-Match': '"definitely-not-it"'}, 200)

    def test_if_modified_since(self):
        self.conditional({'If-Modified-Since': MTIME_TEXT}, 304)
        self.conditional({'If-Modified-Since': x0test.http_date(MTIME + 86400)}, 304)

    def test_if_modified_since_other_formats(self):
        # RFC 9110 5.6.7: recipients accept all three HTTP-date formats.
        self.conditional({'If-Modified-Since': 'Thursday, 02-Jan-20 03:04:05 GMT'}, 304)
        self.conditional({'If-Modified-Since': 'Thu Jan  2 03:04:05 2020'}, 304)

    def test_if_modified_since_older(self):
        self.conditional({'If-Modified-Since': x0test.http_date(MTIME - 1)}, 200)

    def test_if_modified_since_invalid(self):
        self.conditional({'If-Modified-Since': 'not a date'}, 200)
        self.conditional({'If-Modified-Since': 'Thu, 32 Jan 2020 03:04:05 GMT'}, 200)

    def test_if_none_match_wins(self):
        # RFC 9110 13.1.3: If-Modified-Since is ignored when If-None-Match is present.
        self.conditional({'If-None-Match': '"definitely-not-it"',
                          'If-Modified-Since': MTIME_TEXT}, 200)

    # ---- methods
    def test_method_not_allowed(self):
        for method in ('POST', 'PUT', 'DELETE'):
            r = self.get('/page.html', method=method, headers={'Content-Length': '0'})
            self.assertEqual(r.status, 405, '%s ->\n%r' % (method, r))
            allow = [t.upper() for t in r.tokens('Allow')]
            self.assertIn('GET', allow, '%s: Allow %r' % (method, allow))
            self.assertIn('HEAD', allow, '%s: Allow %r' % (method, allow))
            self.assertEqual(r.header('Content-Length'), str(len(r.body)))
        self.assertEqual(os.path.getsize(self.server.path('page.html')), len(PAGE))


class ChangingFileTest(ServerTestCase):
    """A file rewritten while it is sent: the body never completes."""

    @classmethod
    def prepare(cls, server):
        with open(server.path('changing.bin'), 'wb') as f:
            f.truncate(64 << 20)

    def fetch_while(self, change):
        with self.conn(rcvbuf=16384, timeout=20) as c:
            c.request('GET', '/changing.bin')
            r = c.read_head()
            self.assertEqual(r.status, 200)
            length = int(r.header('Content-Length'))
            change()
            got = len(c.read_until_close()) if r.tokens('Connection') == ['close'] else None
            if got is None:
                got = len(c.buf)
                c.buf.clear()
                while got < length:
                    data = c.sock.recv(1 << 20)
                    if not data:
                        break
                    got += len(data)
            return got, length

    def test_modified_mtime_cuts_the_body(self):
        path = self.server.path('changing.bin')
        got, length = self.fetch_while(lambda: os.utime(path, (MTIME, MTIME)))
        self.assertLess(got, length, 'a changed file was sent complete')

    def test_grown_file_cuts_the_body(self):
        path = self.server.path('changing.bin')

        def grow():
            with open(path, 'ab') as f:
                f.write(b'more')
        got, length = self.fetch_while(grow)
        self.assertLess(got, length, 'a changed file was sent complete')
        r = self.get('/index.html')
        self.assertEqual(r.status, 404)  # the server is still serving


if __name__ == '__main__':
    unittest.main()
