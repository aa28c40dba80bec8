"""Conditional requests (RFC 9110 section 13) on a static file and on a
module's response (x0-hello, which sets a strong ETag and no Last-Modified).

Every conditional request is followed by a plain GET on the same connection:
a 304 or a HEAD that leaked a body, or a 412 whose length is wrong, would
show up as garbage in front of the second response."""

import os
import time
import unittest

import x0test
from x0test import ServerTestCase, build_request

MTIME = 1577934245            # Thu, 02 Jan 2020 03:04:05 GMT
MTIME_TEXT = 'Thu, 02 Jan 2020 03:04:05 GMT'
PAGE = b'<html><body>a conditional page</body></html>\n'
OTHER = b'the request after\n'
HELLO3 = b'hello, world 1\nhello, world 2\nhello, world 3\n'


class ConditionalTest(ServerTestCase):
    files = {'page.html': PAGE, 'other.txt': OTHER}

    @classmethod
    def prepare(cls, server):
        os.utime(server.path('page.html'), (MTIME, MTIME))

    # ---- helpers
    def exchange(self, path, headers, method='GET'):
        """@method @path with @headers, then GET /other.txt on the same
        connection; returns the first response."""
        body_headers = [] if method in ('GET', 'HEAD') else [('Content-Length', '0')]
        items = list(headers.items()) if isinstance(headers, dict) else list(headers)
        with self.conn() as c:
            c.send(build_request(method, path, headers=items + body_headers)
                   + build_request('GET', '/other.txt'))
            r = c.read_response(method)
            nxt = c.read_response('GET')
        self.assertEqual((nxt.status, nxt.body), (200, OTHER),
                         'the response after %s %s %r is not the next one:\n%r\n%r'
                         % (method, path, headers, r, nxt))
        return r

    def etag(self, path):
        e = self.get(path).header('ETag')
        self.assertIsNotNone(e, 'no ETag on %s' % path)
        return e

    def expect_full(self, path, headers, body, method='GET'):
        r = self.exchange(path, headers, method)
        self.assertEqual(r.status, 200, '%s %s %r ->\n%r' % (method, path, headers, r))
        self.assertEqual(r.body, b'' if method == 'HEAD' else body)
        return r

    def expect_412(self, path, headers, body, method='GET'):
        """RFC 9110 15.5.13: 412, with the error page, not the representation."""
        r = self.exchange(path, headers, method)
        self.assertEqual(r.status, 412, '%s %s %r ->\n%r' % (method, path, headers, r))
        self.assertNotIn(body, r.body, '412 carries the representation')
        self.assertIsNotNone(r.header('Content-Length'), repr(r))
        if method != 'HEAD':
            self.assertEqual(r.framing, 'length', repr(r))
            self.assertEqual(r.header('Content-Length'), str(len(r.body)))
            self.assertIn(b'Precondition Failed', r.body)
        for name in ('ETag', 'Last-Modified'):
            self.assertIsNone(r.header(name), '412 claims the %s of what it is not\n%r'
                              % (name, r))
        return r

    def expect_304(self, path, headers, method='GET'):
        """RFC 9110 15.4.5: no content, nothing that frames one, and the
        validators a 200 would have sent."""
        r = self.exchange(path, headers, method)
        self.assertEqual(r.status, 304, '%s %s %r ->\n%r' % (method, path, headers, r))
        for name in ('Content-Length', 'Transfer-Encoding'):
            self.assertIsNone(r.header(name), '304 with %s\n%r' % (name, r))
        self.assertEqual(r.header('ETag'), self.etag(path), '304 must carry the ETag')
        return r


