"""A sparse 5 GiB file is served whole: 64-bit length and offsets."""

import os
import tempfile
import time
import unittest

import x0test
from x0test import ServerTestCase

SIZE = 5 * 2 ** 30
MARKERS = {0: b'<<start-marker>>', 2 ** 31 - 8: b'[across 2 GiB!!]',
           2 ** 32 - 8: b'[across 4 GiB!!]', SIZE - 16: b'<<the-end-mark>>'}


def sparse_supported():
    d = tempfile.mkdtemp(prefix='x0test-sparse-')
    try:
        p = os.path.join(d, 'probe')
        with open(p, 'wb') as f:
            f.truncate(SIZE)
            f.seek(SIZE - 1)
            f.write(b'x')
        st = os.stat(p)
        return st.st_size == SIZE and st.st_blocks * 512 < (64 << 20)
    except OSError:
        return False
    finally:
        for name in os.listdir(d):
            os.unlink(os.path.join(d, name))
        os.rmdir(d)


class BigFileTest(ServerTestCase):
    directives = {'Timeout': '30'}
    files = {'index.html': b'big file index\n'}

    @classmethod
    def prepare(cls, server):
        cls.file = server.path('huge.bin')
        with open(cls.file, 'wb') as f:
            f.truncate(SIZE)
            for off, mark in MARKERS.items():
                assert len(mark) == 16
                f.seek(off)
                f.write(mark)

    def test_head(self):
        r = self.get('/huge.bin', method='HEAD')
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header('Content-Length'), str(SIZE))

    def test_whole_file(self):
        """Stream the body and compare every byte with the file."""
        fd = os.open(self.file, os.O_RDONLY)
        self.addCleanup(os.close, fd)
        start = time.monotonic()
        with self.conn(timeout=30) as c:
            c.request('GET', '/huge.bin')
            r = c.read_head()
            self.assertEqual(r.status, 200, repr(r))
            self.assertEqual(r.header('Content-Length'), str(SIZE))
            self.assertIsNone(r.header('Transfer-Encoding'))
            block = 8 << 20
            buf = bytearray(block)
            ebuf = bytearray(block)
            offset = 0
            pending = bytes(c.buf)
            c.buf.clear()
            markers_seen = 0
            while offset < SIZE:
                want = min(block, SIZE - offset)
                if want < len(buf):
                    del buf[want:]
                    del ebuf[want:]
                n = len(pending)
                buf[:n] = pending
                pending = b''
                view = memoryview(buf)
                while n < want:
                    got = c.sock.recv_into(view[n:want])
                    if got == 0:
                        self.fail('connection closed at offset %d of %d' % (offset + n, SIZE))
                    n += got
                view.release()
                if os.preadv(fd, [ebuf], offset) != want:
                    self.fail('short read of the file at %d' % offset)
                if buf != ebuf:     # bytearray == bytearray is a memcmp
                    expected = ebuf
                    bad = next(i for i in range(want) if buf[i] != expected[i])
                    self.fail('body differs at offset %d: got %r expected %r'
                              % (offset + bad, bytes(buf[bad:bad + 16]), expected[bad:bad + 16]))
                markers_seen += sum(1 for off in MARKERS if offset <= off < offset + want)
                offset += want
            self.assertEqual(markers_seen, len(MARKERS))
            # nothing beyond Content-Length, and the connection stays usable
            c.request('GET', '/index.html')
            r2 = c.read_response()
            self.assertEqual(r2.body, b'big file index\n')
        print('\n5 GiB in %.1f s' % (time.monotonic() - start))


if __name__ == '__main__':
    if not sparse_supported():
        x0test.skip_file('the temp filesystem cannot hold a sparse 5 GiB file')
    unittest.main()
