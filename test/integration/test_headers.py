"""mod_headers: `Header` set/append/add/merge/setifempty/unset/edit on
response fields, per <Location>, `always` on error responses, Content-Type,
and config errors with FILE:LINE."""

import os
import re
import unittest

import x0test
from x0test import Server, ServerTestCase, build_request, run_x0d

MODULES = tuple(dict.fromkeys(x0test.SHIPPED_MODULES + ('headers',)))
MTIME = 1577934245            # Thu, 02 Jan 2020 03:04:05 GMT
TEXT = b'some text\n'

CONFIG = r'''
Header set X-Set one
Header set X-Set two
Header append X-List a
Header append X-List b
Header add X-Multi 1
Header add X-Multi 2
Header merge X-Merge tok
Header merge X-Merge tok
Header merge X-Merge other
Header setifempty X-Empty first
Header setifempty X-Empty second
Header set X-Edit alpha-beta-alpha
Header edit X-Edit alpha ALPHA
Header set X-EditAll alpha-beta-alpha
Header edit* X-EditAll (al)(pha) "<$2$1>"
Header set X-Time "%t %D"
Header always set X-Always yes
<Location /loc>
    Header set X-Loc inner
    Header set X-Set inner
    Header unset X-List
</Location>
<Location /noetag>
    Header unset ETag
    Header unset Accept-Ranges
</Location>
<Location /edited>
    Header edit ETag '^"([0-9a-f]+)-' '"v$1-'
    Header edit* Last-Modified " " _
</Location>
<Location /ctype/>
    Header set Content-Type "text/x-custom; charset=latin1"
</Location>
<Location /ctype-edit>
    Header edit Content-Type ^text/plain application/x-edited
</Location>
<Location /ctype-unset>
    Header unset Content-Type
</Location>
'''


