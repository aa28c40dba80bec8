"""mod_alias: Alias, AliasMatch, Redirect, RedirectMatch, RedirectTemp,
RedirectPermanent, and their config errors (FILE:LINE from x0d -t)."""

import os
import unittest

from x0test import (SHIPPED_MODULES, Server, ServerTestCase, load_module_lines,
                    run_x0d)

# mod_alias loaded (or built in), whether or not the harness ships it.
MODULES = tuple(dict.fromkeys(SHIPPED_MODULES + ('alias',)))


def with_alias():
    return {'LoadModule': load_module_lines(MODULES)}


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(data)


class AliasTest(ServerTestCase):
    """Aliases into a directory beside the document root, and AliasMatch."""

    @classmethod
    def prepare(cls, server):
        out = os.path.join(server.dir, 'outside')
        cls.outside = out
        write(os.path.join(out, 'file.txt'), 'outside file\n')
        write(os.path.join(out, 'index.html'), 'outside index\n')
        write(os.path.join(out, 'sub', 'deep.txt'), 'deep\n')
        write(os.path.join(out, 'secret.txt'), 'secret\n')
        write(os.path.join(out, 'photos', '2024', 'cat.txt'), 'cat 2024\n')
        write(os.path.join(server.dir, 'foo', 'x.txt'), 'foo alias\n')
        write(os.path.join(server.dir, 'single', 'favicon.ico'), 'icon bytes')
        server.write('foobar.txt', 'docroot foobar\n')
        server.write('ext/file.txt', 'docroot shadowed\n')
        server.write('index.html', 'docroot index\n')
        server.write_config(with_alias(), '''
Alias /ext/ {out}/
Alias /noslash {out}
Alias /mismatch/ {out}
Alias /foo {dir}/foo
Alias /favicon.ico {dir}/single/favicon.ico
AliasMatch ^/photos/([0-9]+)/(.*)$ {out}/photos/$1/$2
AliasMatch ^/dots(.*)$ {out}/sub/.$1
AliasMatch ^/pick/(file|secret)$ {out}/$1.txt
Redirect /ext/moved http://example.com/moved
'''.format(out=out, dir=server.dir))

    def ok(self, path, body, method='GET'):
        r = self.get(path, method=method)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, b'' if method == 'HEAD' else body)
        return r

    def test_alias_serves_a_directory_outside_the_document_root(self):
        r = self.ok('/ext/file.txt', b'outside file\n')
        self.assertEqual(r.header('Content-Type'), 'text/plain')
        self.assertEqual(r.header('Content-Length'), '13')
        self.ok('/ext/sub/deep.txt', b'deep\n')
        self.ok('/ext/file.txt', b'', method='HEAD')

    def test_alias_directory_index_and_slash_redirect(self):
        self.ok('/ext/', b'outside index\n')
        self.ok('/noslash/', b'outside index\n')
        self.ok('/noslash/file.txt', b'outside file\n')
        # The directory without its slash: mod_static's redirect to add it.
        r = self.get('/noslash')
        self.assertEqual(r.status, 301, r)
        self.assertEqual(r.header('Location'), '/noslash/')

    def test_trailing_slash_alias_needs_the_slash(self):
        # httpd: "Alias /ext/" does not cover "/ext"; the document root does.
        r = self.get('/ext')
        self.assertEqual(r.status, 301, r)
        self.assertEqual(r.header('Location'), '/ext/')

    def test_slashes_are_joined_once(self):
        # httpd would look for "{out}file.txt" here; x0 joins with one '/'.
        self.ok('/mismatch/file.txt', b'outside file\n')
        self.ok('/noslash//sub//deep.txt', b'deep\n')

    def test_alias_missing_file_is_404(self):
        self.assertEqual(self.get('/ext/nope.txt').status, 404)

    def test_alias_matches_whole_segments(self):
        self.ok('/foo/x.txt', b'foo alias\n')
        self.ok('/foobar.txt', b'docroot foobar\n')

    def test_alias_to_a_file(self):
        r = self.ok('/favicon.ico', b'icon bytes')
        self.assertEqual(r.header('Content-Length'), '10')
        self.assertEqual(self.get('/favicon.ico/x').status, 404)

    def test_alias_cannot_climb_out(self):
        # The path is normalized before matching: /ext/../ is the docroot's.
        self.ok('/ext/../foobar.txt', b'docroot foobar\n')
        self.ok('/ext/sub/../file.txt', b'outside file\n')
        self.assertEqual(self.get('/ext/%2e%2e/secret.txt').status, 404)

    def test_alias_match_substitutes_groups(self):
        self.ok('/photos/2024/cat.txt', b'cat 2024\n')
        self.ok('/pick/file', b'outside file\n')
        self.ok('/pick/secret', b'secret\n')
        self.assertEqual(self.get('/photos/2025/cat.txt').status, 404)
        # No match: the document root answers.
        self.assertEqual(self.get('/photos/abc/cat.txt').status, 404)
        self.assertEqual(self.get('/pick/other').status, 404)

    def test_alias_match_cannot_build_a_dotdot(self):
        # "{out}/sub/.$1" with $1 = "./secret.txt" would be sub/../secret.txt.
        r = self.get('/dots./secret.txt')
        self.assertEqual(r.status, 403, r)
        self.assertNotIn(b'secret', r.body)
        # Harmless expansions of the same alias work.
        write(os.path.join(self.outside, 'sub', '.x', 'in.txt'), 'inside\n')
        self.ok('/dotsx/in.txt', b'inside\n')
        self.ok('/dots/deep.txt', b'deep\n')

    def test_redirect_comes_before_alias(self):
        r = self.get('/ext/moved/a?q=1')
        self.assertEqual(r.status, 302, r)
        self.assertEqual(r.header('Location'), 'http://example.com/moved/a?q=1')