class StaticConditionalTest(ConditionalTest):
    """A file: ETag and Last-Modified from mod_static."""

    path = '/page.html'

    def test_validators(self):
        r = self.get(self.path)
        self.assertEqual(r.header('Last-Modified'), MTIME_TEXT)
        self.assertRegex(r.header('ETag') or '', r'^"[\x21\x23-\x7e]*"$', 'strong ETag')

    # ---- If-Match (13.1.1)
    def test_if_match_match(self):
        """13.1.1: If-Match with the current entity-tag -> the representation."""
        self.expect_full(self.path, {'If-Match': self.etag(self.path)}, PAGE)

    def test_if_match_list(self):
        """13.1.1: any member of the list may match; commas may be inside a tag."""
        e = self.etag(self.path)
        self.expect_full(self.path, {'If-Match': '"x", %s, "y"' % e}, PAGE)
        self.expect_full(self.path, {'If-Match': '"a,b", %s' % e}, PAGE)
        self.expect_full(self.path, [('If-Match', '"x"'), ('If-Match', e)], PAGE)

    def test_if_match_mismatch(self):
        """13.1.1: If-Match none of whose tags match -> 412."""
        self.expect_412(self.path, {'If-Match': '"definitely-not-it"'}, PAGE)
        e = self.etag(self.path)
        self.expect_412(self.path, {'If-Match': '"%s,x"' % e.strip('"')}, PAGE)

    def test_if_match_star(self):
        """13.1.1: If-Match: * is true when a current representation exists."""
        self.expect_full(self.path, {'If-Match': '*'}, PAGE)

    def test_if_match_weak(self):
        """13.1.1 and 8.8.3.2: If-Match uses strong comparison; a weak tag never matches."""
        self.expect_412(self.path, {'If-Match': 'W/' + self.etag(self.path)}, PAGE)

    def test_if_match_head(self):
        """9.3.2: HEAD gets the status and header fields GET would."""
        r = self.expect_full(self.path, {'If-Match': self.etag(self.path)}, PAGE, 'HEAD')
        self.assertEqual(r.header('Content-Length'), str(len(PAGE)))
        self.expect_412(self.path, {'If-Match': '"definitely-not-it"'}, PAGE, 'HEAD')

    # ---- If-Unmodified-Since (13.1.4)
    def test_if_unmodified_since_older(self):
        """13.1.4: modified after the date -> 412."""
        self.expect_412(self.path, {'If-Unmodified-Since': x0test.http_date(MTIME - 1)}, PAGE)
        self.expect_412(self.path, {'If-Unmodified-Since': x0test.http_date(MTIME - 1)}, PAGE,
                        'HEAD')

    def test_if_unmodified_since_newer(self):
        """13.1.4: not modified after the date -> the representation."""
        self.expect_full(self.path, {'If-Unmodified-Since': MTIME_TEXT}, PAGE)
        self.expect_full(self.path, {'If-Unmodified-Since': x0test.http_date(MTIME + 60)}, PAGE)

    def test_if_unmodified_since_invalid(self):
        """13.1.4: an invalid date (or a list of dates) is ignored."""
        self.expect_full(self.path, {'If-Unmodified-Since': 'not a date'}, PAGE)
        self.expect_full(self.path, {'If-Unmodified-Since': 'Thu, 32 Jan 2020 03:04:05 GMT'},
                         PAGE)
        old = x0test.http_date(MTIME - 1)
        self.expect_full(self.path, {'If-Unmodified-Since': '%s, %s' % (old, old)}, PAGE)

    def test_if_unmodified_since_ignored_with_if_match(self):
        """13.1.4: If-Unmodified-Since is ignored when If-Match is present."""
        self.expect_full(self.path, {'If-Match': self.etag(self.path),
                                     'If-Unmodified-Since': x0test.http_date(MTIME - 1)}, PAGE)

    # ---- If-None-Match (13.1.2)
    def test_if_none_match(self):
        """13.1.2: a matching If-None-Match on GET/HEAD -> 304."""
        r = self.expect_304(self.path, {'If-None-Match': self.etag(self.path)})
        self.assertEqual(r.header('Last-Modified'), MTIME_TEXT)
        self.expect_304(self.path, {'If-None-Match': self.etag(self.path)}, 'HEAD')

    def test_if_none_match_weak_and_star(self):
        """13.1.2: weak comparison, and * matches any representation."""
        self.expect_304(self.path, {'If-None-Match': 'W/' + self.etag(self.path)})
        self.expect_304(self.path, {'If-None-Match': '"a,b", ' + self.etag(self.path)})
        self.expect_304(self.path, {'If-None-Match': '*'})

    def test_if_none_match_mismatch(self):
        """13.1.2: no member matches -> the representation."""
        self.expect_full(self.path, {'If-None-Match': '"definitely-not-it"'}, PAGE)

    # ---- If-Modified-Since (13.1.3)
    def test_if_modified_since(self):
        """13.1.3: not modified since the date -> 304."""
        self.expect_304(self.path, {'If-Modified-Since': MTIME_TEXT})
        self.expect_304(self.path, {'If-Modified-Since': x0test.http_date(MTIME + 60)}, 'HEAD')

    def test_if_modified_since_older(self):
        """13.1.3: modified since the date -> the representation."""
        self.expect_full(self.path, {'If-Modified-Since': x0test.http_date(MTIME - 1)}, PAGE)

    def test_if_modified_since_invalid_or_future(self):
        """13.1.3: an invalid date, a list, or one later than the server's clock is ignored."""
        self.expect_full(self.path, {'If-Modified-Since': 'not a date'}, PAGE)
        self.expect_full(self.path, {'If-Modified-Since': '%s, %s' % (MTIME_TEXT, MTIME_TEXT)},
                         PAGE)
        future = x0test.http_date(time.time() + 86400)
        self.expect_full(self.path, {'If-Modified-Since': future}, PAGE)

    # ---- the order of 13.2.2
    def test_failing_if_match_beats_if_none_match(self):
        """13.2.2: step 1 (If-Match false -> 412) comes before step 3."""
        self.expect_412(self.path, {'If-Match': '"definitely-not-it"',
                                    'If-None-Match': self.etag(self.path)}, PAGE)

    def test_failing_if_unmodified_since_beats_if_modified_since(self):
        """13.2.2: step 2 (If-Unmodified-Since false -> 412) comes before step 4."""
        self.expect_412(self.path, {'If-Unmodified-Since': x0test.http_date(MTIME - 1),
                                    'If-Modified-Since': MTIME_TEXT}, PAGE)

    def test_if_none_match_makes_if_modified_since_ignored(self):
        """13.1.3: If-Modified-Since is ignored when If-None-Match is present."""
        self.expect_full(self.path, {'If-None-Match': '"definitely-not-it"',
                                     'If-Modified-Since': MTIME_TEXT}, PAGE)
        self.expect_304(self.path, {'If-None-Match': self.etag(self.path),
                                    'If-Modified-Since': x0test.http_date(MTIME - 1)})

    # ---- other methods
    def test_method_check_comes_first(self):
        """13.2.1: a status found before the preconditions (405) takes precedence."""
        for method in ('POST', 'PUT'):
            for headers in ({'If-None-Match': '*'}, {'If-Match': '"definitely-not-it"'}):
                r = self.exchange(self.path, headers, method)
                self.assertEqual(r.status, 405, '%s %r ->\n%r' % (method, headers, r))

    def test_missing_file_ignores_preconditions(self):
        """13.2.1: a 404 is not turned into a 412."""
        r = self.exchange('/no-such-file', {'If-Match': '"definitely-not-it"'})
        self.assertEqual(r.status, 404, repr(r))


