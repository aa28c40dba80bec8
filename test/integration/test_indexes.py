"""Options Indexes: mod_static lists a directory that has no DirectoryIndex
file (httpd's mod_autoindex, plain form), and answers 403 without it."""

import os
import re
import unittest
import urllib.parse

from x0test import ServerTestCase, build_request

MTIME = 1577934245            # Thu, 02 Jan 2020 03:04:05 GMT
DATE = '2020-01-02 03:04:05'  # as the listing shows it (UTC)
LINK = re.compile(r'<a href="([^"]*)">([^<]*)</a>')

ODD = 'a b&<c>.txt'           # must be escaped in the text and encoded in the href
FILES = {
    'dir/' + ODD: b'odd name\n',
    'dir/b.txt': b'bee\n',
    'dir/B.txt': b'upper case sorts first\n',
    'dir/100%.txt': b'percent\n',
    'dir/q"\'.txt': b'quotes\n',
    'dir/c:d.txt': b'colon, not a scheme\n',
    'dir/\u00e9t\u00e9.txt': 'summer\n'.encode(),
    'dir/.hidden': b'a dotfile\n',
    'dir/.git/config': b'[core]\n',
    'dir/sub/file.txt': b'in sub\n',
    'dir/Zsub/z.txt': b'in Zsub\n',
    'dir/private/secret.txt': b'not listed here\n',
    'withindex/index.html': b'<html>the index wins</html>\n',
    'withindex/other.txt': b'other\n',
    'top.txt': b'top\n',
}

# /dir/ in order: directories first, then files, each by strcmp.
DIR_ENTRIES = [
    ('Zsub/', 'Zsub/'), ('empty/', 'empty/'), ('private/', 'private/'), ('sub/', 'sub/'),
    ('100%25.txt', '100%.txt'), ('B.txt', 'B.txt'), ('a%20b%26%3Cc%3E.txt', ODD),
    ('b.txt', 'b.txt'), ('c%3Ad.txt', 'c:d.txt'), ('q%22%27.txt', 'q"\'.txt'),
    ('%C3%A9t%C3%A9.txt', '\u00e9t\u00e9.txt'),
]


def set_mtimes(root):
    """Every file and directory below @root (and @root) to MTIME, deepest first."""
    for dirpath, dirnames, filenames in os.walk(root, topdown=False):
        for name in filenames + dirnames:
            p = os.path.join(dirpath, name)
            if not os.path.islink(p):
                os.utime(p, (MTIME, MTIME))
        os.utime(dirpath, (MTIME, MTIME))


def page(title, rows, parent=True, note=''):
    """The exact listing x0 sends."""
    head = ('<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
            '<title>Index of %s</title>\n</head>\n<body>\n<h1>Index of %s</h1>\n<table>\n'
            '<tr><th>Name</th><th>Last modified (UTC)</th><th>Size</th></tr>\n'
            % (title, title))
    if parent:
        head += '<tr><td><a href="../">Parent Directory</a></td><td></td><td>-</td></tr>\n'
    body = ''.join('<tr><td><a href="%s">%s</a></td><td>%s</td><td>%s</td></tr>\n'
                   % (href, text, DATE, size) for href, text, size in rows)
    return (head + body + '</table>\n' + note + '</body>\n</html>\n').encode()