class RedirectTest(ServerTestCase):
    """Every status, the Location built from the rest of the path and the query."""

    extra = '''
Redirect permanent /r301 http://example.com/new301
Redirect /r302 http://example.com/new302
Redirect seeother /r303 http://example.com/new303
Redirect 307 /r307 http://example.com/new307
Redirect 308 /r308 http://example.com/new308/
Redirect gone /gone
RedirectPermanent /rp http://example.com/rp
RedirectTemp /rt http://example.com/rt
Redirect 301 /own http://example.com/own?mine=1
Redirect /path /elsewhere
RedirectMatch 301 ^/rm/(.*)\\.htm$ http://example.com/$1.html
RedirectMatch gone ^/rmgone/
RedirectMatch ^/swap/([a-z]+)/([a-z]+)$ /swapped/$2/$1
<Location /loc>
    Redirect 307 http://example.com/whole
</Location>
<Location /locgone>
    Redirect gone
</Location>
<Location /sect>
    Redirect 301 /sect/old http://example.com/sect-new
</Location>
'''

    directives = with_alias()

    def redirect(self, path, status, location, reason, method='GET'):
        r = self.get(path, method=method)
        self.assertEqual(r.status, status, r)
        self.assertEqual(r.reason, reason, r)
        self.assertEqual(r.header_list('Location'), [location], r)
        if method == 'HEAD':
            self.assertEqual(r.body, b'')
        else:
            self.assertEqual(r.header('Content-Type'), 'text/html; charset=utf-8', r)
            self.assertEqual(int(r.header('Content-Length')), len(r.body), r)
            self.assertIn(('%d %s' % (status, reason)).encode(), r.body)
        return r

    def test_every_status(self):
        self.redirect('/r301', 301, 'http://example.com/new301', 'Moved Permanently')
        self.redirect('/r302', 302, 'http://example.com/new302', 'Found')
        self.redirect('/r303', 303, 'http://example.com/new303', 'See Other')
        self.redirect('/r307', 307, 'http://example.com/new307', 'Temporary Redirect')
        self.redirect('/r308', 308, 'http://example.com/new308/', 'Permanent Redirect')
        self.redirect('/rp', 301, 'http://example.com/rp', 'Moved Permanently')
        self.redirect('/rt', 302, 'http://example.com/rt', 'Found')

    def test_gone(self):
        for path in ('/gone', '/gone/x?y=1', '/rmgone/a'):
            r = self.get(path)
            self.assertEqual(r.status, 410, (path, r))
            self.assertEqual(r.reason, 'Gone')
            self.assertIsNone(r.header('Location'))
            self.assertIn(b'410 Gone', r.body)

    def test_rest_of_path_and_query_are_kept(self):
        self.redirect('/r301/a/b.txt?x=1&y=%20z', 301,
                      'http://example.com/new301/a/b.txt?x=1&y=%20z', 'Moved Permanently')
        self.redirect('/r308/a', 308, 'http://example.com/new308//a', 'Permanent Redirect')
        self.redirect('/r302/?q', 302, 'http://example.com/new302/?q', 'Found')

    def test_rest_of_path_is_escaped_again(self):
        # Matching sees the decoded path; the Location gets it re-encoded.
        self.redirect('/r301/a%20b/%C3%A9%3F', 301,
                      'http://example.com/new301/a%20b/%C3%A9%3F', 'Moved Permanently')

    def test_target_query_wins(self):
        self.redirect('/own/x?theirs=2', 301, 'http://example.com/own?mine=1/x',
                      'Moved Permanently')

    def test_path_target(self):
        self.redirect('/path/sub?k=v', 302, '/elsewhere/sub?k=v', 'Found')

    def test_head(self):
        self.redirect('/r303/h', 303, 'http://example.com/new303/h', 'See Other', method='HEAD')

    def test_whole_segments_only(self):
        self.assertEqual(self.get('/r301x').status, 404)
        self.assertEqual(self.get('/gonex').status, 404)
        self.assertEqual(self.get('/r30').status, 404)

    def test_redirect_match(self):
        self.redirect('/rm/a/b.htm?q=1', 301, 'http://example.com/a/b.html?q=1',
                      'Moved Permanently')
        self.redirect('/swap/ab/cd', 302, '/swapped/cd/ab', 'Found')
        self.assertEqual(self.get('/rm/a/b.html').status, 404)

    def test_redirect_in_location(self):
        self.redirect('/loc', 307, 'http://example.com/whole', 'Temporary Redirect')
        self.redirect('/loc/any/path?q=2', 307, 'http://example.com/whole?q=2',
                      'Temporary Redirect')
        r = self.get('/locgone/x')
        self.assertEqual(r.status, 410, r)
        self.redirect('/sect/old/x', 301, 'http://example.com/sect-new/x', 'Moved Permanently')
        self.assertEqual(self.get('/sect/other').status, 404)

    def test_keep_alive_after_redirect(self):
        with self.conn() as c:
            c.request('GET', '/r301/one')
            r1 = c.read_response()
            c.request('GET', '/r302/two')
            r2 = c.read_response()
        self.assertEqual((r1.status, r1.header('Location')),
                         (301, 'http://example.com/new301/one'))
        self.assertEqual((r2.status, r2.header('Location')),
                         (302, 'http://example.com/new302/two'))


