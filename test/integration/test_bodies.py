"""Request bodies (RFC 9112 section 6, RFC 9110 section 10.1.1) through
HTTP_IN: mod_echo streams them back; unread bodies are dropped or the
connection closes; 100-continue, 417, LimitRequestBody."""

import os
import socket
import threading
import time
import unittest

import x0test
from x0test import ServerTestCase, build_request

ECHO = '<Location /echo>\n    SetHandler echo\n</Location>\n'
SMALL = '<Location /small>\n    SetHandler echo\n    LimitRequestBody 1000\n</Location>\n'
INDEX = b'<html>bodies</html>\n'


def chunked(*pieces, trailer=b''):
    return b''.join(b'%x\r\n%s\r\n' % (len(p), p) for p in pieces) + b'0\r\n' + trailer + b'\r\n'


class BodyTest(ServerTestCase):
    extra = ECHO + SMALL
    files = {'index.html': INDEX}

    def echo(self, headers, body, method='POST', path='/echo'):
        with self.conn() as c:
            c.send(build_request(method, path, headers=headers, body=body))
            return c.read_response(method)

    def test_content_length_echoed(self):
        r = self.echo({'Content-Length': '11', 'Content-Type': 'text/x-test'}, b'hello world')
        self.assertEqual((r.status, r.body), (200, b'hello world'))
        self.assertEqual(r.header('Content-Length'), '11')
        self.assertEqual(r.header('Content-Type'), 'text/x-test')

    def test_chunked_echoed_chunked(self):
        body = chunked(b'hello ', b'chunked ', b'world', trailer=b'X-Trailer: yes\r\n')
        r = self.echo({'Transfer-Encoding': 'chunked'}, body)
        self.assertEqual((r.status, r.body), (200, b'hello chunked world'))
        self.assertEqual(r.framing, 'chunked')

    def test_chunk_extensions_ignored(self):
        body = b'5;name=value;q="a;b"\r\nhello\r\n0;last\r\n\r\n'
        r = self.echo({'Transfer-Encoding': 'chunked'}, body)
        self.assertEqual((r.status, r.body), (200, b'hello'))

    def test_body_split_at_every_byte(self):
        body = chunked(b'abc', b'defgh')
        raw = build_request('POST', '/echo', headers={'Transfer-Encoding': 'chunked'}) + body
        with self.conn() as c:
            for i in range(len(raw)):
                c.send(raw[i:i + 1])
                time.sleep(0.002)
            r = c.read_response()
        self.assertEqual((r.status, r.body), (200, b'abcdefgh'))

    def test_pipelined_with_bodies(self):
        raw = (build_request('POST', '/echo', headers={'Content-Length': '3'}, body=b'one')
               + build_request('GET', '/index.html')
               + build_request('POST', '/echo', headers={'Transfer-Encoding': 'chunked'},
                               body=chunked(b'two'))
               + build_request('GET', '/index.html'))
        with self.conn() as c:
            c.send(raw)
            bodies = [c.read_response().body for _ in range(4)]
        self.assertEqual(bodies, [b'one', INDEX, b'two', INDEX])

    def test_unread_body_is_dropped_and_keepalive_continues(self):
        # A static file does not read bodies: the 405 still leaves the
        # connection in step, so the pipelined GET is answered.
        raw = (build_request('POST', '/index.html', headers={'Content-Length': '10'},
                             body=b'0123456789')
               + build_request('GET', '/index.html'))
        with self.conn() as c:
            c.send(raw)
            first = c.read_response()
            second = c.read_response()
        self.assertEqual(first.status, 405)
        self.assertNotIn('close', first.tokens('Connection'))
        self.assertEqual((second.status, second.body), (200, INDEX))

    def test_unread_body_too_large_to_drop_closes(self):
        with self.conn() as c:
            c.send(build_request('POST', '/index.html', headers={'Content-Length': '100000'},
                                 body=b'x' * 1000))
            r = c.read_response()
            self.assertEqual(r.status, 405)
            self.assertIn('close', r.tokens('Connection'))
            self.assertIsNotNone(c.wait_closed(5), 'connection stayed open')

    def test_expect_100_continue_when_handler_reads(self):
        with self.conn() as c:
            c.send(build_request('POST', '/echo', headers={'Content-Length': '5',
                                                           'Expect': '100-continue'}))
            interim = c.read_head()
            self.assertEqual(interim.status, 100)
            c.send(b'hello')
            r = c.read_response()
        self.assertEqual((r.status, r.body), (200, b'hello'))

    def test_expect_100_continue_not_sent_when_body_unread(self):
        with self.conn() as c:
            c.send(build_request('POST', '/index.html', headers={'Content-Length': '5',
                                                                 'Expect': '100-continue'}))
            r = c.read_head()
            self.assertEqual(r.status, 405, 'a final status, without 100 first')

    def test_other_expectation_is_417(self):
        r = self.echo({'Content-Length': '2', 'Expect': 'teapot'}, b'hi')
        self.assertEqual(r.status, 417)

    def test_limit_request_body_content_length(self):
        with self.conn() as c:
            c.send(build_request('POST', '/small', headers={'Content-Length': '2000'}))
            r = c.read_response()
            self.assertEqual(r.status, 413)
            self.assertIsNotNone(c.wait_closed(5), 'connection stayed open after 413')

    def test_limit_request_body_chunked(self):
        body = chunked(b'x' * 600, b'y' * 600)
        r = self.echo({'Transfer-Encoding': 'chunked'}, body, path='/small')
        self.assertEqual(r.status, 413)

    def test_limit_request_body_within_limit(self):
        r = self.echo({'Content-Length': '1000'}, b'z' * 1000, path='/small')
        self.assertEqual((r.status, len(r.body)), (200, 1000))

    def test_bad_chunk_size_is_400_and_close(self):
        with self.conn() as c:
            c.send(build_request('POST', '/echo', headers={'Transfer-Encoding': 'chunked'},
                                 body=b'1' + b'0' * 17 + b'\r\nx\r\n0\r\n\r\n'))
            r = c.read_response()
            self.assertEqual(r.status, 400)
            self.assertIsNotNone(c.wait_closed(5))

    def test_client_gone_mid_body(self):
        with self.conn() as c:
            c.send(build_request('POST', '/echo', headers={'Content-Length': '100000'},
                                 body=b'x' * 1000))
        time.sleep(0.2)
        r = self.echo({'Content-Length': '2'}, b'ok')
        self.assertEqual((r.status, r.body), (200, b'ok'))

    def test_large_upload_streams_with_bounded_memory(self):
        size = 256 * 1024 * 1024
        block = os.urandom(1 << 16)
        before = x0test.rss_kib(self.server.pid)
        peak = [before]
        got = bytearray()
        with self.conn(timeout=60) as c:
            c.send(build_request('POST', '/echo', headers={'Content-Length': str(size)}))

            def upload():
                for _ in range(size // len(block)):
                    c.sock.sendall(block)

            sender = threading.Thread(target=upload)
            sender.start()
            r = c.read_head()
            self.assertEqual(r.status, 200)
            left = size - len(c.buf)
            c.buf.clear()
            count = 0
            while left > 0:
                data = c.sock.recv(min(left, 1 << 20))
                self.assertTrue(data, 'closed with %d bytes left' % left)
                left -= len(data)
                count += 1
                if count % 256 == 0:
                    peak[0] = max(peak[0], x0test.rss_kib(self.server.pid))
            sender.join()
        growth = peak[0] - before
        print('256 MiB through /echo: RSS %d KiB before, peak %d KiB' % (before, peak[0]))
        if not x0test.sanitized_binary():
            self.assertLess(growth, 8 * 1024, 'RSS grew by %d KiB' % growth)


if __name__ == '__main__':
    unittest.main()