class ListingTest(ServerTestCase):
    directives = {'Options': 'FollowSymLinks Indexes'}
    extra = '<Location /dir/private>\n    Options -Indexes\n</Location>\n'
    files = FILES

    @classmethod
    def prepare(cls, server):
        os.mkdir(server.path('dir/empty'))
        set_mtimes(server.root)

    def listing(self, path):
        r = self.get(path)
        self.assertEqual(r.status, 200, 'GET %s\n%r' % (path, r))
        self.assertEqual(r.header('Content-Type'), 'text/html; charset=utf-8')
        self.assertEqual(r.header('Content-Length'), str(len(r.body)))
        self.assertEqual(r.framing, 'length')
        return r

    def links(self, body):
        return LINK.findall(body.decode('utf-8'))

    def test_entries_in_order(self):
        r = self.listing('/dir/')
        got = [(href, text.replace('&amp;', '&').replace('&lt;', '<').replace('&gt;', '>')
                .replace('&quot;', '"').replace('&#39;', "'"))
               for href, text in self.links(r.body)]
        self.assertEqual(got, [('../', 'Parent Directory')] + DIR_ENTRIES)

    def test_exact_page(self):
        size = lambda rel: str(len(FILES['dir/' + rel]))
        rows = [('Zsub/', 'Zsub/', '-'), ('empty/', 'empty/', '-'),
                ('private/', 'private/', '-'), ('sub/', 'sub/', '-'),
                ('100%25.txt', '100%.txt', size('100%.txt')),
                ('B.txt', 'B.txt', size('B.txt')),
                ('a%20b%26%3Cc%3E.txt', 'a b&amp;&lt;c&gt;.txt', size(ODD)),
                ('b.txt', 'b.txt', size('b.txt')),
                ('c%3Ad.txt', 'c:d.txt', size('c:d.txt')),
                ('q%22%27.txt', 'q&quot;&#39;.txt', size('q"\'.txt')),
                ('%C3%A9t%C3%A9.txt', '\u00e9t\u00e9.txt', size('\u00e9t\u00e9.txt'))]
        self.assertEqual(self.listing('/dir/').body.decode('utf-8'),
                         page('/dir', rows).decode('utf-8'))

    def test_links_fetch_the_files(self):
        r = self.listing('/dir/')
        base = self.server.url('/dir/')
        for href, _ in self.links(r.body):
            url = urllib.parse.urljoin(base, href)
            path = urllib.parse.urlsplit(url).path
            got = self.get(path)
            self.assertIn(got.status, (200, 403), '%s -> %s\n%r' % (href, path, got))
            if not href.endswith('/'):
                name = urllib.parse.unquote(href)
                self.assertEqual(got.status, 200, path)
                self.assertEqual(got.body, FILES['dir/' + name], path)

    def test_escaped_name_fetched_back(self):
        r = self.listing('/dir/')
        self.assertIn(b'<a href="a%20b%26%3Cc%3E.txt">a b&amp;&lt;c&gt;.txt</a>', r.body)
        self.assertNotIn(b'<c>', r.body)
        got = self.get('/dir/a%20b%26%3Cc%3E.txt')
        self.assertEqual(got.status, 200, repr(got))
        self.assertEqual(got.body, b'odd name\n')

    def test_dotfiles_not_listed(self):
        body = self.listing('/dir/').body
        self.assertNotIn(b'hidden', body)
        self.assertNotIn(b'.git', body)
        # Hidden from the listing only: they are still served by name.
        self.assertEqual(self.get('/dir/.hidden').body, b'a dotfile\n')

    def test_subdirectory_has_parent_link(self):
        r = self.listing('/dir/sub/')
        self.assertEqual(r.body, page('/dir/sub', [('file.txt', 'file.txt', '7')]))
        self.assertEqual(self.links(r.body)[0], ('../', 'Parent Directory'))

    def test_empty_directory(self):
        self.assertEqual(self.listing('/dir/empty/').body, page('/dir/empty', []))

    def test_root_has_no_parent_link(self):
        r = self.listing('/')
        self.assertEqual(self.links(r.body), [('dir/', 'dir/'), ('withindex/', 'withindex/'),
                                              ('top.txt', 'top.txt')])
        self.assertNotIn(b'Parent Directory', r.body)
        self.assertIn(b'<title>Index of /</title>', r.body)

    def test_index_file_wins(self):
        r = self.get('/withindex/')
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.body, FILES['withindex/index.html'])
        self.assertEqual(r.header('Content-Type'), 'text/html')

    def test_minus_indexes_in_location(self):
        r = self.get('/dir/private/')
        self.assertEqual(r.status, 403, repr(r))
        self.assertNotIn(b'secret', r.body)
        self.assertNotIn(b'Index of', r.body)
        # The files in it are still served.
        self.assertEqual(self.get('/dir/private/secret.txt').body, b'not listed here\n')

    def test_without_slash_redirects(self):
        r = self.get('/dir/sub')
        self.assertEqual(r.status, 301, repr(r))
        self.assertTrue((r.header('Location') or '').endswith('/dir/sub/'), repr(r))

    def test_head(self):
        with self.conn() as c:
            # HEAD then GET in one write: a body after the HEAD would be
            # read as the GET's status line.
            c.send(build_request('HEAD', '/dir/') + build_request('GET', '/dir/'))
            h = c.read_response('HEAD')
            g = c.read_response('GET')
            self.assertEqual(c.buf, b'')
        self.assertEqual(h.status, 200, repr(h))
        self.assertEqual(g.status, 200, repr(g))
        self.assertEqual(h.body, b'')
        self.assertEqual(h.header('Content-Length'), str(len(g.body)))
        self.assertEqual([(n, v) for n, v in h.headers if n != 'Date'],
                         [(n, v) for n, v in g.headers if n != 'Date'])

    def test_post_is_405(self):
        r = self.get('/dir/', method='POST', headers={'Content-Length': '0'})
        self.assertEqual(r.status, 405, repr(r))
        self.assertEqual(r.header('Allow'), 'GET, HEAD')