class VirtualHostTest(ServerTestCase):
    """A virtual host's own entries come first; the main server's still apply."""

    @classmethod
    def prepare(cls, server):
        out = os.path.join(server.dir, 'vout')
        write(os.path.join(out, 'v.txt'), 'vhost alias\n')
        server.write_config(with_alias(), '''
Redirect /both http://main.example/both
Redirect /main-only http://main.example/only
<VirtualHost *:{port}>
    ServerName w.test
    DocumentRoot {root}
</VirtualHost>
<VirtualHost *:{port}>
    ServerName v.test
    DocumentRoot {root}
    Redirect /both http://v.example/both
    Alias /valias/ {out}/
</VirtualHost>
'''.format(port=server.port, root=server.root, out=out))

    def test_vhost_first_then_main(self):
        r = self.get('/both/x', host='v.test')
        self.assertEqual((r.status, r.header('Location')), (302, 'http://v.example/both/x'))
        r = self.get('/main-only', host='v.test')
        self.assertEqual((r.status, r.header('Location')), (302, 'http://main.example/only'))
        r = self.get('/valias/v.txt', host='v.test')
        self.assertEqual((r.status, r.body), (200, b'vhost alias\n'))

    def test_vhost_entries_stay_in_their_vhost(self):
        r = self.get('/both/x', host='w.test')
        self.assertEqual((r.status, r.header('Location')), (302, 'http://main.example/both/x'))
        self.assertEqual(self.get('/valias/v.txt', host='w.test').status, 404)