class HelloConditionalTest(ConditionalTest):
    """A module's response: x0-hello sets a strong ETag and no Last-Modified."""

    path = '/hello'

    def test_validators(self):
        self.assertEqual(self.get('/hello').header('ETag'), '"hello-3"')
        self.assertEqual(self.get('/hello?n=5').header('ETag'), '"hello-5"')
        self.assertIsNone(self.get('/hello').header('Last-Modified'))

    def test_if_match(self):
        """13.1.1 on a module response: match -> 200, mismatch -> 412, * -> 200."""
        r = self.expect_full('/hello', {'If-Match': '"hello-3"'}, HELLO3)
        self.assertEqual(r.framing, 'chunked')
        self.expect_full('/hello', {'If-Match': '"x", "hello-3"'}, HELLO3)
        self.expect_full('/hello', {'If-Match': '*'}, HELLO3)
        self.expect_412('/hello', {'If-Match': '"hello-4"'}, HELLO3)
        self.expect_412('/hello', {'If-Match': '"hello-4"'}, HELLO3, 'HEAD')

    def test_if_match_weak(self):
        """13.1.1: strong comparison on module responses too."""
        self.expect_412('/hello', {'If-Match': 'W/"hello-3"'}, HELLO3)

    def test_if_none_match(self):
        """13.1.2 on a module response: match -> 304 with no body and no framing."""
        self.expect_304('/hello', {'If-None-Match': '"hello-3"'})
        self.expect_304('/hello', {'If-None-Match': 'W/"hello-3"'})
        self.expect_304('/hello', {'If-None-Match': '*'}, 'HEAD')
        self.expect_304('/hello?n=5', {'If-None-Match': '"hello-3", "hello-5"'})
        self.expect_full('/hello', {'If-None-Match': '"hello-5"'}, HELLO3)

    def test_dates_without_last_modified(self):
        """13.1.3, 13.1.4: date preconditions are ignored without a modification date."""
        self.expect_full('/hello', {'If-Modified-Since': x0test.http_date(time.time())}, HELLO3)
        self.expect_full('/hello', {'If-Unmodified-Since': x0test.http_date(MTIME)}, HELLO3)

    def test_order(self):
        """13.2.2: If-Match failing beats If-None-Match matching."""
        self.expect_412('/hello', {'If-Match': '"hello-4"', 'If-None-Match': '"hello-3"'},
                        HELLO3)

    def test_method_check_comes_first(self):
        """13.2.1: x0-hello answers 405 to POST before looking at preconditions."""
        r = self.exchange('/hello', {'If-None-Match': '*'}, 'POST')
        self.assertEqual(r.status, 405, repr(r))


if __name__ == '__main__':
    unittest.main()