class HeadersTest(ServerTestCase):
    directives = {'LoadModule': x0test.load_module_lines(MODULES)}
    extra = CONFIG
    files = {name: TEXT for name in (
        'file.txt', 'loc/file.txt', 'noetag/file.txt', 'edited/file.txt', 'ctype/file.txt',
        'ctype-edit/file.txt', 'ctype-unset/file.txt')}

    @classmethod
    def prepare(cls, server):
        for name in cls.files:
            os.utime(server.path(name), (MTIME, MTIME))

    def ok(self, path, method='GET', **kw):
        r = self.get(path, method=method, **kw)
        self.assertEqual(r.status, 200, '%s %s\n%r' % (method, path, r))
        self.assertEqual(r.body, b'' if method == 'HEAD' else TEXT)
        return r

    def assert_server_actions(self, r):
        """What the server-level lines do to a 2xx response."""
        self.assertEqual(r.header_list('X-Set'), ['two'], repr(r))
        self.assertEqual(r.header_list('X-List'), ['a, b'], repr(r))
        self.assertEqual(r.header_list('X-Multi'), ['1', '2'], repr(r))
        self.assertEqual(r.header_list('X-Merge'), ['tok, other'], repr(r))
        self.assertEqual(r.header_list('X-Empty'), ['first'], repr(r))
        self.assertEqual(r.header_list('X-Edit'), ['ALPHA-beta-alpha'], repr(r))
        self.assertEqual(r.header_list('X-EditAll'), ['<phaal>-beta-<phaal>'], repr(r))
        self.assertEqual(r.header_list('X-Always'), ['yes'], repr(r))
        self.assertRegex(r.header('X-Time') or '', r'^t=\d{16} D=\d+$', repr(r))

    def test_static_file(self):
        r = self.ok('/file.txt')
        self.assert_server_actions(r)
        # What the handler set is still there.
        self.assertEqual(r.header('Accept-Ranges'), 'bytes')
        self.assertEqual(r.header('ETag'), '"%x-%x"' % (MTIME, len(TEXT)))
        self.assertEqual(r.header('Content-Type'), 'text/plain')
        self.assertFalse(r.has('X-Loc'))

    def test_head(self):
        self.assert_server_actions(self.ok('/file.txt', method='HEAD'))

    def test_module_response(self):
        # A handler's chunked response passes the same filter.
        r = self.get('/hello')
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.framing, 'chunked')
        self.assertEqual(r.body, b'hello, world 1\nhello, world 2\nhello, world 3\n')
        self.assert_server_actions(r)

    def test_location_runs_after_server(self):
        r = self.ok('/loc/file.txt')
        self.assertEqual(r.header_list('X-Loc'), ['inner'])
        # The outer set ran first; the inner set replaced its value.
        self.assertEqual(r.header_list('X-Set'), ['inner'])
        self.assertFalse(r.has('X-List'), repr(r))
        self.assertEqual(r.header_list('X-Multi'), ['1', '2'])

    def test_unset_handler_fields(self):
        r = self.ok('/noetag/file.txt')
        self.assertFalse(r.has('ETag'), repr(r))
        self.assertFalse(r.has('Accept-Ranges'), repr(r))
        self.assertEqual(r.header('Last-Modified'), 'Thu, 02 Jan 2020 03:04:05 GMT')
        self.assertEqual(r.header_list('X-Set'), ['two'])

    def test_edit_handler_fields(self):
        r = self.ok('/edited/file.txt')
        self.assertEqual(r.header_list('ETag'), ['"v%x-%x"' % (MTIME, len(TEXT))], repr(r))
        self.assertEqual(r.header_list('Last-Modified'), ['Thu,_02_Jan_2020_03:04:05_GMT'])

    def test_not_modified_keeps_actions(self):
        # The handler's own 304 carries what its 200 would (plain actions too).
        etag = self.ok('/file.txt').header('ETag')
        r = self.get('/file.txt', headers={'If-None-Match': etag})
        self.assertEqual(r.status, 304, repr(r))
        self.assertEqual(r.header_list('X-Set'), ['two'], repr(r))
        self.assertEqual(r.header_list('X-Always'), ['yes'], repr(r))

    def test_always_on_404(self):
        r = self.get('/missing.txt')
        self.assertEqual(r.status, 404, repr(r))
        self.assertIn(b'Not Found', r.body)
        self.assertEqual(r.header_list('X-Always'), ['yes'], repr(r))
        # httpd's "onsuccess" actions stay off the server's error pages.
        for name in ('X-Set', 'X-List', 'X-Multi', 'X-Edit', 'X-Time'):
            self.assertFalse(r.has(name), '%s on a 404\n%r' % (name, r))

    def test_always_on_errors_before_any_handler(self):
        # A path above the root (400 before the walk) and a request line that
        # does not parse (400, then close): the error page still gets them.
        r = self.get('/../file.txt')
        self.assertEqual(r.status, 400, repr(r))
        self.assertEqual(r.header_list('X-Always'), ['yes'], repr(r))
        self.assertFalse(r.has('X-Set'), repr(r))
        r, c = x0test.exchange(self.port, b'GET /file.txt HTTP/1.1 extra\r\nHost: x\r\n\r\n')
        c.close()
        self.assertEqual(r.status, 400, repr(r))
        self.assertEqual(r.header_list('X-Always'), ['yes'], repr(r))

    def test_always_on_405_and_301(self):
        r = self.get('/file.txt', method='DELETE')
        self.assertEqual(r.status, 405, repr(r))
        self.assertEqual(r.header_list('X-Always'), ['yes'], repr(r))
        self.assertFalse(r.has('X-Set'), repr(r))
        r = self.get('/loc')
        self.assertEqual(r.status, 301, repr(r))
        self.assertEqual(r.header('Location'), '/loc/')
        self.assertEqual(r.header_list('X-Always'), ['yes'], repr(r))
        self.assertFalse(r.has('X-Set') or r.has('X-Loc'), repr(r))

    def test_content_type(self):
        r = self.ok('/ctype/file.txt')
        self.assertEqual(r.header_list('Content-Type'), ['text/x-custom; charset=latin1'],
                         repr(r))
        r = self.ok('/ctype-edit/file.txt')
        self.assertEqual(r.header_list('Content-Type'), ['application/x-edited'], repr(r))
        r = self.ok('/ctype-unset/file.txt')
        self.assertFalse(r.has('Content-Type'), repr(r))

    def test_keepalive_after_actions(self):
        # Several responses on one connection, each with its own actions.
        with self.conn() as c:
            c.send(build_request('GET', '/loc/file.txt') + build_request('GET', '/file.txt')
                   + build_request('GET', '/missing.txt'))
            a, b, m = c.read_response(), c.read_response(), c.read_response()
        self.assertEqual((a.status, b.status, m.status), (200, 200, 404))
        self.assertEqual(a.header_list('X-Set'), ['inner'])
        self.assertEqual(b.header_list('X-Set'), ['two'])
        self.assertFalse(b.has('X-Loc'))
        self.assertFalse(m.has('X-Set'))


