"""Nothing outside DocumentRoot is served, whatever the encoding; symlinks
follow Options.  Raw sockets, so that no client normalizes the paths."""

import os
import unittest

from x0test import ServerTestCase

SECRET = b'TOP-SECRET-7f3a9c outside the document root\n'
SECRET2 = b'SECOND-SECRET-b81e in a directory outside\n'
INSIDE = b'a real file inside the root\n'
INDEX = b'<html>traversal index</html>\n'

ATTACKS = [
    '/../secret',
    '/%2e%2e/secret',
    '/%2E%2E/secret',
    '/.%2e/secret',
    '/%2e./secret',
    '/dir/../../secret',
    '/dir/%2e%2e/%2e%2e/secret',
    '/dir/..%2f..%2fsecret',
    '/%2f..%2fsecret',
    '/..%2fsecret',
    '/%2e%2e%2fsecret',
    '/%00',
    '/index.html%00.txt',
    '/index.html%00',
    '/..\\secret',
    '/%5c..%5csecret',
    '/..%5csecret',
    '//etc/passwd',
    '/....//secret',
    '/./../secret',
    '/dir/./../.././secret',
    '/%252e%252e/secret',
    '/%c0%ae%c0%ae/secret',
    'http://localhost/../secret',
    '../secret',
    'secret',
]


class TraversalBase(ServerTestCase):
    files = {'index.html': INDEX, 'dir/inside.txt': INSIDE, 'real.txt': INSIDE}

    @classmethod
    def prepare(cls, server):
        with open(os.path.join(server.dir, 'secret'), 'wb') as f:
            f.write(SECRET)
        outside = os.path.join(server.dir, 'outside')
        os.mkdir(outside)
        with open(os.path.join(outside, 'secret2'), 'wb') as f:
            f.write(SECRET2)
        os.symlink('real.txt', server.path('link-in'))
        os.symlink(os.path.join(server.dir, 'secret'), server.path('link-out'))
        os.symlink('../secret', server.path('link-out-rel'))
        os.symlink(outside, server.path('dir-out'))

    def raw_get(self, target, version='HTTP/1.1'):
        with self.conn() as c:
            c.send(('GET %s %s\r\nHost: localhost\r\nConnection: close\r\n\r\n'
                    % (target, version)).encode('latin-1'))
            r = c.read_response()
            # whatever else arrives before the close counts as leaked too
            c.sock.settimeout(2)
            try:
                extra = c.read_until_close()
            except (OSError, AssertionError):
                extra = bytes(c.buf)
        return r, r.raw_head + r.body + extra

    def test_attacks(self):
        failures = []
        for target in ATTACKS:
            r, everything = self.raw_get(target)
            if SECRET in everything or SECRET2 in everything or b'root:x:0:0' in everything:
                failures.append('%s -> %d LEAKED A FILE OUTSIDE THE ROOT' % (target, r.status))
            elif target.startswith('/index.html%00'):
                if r.status not in (400, 403, 404):
                    failures.append('%s -> %d (NUL must not truncate the path)' % (target, r.status))
            elif r.status not in (400, 403, 404):
                failures.append('%s -> %d, expected 400/403/404' % (target, r.status))
        self.assertEqual(failures, [], '\n'.join(failures))

    def test_inside_still_served(self):
        for target in ('/dir/inside.txt', '/dir/../real.txt', '/./real.txt', '/dir/%2e%2e/real.txt'):
            r, _ = self.raw_get(target)
            if target == '/dir/inside.txt':
                self.assertEqual((r.status, r.body), (200, INSIDE), target)
            else:
                # dot-segments that stay inside: served, or rejected -- never another file
                self.assertIn(r.status, (200, 400, 404), target)
                if r.status == 200:
                    self.assertEqual(r.body, INSIDE, target)

    def test_symlink_inside(self):
        r, _ = self.raw_get('/link-in')
        if self.follow:
            self.assertEqual((r.status, r.body), (200, INSIDE), repr(r))
        else:
            self.assertIn(r.status, (200, 403, 404), repr(r))
            if r.status == 200:
                self.assertEqual(r.body, INSIDE)

    def test_symlink_outside(self):
        for target, content in (('/link-out', SECRET), ('/link-out-rel', SECRET),
                                ('/dir-out/secret2', SECRET2)):
            r, everything = self.raw_get(target)
            if self.follow:
                self.assertEqual((r.status, r.body), (200, content),
                                 'Options FollowSymLinks: %s\n%r' % (target, r))
            else:
                self.assertIn(r.status, (403, 404), 'Options None: %s\n%r' % (target, r))
                self.assertNotIn(content, everything, 'Options None leaked %s' % target)


class TraversalNoSymlinksTest(TraversalBase):
    directives = {'Options': 'None'}
    follow = False


class TraversalFollowSymlinksTest(TraversalBase):
    directives = {'Options': 'FollowSymLinks'}
    follow = True


del TraversalBase

if __name__ == '__main__':
    unittest.main()