class ConfigErrorTest(unittest.TestCase):
    """Bad Alias/Redirect lines fail `x0d -t` with FILE:LINE: and a reason."""

    def check(self, bad_lines, message, bad_index=-1, prefix=''):
        srv = Server(with_alias())
        try:
            text = srv.config_text(with_alias(), '')
            lines = text.split('\n')
            start = len(lines)
            body = (prefix.format(dir=srv.dir) + '\n' if prefix else '') + \
                '\n'.join(bad_lines).format(dir=srv.dir, root=srv.root)
            with open(srv.conf_path, 'w') as f:
                f.write(text + body + '\n')
            body_lines = body.split('\n')
            line = start + (bad_index % len(body_lines))
            p = run_x0d(['-f', srv.conf_path, '-t'])
            err = p.stderr.decode('utf-8', 'replace')
            self.assertEqual(p.returncode, 1, err)
            self.assertNotIn('Syntax OK', p.stdout.decode() + err)
            self.assertIn('%s:%d:' % (srv.conf_path, line), err)
            self.assertIn(message.format(dir=srv.dir, root=srv.root), err)
            return err
        finally:
            srv.cleanup()

    def test_missing_alias_target(self):
        self.check(['Alias /x {dir}/does-not-exist'],
                   "Alias: the target '{dir}/does-not-exist' cannot be used: "
                   "No such file or directory")

    def test_missing_alias_match_directory(self):
        self.check(['AliasMatch ^/p/(.*)$ {dir}/nowhere/$1'],
                   "AliasMatch: the target directory")

    def test_alias_match_directory_is_a_file(self):
        self.check(['AliasMatch ^/p/(.*)$ {dir}/x0d.conf/$1'], 'cannot be used')

    def test_bad_regex(self):
        self.check(['AliasMatch ^/(unclosed {root}/$1'],
                   "AliasMatch: regular expression '^/(unclosed' could not be compiled")
        self.check(['RedirectMatch ^/[z-a] http://example.com/'],
                   "RedirectMatch: regular expression '^/[z-a]' could not be compiled")

    def test_group_beyond_the_regex(self):
        self.check(['AliasMatch ^/p/(.*)$ {root}/$2'],
                   "refers to $2, but the regular expression has 1 group")

    def test_bad_status(self):
        for status in ('200', '404', '500', '30x', '299', '1000'):
            self.check(['Redirect %s /x http://example.com/' % status],
                       "Redirect: bad status '%s' (use permanent, temp, seeother, gone, or a "
                       "number from 300 to 399 or 410)" % status)
        self.check(['Redirect forever /x http://example.com/'],
                   "Redirect: the first of three arguments must be a status")
        self.check(['RedirectMatch 200 ^/x http://example.com/'], "RedirectMatch: bad status '200'")

    def test_gone_takes_no_url(self):
        self.check(['Redirect gone /x http://example.com/'],
                   'status 410 (gone) takes no URL')

    def test_relative_url(self):
        self.check(['Redirect /x relative/path'],
                   "Redirect: 'relative/path' is neither an absolute URL nor a path "
                   "starting with '/'")
        self.check(['RedirectPermanent /x example.com/y'], 'is neither an absolute URL')

    def test_url_path_must_be_a_path(self):
        self.check(['Alias x {root}'], "Alias: the URL-path 'x' must start with '/'")

    def test_missing_url(self):
        self.check(['Redirect permanent /x'], 'a URL-path and a URL are needed outside')
        self.check(['RedirectMatch 301 ^/x'], 'the URL to redirect to is missing')

    def test_alias_not_in_location(self):
        self.check(['<Location /a>', 'Alias /a {root}', '</Location>'], 'Alias not allowed',
                   bad_index=1)

    def test_error_line_is_the_bad_one(self):
        self.check(['Alias /ok {root}', 'Redirect /fine http://example.com/',
                    'Redirect 999 /x http://example.com/', 'Alias /ok2 {root}'],
                   "Redirect: bad status '999'", bad_index=2)


if __name__ == '__main__':
    unittest.main()
