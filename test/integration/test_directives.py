"""Per-directory directives: sections and their merge order, handlers and
filters per container and by extension, ForceType, ErrorDocument, Define,
<IfDefine> with -D, and request paths with dot-segments."""

import os
import unittest

import x0test
from x0test import ServerTestCase, run_x0d

UPPER = os.path.join(x0test.builddir(), 'test', 'modules', '.libs', 'mod_upper.so')


class DirectivesTest(ServerTestCase):

    files = {
        'plain.txt': 'quiet text\n',
        'shout/loud.txt': 'quiet text\n',
        'page.up': 'quiet page\n',
        'run.greet': 'never sent\n',
        'forced/x.txt': 'forced\n',
        'dir/a.txt': 'in dir\n',
        'dir/loc/b.txt': 'in dir, in location\n',
        'dir/sub/c.txt': 'deeper\n',
        'dir/key.secret': 'secret\n',
        'data.json': '{}\n',
        'errors/404.html': 'custom not found page\n',
        'b.txt': 'b\n',
        'defined/d.txt': 'd\n',
        'idx/start.html': 'start page\n',
        'idx/index.html': 'not this one\n',
        'typed/x.data': 'typed\n',
        'x.data': 'untyped\n',
    }

    @classmethod
    def prepare(cls, server):
        if not os.path.exists(UPPER):
            raise unittest.SkipTest('test/modules/mod_upper.so not built (make check builds it)')
        extra = r'''
LoadModule upper_module {upper}
Define loud_place /shout
<Location ${{loud_place}}>
    SetOutputFilter UPPER
</Location>
AddOutputFilter UPPER .up
AddHandler x0-hello .greet
<Location /forced>
    ForceType text/x-forced
</Location>
<Directory {root}/dir>
    ForceType text/x-dir
</Directory>
<Directory {root}/dir/sub>
    ForceType text/x-sub
</Directory>
<Location /dir/loc>
    ForceType text/x-location
</Location>
<Directory {root}/dir>
    <Files "*.secret">
        ForceType application/x-secret
    </Files>
</Directory>
<FilesMatch "\.json$">
    ForceType application/x-json-matched
</FilesMatch>
<Directory {root}/idx>
    DirectoryIndex start.html
</Directory>
<Location /typed>
    AddType text/x-typed .data
    DefaultType text/x-default
</Location>
ErrorDocument 404 "Nothing here"
<Location /errors-local>
    ErrorDocument 404 /errors/404.html
</Location>
<Location /errors-stream>
    ErrorDocument 404 /hello
</Location>
<Location /errors-missing>
    ErrorDocument 404 /errors/not-there.html
</Location>
<Location /errors-remote>
    ErrorDocument 404 http://example.com/missing
</Location>
<IfDefine EXTRA>
    <Location /defined>
        ForceType text/x-defined
    </Location>
</IfDefine>
<IfDefine !EXTRA>
    <Location /defined>
        ForceType text/x-not-defined
    </Location>
</IfDefine>
'''.format(upper=UPPER, root=server.root)
        server.write_config({}, extra)
        server.args = ['-D', 'EXTRA']

    def test_set_output_filter_in_a_location(self):
        r = self.get('/shout/loud.txt')
        self.assertEqual((r.status, r.body), (200, b'QUIET TEXT\n'))
        r = self.get('/plain.txt')
        self.assertEqual((r.status, r.body), (200, b'quiet text\n'))

    def test_add_output_filter_by_extension(self):
        r = self.get('/page.up')
        self.assertEqual((r.status, r.body), (200, b'QUIET PAGE\n'))

    def test_add_handler_by_extension(self):
        r = self.get('/run.greet')
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.body.startswith(b'hello, world 1\n'), r.body[:60])

    def test_force_type_in_a_location(self):
        r = self.get('/forced/x.txt')
        self.assertEqual((r.status, r.header('Content-Type')), (200, 'text/x-forced'))
        self.assertEqual(self.get('/plain.txt').header('Content-Type'), 'text/plain')

    def test_directory_sections_merge_shortest_first_and_location_wins(self):
        self.assertEqual(self.get('/dir/a.txt').header('Content-Type'), 'text/x-dir')
        self.assertEqual(self.get('/dir/sub/c.txt').header('Content-Type'), 'text/x-sub')
        self.assertEqual(self.get('/dir/loc/b.txt').header('Content-Type'), 'text/x-location')

    def test_files_inside_directory_and_files_match(self):
        self.assertEqual(self.get('/dir/key.secret').header('Content-Type'),
                         'application/x-secret')
        self.assertEqual(self.get('/data.json').header('Content-Type'),
                         'application/x-json-matched')

    def test_mod_static_directives_per_directory(self):
        r = self.get('/idx/')
        self.assertEqual((r.status, r.body), (200, b'start page\n'))
        self.assertEqual(self.get('/typed/x.data').header('Content-Type'), 'text/x-typed')
        self.assertEqual(self.get('/x.data').header('Content-Type'), 'application/octet-stream')
        self.assertEqual(self.get('/typed/').status, 403)

    def test_error_document_text(self):
        r = self.get('/nothing-here')
        self.assertEqual((r.status, r.body), (404, b'Nothing here'))

    def test_error_document_local_path_keeps_the_status(self):
        r = self.get('/errors-local/missing')
        self.assertEqual((r.status, r.body), (404, b'custom not found page\n'))
        r = self.get('/errors-local/missing', method='HEAD')
        self.assertEqual((r.status, r.body), (404, b''))
        self.assertEqual(r.header('Content-Length'), str(len(b'custom not found page\n')))

    def test_error_document_served_by_a_streaming_handler(self):
        with self.conn() as c:
            c.request('GET', '/errors-stream/missing')
            r = c.read_response()
            self.assertEqual(r.status, 404, r)
            self.assertEqual(r.framing, 'chunked', r)
            self.assertTrue(r.body.startswith(b'hello, world 1\n'), r.body[:60])
            c.request('GET', '/b.txt')  # the connection is still in step
            r = c.read_response()
            self.assertEqual((r.status, r.body), (200, b'b\n'))

    def test_error_document_that_is_missing_too_gets_x0s_page(self):
        r = self.get('/errors-missing/nothing')
        self.assertEqual(r.status, 404, r)
        self.assertIn(b'<h1>Not Found</h1>', r.body)

    def test_error_document_url_redirects(self):
        r = self.get('/errors-remote/missing')
        self.assertEqual((r.status, r.header('Location')), (302, 'http://example.com/missing'))

    def test_if_define_with_minus_d(self):
        self.assertEqual(self.get('/defined/d.txt').header('Content-Type'), 'text/x-defined')

    def test_dot_segments_in_the_root_are_resolved_and_served(self):
        for path in ('/dir/../b.txt', '/./b.txt', '/dir/sub/../../b.txt', '/dir/%2e%2e/b.txt'):
            r = self.get(path)
            self.assertEqual((r.status, r.body), (200, b'b\n'), path)

    def test_climbing_above_the_root_is_refused(self):
        for path in ('/../b.txt', '/dir/../../b.txt', '/%2e%2e/%2e%2e/etc/passwd'):
            self.assertEqual(self.get(path).status, 400, path)

    def test_encoded_slash_is_not_found(self):
        self.assertEqual(self.get('/dir%2fa.txt').status, 404)