class NoIndexesTest(ServerTestCase):
    """The default Options (no Indexes): 403 as before; +Indexes in a <Location>."""
    extra = '<Location /open>\n    Options +Indexes\n</Location>\n'
    files = {'dir/file.txt': b'a file\n', 'open/file.txt': b'open\n'}

    @classmethod
    def prepare(cls, server):
        set_mtimes(server.root)

    def test_directory_is_403(self):
        for path in ('/dir/', '/'):
            r = self.get(path)
            self.assertEqual(r.status, 403, 'GET %s\n%r' % (path, r))
            self.assertEqual(r.header('Content-Length'), str(len(r.body)))
            self.assertNotIn(b'file.txt', r.body, 'directory listing leaked')
            self.assertNotIn(b'Index of', r.body)

    def test_plus_indexes_in_location(self):
        r = self.get('/open/')
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.body, page('/open', [('file.txt', 'file.txt', '5')]))


class SymlinkTest(ServerTestCase):
    """Options Indexes without FollowSymLinks: a symlink is listed only if
    mod_static would serve it; neither file nor directory is not listed."""
    directives = {'Options': 'Indexes'}
    files = {'dir/target.txt': b'target\n', 'dir/sub/x.txt': b'x\n'}

    @classmethod
    def prepare(cls, server):
        outside = os.path.join(server.dir, 'outside.txt')
        with open(outside, 'wb') as f:
            f.write(b'outside the root\n')
        os.symlink('target.txt', server.path('dir/inside'))
        os.symlink('sub', server.path('dir/subl'))
        os.symlink(outside, server.path('dir/absolute'))
        os.symlink('../../outside.txt', server.path('dir/relative-out'))
        os.symlink('nowhere', server.path('dir/dangling'))
        os.mkfifo(server.path('dir/fifo'))
        set_mtimes(server.root)

    def test_listing(self):
        r = self.get('/dir/')
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.body, page('/dir', [('sub/', 'sub/', '-'), ('subl/', 'subl/', '-'),
                                               ('inside', 'inside', '7'),
                                               ('target.txt', 'target.txt', '7')]))
        self.assertEqual(self.get('/dir/inside').body, b'target\n')
        self.assertEqual(self.get('/dir/subl/x.txt').body, b'x\n')
        for name in ('absolute', 'relative-out'):
            self.assertEqual(self.get('/dir/' + name).status, 403, name)


class TruncatedTest(ServerTestCase):
    """More than 10000 entries: 10000 listed, and a note says so."""
    directives = {'Options': 'Indexes'}

    @classmethod
    def prepare(cls, server):
        os.mkdir(server.path('many'))
        for i in range(10001):
            open(server.path('many/f%05d' % i), 'wb').close()

    def test_capped(self):
        r = self.get('/many/')
        self.assertEqual(r.status, 200, repr(r))
        links = LINK.findall(r.body.decode())
        self.assertEqual(len(links), 1 + 10000)   # with Parent Directory
        names = [href for href, _ in links[1:]]
        self.assertEqual(names, sorted(names))
        self.assertIn(b'<p>This directory has more than 10000 entries; only 10000 are listed.'
                      b'</p>\n</body>', r.body)
        with open(self.server.error_log, 'rb') as f:
            self.assertIn(b'X001006', f.read())


if __name__ == '__main__':
    unittest.main()