class HeadersWithoutActionsTest(ServerTestCase):
    """Loaded but unused: responses are untouched."""
    directives = {'LoadModule': x0test.load_module_lines(MODULES)}
    files = {'file.txt': TEXT}

    def test_untouched(self):
        r = self.get('/file.txt')
        self.assertEqual(r.status, 200)
        names = sorted(n.lower() for n, _ in r.headers)
        self.assertEqual(names, ['accept-ranges', 'content-length', 'content-type', 'date',
                                 'etag', 'last-modified', 'server'], repr(r))


class HeadersConfigErrorTest(unittest.TestCase):
    """A bad Header line stops x0d -t with FILE:LINE: and a non-zero exit."""

    def setUp(self):
        self.srv = Server({'LoadModule': x0test.load_module_lines(MODULES)})

    def tearDown(self):
        self.srv.cleanup()

    def check(self, line, message):
        text = self.srv.config_text({'LoadModule': x0test.load_module_lines(MODULES)},
                                    '<Location /x>\n    %s\n</Location>\n' % line)
        with open(self.srv.conf_path, 'w') as f:
            f.write(text)
        number = text.split('\n').index('    ' + line) + 1
        p = run_x0d(['-f', self.srv.conf_path, '-t'])
        err = p.stderr.decode('utf-8', 'replace')
        self.assertNotEqual(p.returncode, 0, '%r accepted: %s' % (line, err))
        self.assertIn('%s:%d:' % (self.srv.conf_path, number), err)
        self.assertIn(message, err)
        self.assertNotIn('Syntax OK', err + p.stdout.decode('utf-8', 'replace'))

    def test_good_config(self):
        with open(self.srv.conf_path, 'a') as f:
            f.write(CONFIG)
        p = run_x0d(['-f', self.srv.conf_path, '-t'])
        out = (p.stdout + p.stderr).decode('utf-8', 'replace')
        self.assertEqual(p.returncode, 0, out)
        self.assertIn('Syntax OK', out)

    def test_bad_action(self):
        self.check('Header replace X-A b', "unknown action 'replace'")

    def test_bad_regex(self):
        self.check('Header edit X-A "(unclosed" x', 'could not be compiled')

    def test_missing_group(self):
        self.check('Header edit X-A "(a)" $2', 'uses $2')

    def test_missing_value(self):
        self.check('Header set X-A', 'requires a value')

    def test_core_field(self):
        self.check('Header set Content-Length 5', 'Content-Length is written by x0 itself')

    def test_condition(self):
        self.check('Header set X-A b env=HTTPS', "condition 'env=HTTPS' is not supported")

    def test_unknown_format(self):
        self.check('Header set X-A %{HOME}e', 'Unrecognized header format')


if __name__ == '__main__':
    unittest.main()