class DirectiveErrorsTest(unittest.TestCase):

    def check(self, extra, message, bad=None):
        """x0d -t fails at the line @bad (default: the last of @extra) with @message."""
        srv = x0test.Server(extra=extra)
        try:
            lines = srv.config_text({}, extra).split('\n')
            line = lines.index(bad or extra.strip().split('\n')[-1]) + 1
            p = run_x0d(['-f', srv.conf_path, '-t'])
            err = p.stderr.decode()
            self.assertEqual(p.returncode, 1, err)
            self.assertIn('%s:%d: %s' % (srv.conf_path, line, message), err)
        finally:
            srv.cleanup()

    def test_unknown_filter(self):
        self.check('SetOutputFilter NOPE', "SetOutputFilter: unknown output filter 'NOPE'")

    def test_unknown_accept_filter(self):
        self.check('AcceptFilter http x0-nosuch', "AcceptFilter: unknown filter 'x0-nosuch'")

    def test_accept_filter_needs_a_filter(self):
        self.check('AcceptFilter http', 'AcceptFilter takes two arguments')

    def test_unknown_congestion_control(self):
        self.check('LoopbackCongestionControl x0-nosuch',
                   "LoopbackCongestionControl: the kernel refuses congestion control 'x0-nosuch'")

    def test_allow_override_other_than_none(self):
        self.check('AllowOverride All', 'AllowOverride: x0 reads no .htaccess files')

    def test_error_document_status(self):
        self.check('ErrorDocument 200 /x.html', 'ErrorDocument: the status must be')

    def test_undefined_variable(self):
        self.check('DocumentRoot ${NO_SUCH_VARIABLE_X0}', 'variable ${NO_SUCH_VARIABLE_X0} is not defined')

    def test_bad_regex(self):
        self.check('<LocationMatch "(">\n</LocationMatch>',
                   "regular expression '(' could not be compiled", bad='<LocationMatch "(">')

    def test_document_root_in_a_location(self):
        self.check('<Location /x>\nDocumentRoot /tmp\n</Location>',
                   'DocumentRoot not allowed in <Location>', bad='DocumentRoot /tmp')


if __name__ == '__main__':
    unittest.main()
