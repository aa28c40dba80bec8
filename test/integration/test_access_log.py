"""mod_log_config: combined lines that log analyzers parse, %b/%O exact for
the ways a response can go out (200, 206, multipart 206, HEAD, chunked,
304, cut off by the client), a virtual host's own CustomLog, piped loggers
(restarted when they die; one that stops reading does not stall serving),
config errors at x0d -t, per-module LogLevel, and rotation with a graceful
restart."""

import os
import re
import signal
import socket
import struct
import subprocess
import threading
import time
import unittest

import x0test
from x0test import Server, ServerTestCase, run_x0d

MODULES = tuple(dict.fromkeys(x0test.SHIPPED_MODULES + ('log_config',)))
WAIT = 30 if x0test.WRAPPER else 10

# The Combined Log Format as log analyzers match it (GoAccess's and
# AWStats' "combined", with httpd's \" escapes inside quoted fields).
QUOTED = r'"((?:[^"\\]|\\.)*)"'
COMBINED = re.compile(r'^(\S+) (\S+) (\S+) \[(\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] '
                      + QUOTED + r' (\d{3}) (\d+|-) ' + QUOTED + ' ' + QUOTED + '$')
BYTES_FORMAT = '"%r|%>s|%b|%B|%O|%X"'
BIG = 8 * 1024 * 1024
FILES = {'index.html': b'<p>hello</p>\n', 'ten.txt': b'0123456789',
         'big.bin': b'b' * BIG}


def wait_for(cond, what, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError('timed out waiting for ' + what)


def read_lines(path):
    try:
        with open(path, 'rb') as f:
            return f.read().decode('utf-8', 'replace').splitlines()
    except FileNotFoundError:
        return []


def exchange(port, request):
    """Send @request on a fresh connection, read until the server closes;
    returns (head length, total bytes)."""
    with socket.create_connection(('127.0.0.1', port), timeout=WAIT) as s:
        s.sendall(request)
        data = b''
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head = data.find(b'\r\n\r\n') + 4
    return head, len(data), data


def request(method, path, *headers):
    lines = ['%s %s HTTP/1.1' % (method, path), 'Host: localhost', 'Connection: close']
    lines += list(headers)
    return ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1')


class LogCase(ServerTestCase):
    files = FILES

    @classmethod
    def log_path(cls, name='access.log'):
        return os.path.join(cls.server.dir, name)

    def lines_for(self, name, needle, count=1):
        """Wait until @name has @count lines containing @needle; return them."""
        def found():
            lines = [l for l in read_lines(self.log_path(name)) if needle in l]
            return lines if len(lines) >= count else None
        return wait_for(found, '%d line(s) with %r in %s' % (count, needle, name))


class CombinedFormat(LogCase):
    @classmethod
    def prepare(cls, server):
        server.write_config({'LoadModule': x0test.load_module_lines(MODULES),
                             'CustomLog': '%s combined' % os.path.join(server.dir, 'access.log')})

    def test_lines_parse_as_combined(self):
        cases = [
            ('GET', '/index.html?combined-case', ('Referer: http://example.org/a',
                                                  'User-Agent: agent "quoted" \\ back')),
            ('HEAD', '/ten.txt?combined-case', ()),
            ('GET', '/missing?combined-case', ('User-Agent: x',)),
            ('GET', '/%22quote%22?combined-case', ()),
        ]
        for method, path, headers in cases:
            exchange(self.server.port, request(method, path, *headers))
        lines = self.lines_for('access.log', 'combined-case', len(cases))
        self.assertEqual(len(lines), len(cases), lines)
        for line, (method, path, headers) in zip(lines, cases):
            m = COMBINED.match(line)
            self.assertIsNotNone(m, line)
            self.assertEqual(m.group(1), '127.0.0.1')
            self.assertEqual((m.group(2), m.group(3)), ('-', '-'))
            self.assertEqual(m.group(5), '%s %s HTTP/1.1' % (method, path))
        first = COMBINED.match(lines[0])
        self.assertEqual(first.group(6), '200')
        self.assertEqual(first.group(7), str(len(FILES['index.html'])))
        self.assertEqual(first.group(8), 'http://example.org/a')
        self.assertEqual(first.group(9), r'agent \"quoted\" \\ back')
        self.assertEqual(COMBINED.match(lines[1]).group(7), '-')   # HEAD: no body
        self.assertEqual(COMBINED.match(lines[2]).group(6), '404')

    def test_bytes_outside_printable_ascii_are_escaped(self):
        # What the parser lets through: obs-text and an inner tab (RFC 9110 5.5).
        exchange(self.server.port, request('GET', '/esc', 'User-Agent: a\tb\xffc\xe9d'))
        line = self.lines_for('access.log', '/esc')[0]
        self.assertIn(r'"a\tb\xffc\xe9d"', line)
        self.assertIsNotNone(COMBINED.match(line), line)


class BytesSent(LogCase):
    """%b/%B/%O against what a client received, byte for byte."""

    @classmethod
    def prepare(cls, server):
        server.write_config({'LoadModule': x0test.load_module_lines(MODULES),
                             'LogFormat': '%s bytes' % BYTES_FORMAT,
                             'CustomLog': '%s bytes' % os.path.join(server.dir, 'access.log')})

    def logged(self, needle):
        line = self.lines_for('access.log', needle)[-1]
        _, status, b, big_b, o, x = line.split('|')
        return int(status), b, int(big_b), int(o), x

    def check(self, method, path, *headers, status):
        head, total, data = exchange(self.server.port, request(method, path, *headers))
        got = self.logged('%s %s ' % (method, path))
        self.assertEqual(got[0], status, data[:300])
        self.assertEqual(got[3], total, 'O: %r' % (got,))
        body = total - head
        self.assertEqual(got[2], body, 'B: %r' % (got,))
        self.assertEqual(got[1], str(body) if body else '-')
        return data

    def test_200(self):
        self.check('GET', '/index.html', status=200)

    def test_206(self):
        data = self.check('GET', '/ten.txt?r1', 'Range: bytes=2-5', status=206)
        self.assertTrue(data.endswith(b'2345'))

    def test_multipart_206(self):
        data = self.check('GET', '/ten.txt?r2', 'Range: bytes=0-1,5-6,8-', status=206)
        self.assertIn(b'multipart/byteranges', data)

    def test_head(self):
        self.check('HEAD', '/index.html', status=200)

    def test_chunked(self):
        data = self.check('GET', '/hello', status=200)
        self.assertIn(b'Transfer-Encoding: chunked', data)

    def test_304(self):
        head, _, data = exchange(self.server.port, request('GET', '/ten.txt?etag'))
        etag = re.search(rb'ETag: (\S+)', data).group(1).decode()
        self.check('GET', '/ten.txt?c', 'If-None-Match: %s' % etag, status=304)

    def test_cut_off_by_the_client(self):
        with socket.create_connection(('127.0.0.1', self.server.port), timeout=WAIT) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
            s.sendall(request('GET', '/big.bin?cut'))
            got = 0
            while got < 100000:
                chunk = s.recv(65536)
                self.assertTrue(chunk)
                got += len(chunk)
            # RST, not FIN: what the server has not sent yet is never sent.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        status, b, big_b, o, x = self.logged('/big.bin?cut')
        self.assertEqual(status, 200)
        self.assertGreaterEqual(o, got)      # at least what we read...
        self.assertLess(o, BIG)              # ... and not the whole body
        self.assertGreater(big_b, 0)
        self.assertLess(big_b, o)            # the head is not body
        self.assertEqual(b, str(big_b))


class VirtualHostLog(LogCase):
    @classmethod
    def prepare(cls, server):
        main_log = os.path.join(server.dir, 'access.log')
        vhost_log = os.path.join(server.dir, 'vhost.log')
        extra = ('<VirtualHost 127.0.0.1:%d>\n  ServerName localhost\n</VirtualHost>\n'
                 '<VirtualHost 127.0.0.1:%d>\n  ServerName other.example\n'
                 '  DocumentRoot %s\n  CustomLog %s "%%v %%U"\n</VirtualHost>\n'
                 % (server.port, server.port, server.root, vhost_log))
        server.write_config({'LoadModule': x0test.load_module_lines(MODULES),
                             'CustomLog': '%s "%%v %%U"' % main_log}, extra)

    def test_vhost_writes_only_to_its_own_log(self):
        exchange(self.server.port, request('GET', '/main-one'))
        exchange(self.server.port, request('GET', '/vhost-one').replace(
            b'Host: localhost', b'Host: other.example'))
        self.assertEqual(self.lines_for('vhost.log', '/vhost-one'),
                         ['other.example /vhost-one'])
        self.assertEqual(self.lines_for('access.log', '/main-one'), ['localhost /main-one'])
        exchange(self.server.port, request('GET', '/main-two'))
        self.lines_for('access.log', '/main-two')
        self.assertFalse([l for l in read_lines(self.log_path()) if 'vhost' in l])
        self.assertFalse([l for l in read_lines(self.log_path('vhost.log')) if 'main' in l])


class PipedLogger(LogCase):
    @classmethod
    def prepare(cls, server):
        piped = os.path.join(server.dir, 'piped.log')
        script = os.path.join(server.dir, 'logger.sh')
        with open(script, 'w') as f:
            # Its pid first, so that the test can kill it.
            f.write('#!/bin/sh\necho "logger $$" >> %s\nexec cat >> %s\n' % (piped, piped))
        os.chmod(script, 0o755)
        server.write_config({'LoadModule': x0test.load_module_lines(MODULES),
                             'CustomLog': '"|%s" "%%U %%>s"' % script})

    def test_lines_reach_the_logger_and_survive_its_death(self):
        exchange(self.server.port, request('GET', '/piped-one'))
        self.lines_for('piped.log', '/piped-one 404')
        pid = int(self.lines_for('piped.log', 'logger ')[0].split()[1])
        os.kill(pid, signal.SIGKILL)
        # Until it is gone it may still read a line it will never write.
        wait_for(lambda: not x0test.process_alive(pid), 'the logger %d to die' % pid)
        # Lines sent while no logger runs wait in the pipe for the next one.
        exchange(self.server.port, request('GET', '/piped-two'))
        self.lines_for('piped.log', '/piped-two 404')
        self.assertEqual(len(self.lines_for('piped.log', 'logger ', 2)), 2)
        exchange(self.server.port, request('GET', '/piped-three'))
        self.lines_for('piped.log', '/piped-three 404')


class StalledLogger(LogCase):
    """A piped logger that never reads: serving goes on, lines are dropped
    and counted in the error log."""

    @classmethod
    def prepare(cls, server):
        server.write_config({'LoadModule': x0test.load_module_lines(MODULES),
                             'CustomLog': '"|exec sleep 600" "%%r %s %%{User-Agent}i"'
                                          % ('x' * 500)})

    def test_serving_does_not_wait_for_the_logger(self):
        agent = 'a' * 1000
        start = time.monotonic()
        for batch in range(8):     # about 600 KiB of lines: pipe and buffer overflow
            with self.server.conn() as c:  # (MaxKeepAliveRequests is 100)
                for i in range(50):
                    c.send(x0test.build_request('GET', '/index.html?%d' % i,
                                                headers={'User-Agent': agent}))
                    r = c.read_response()
                    self.assertEqual(r.status, 200)
        self.assertLess(time.monotonic() - start, WAIT)

    @classmethod
    def tearDownClass(cls):
        # The drops are reported when the worker exits (the logger never
        # catches up).
        note = cls.server.stop()
        try:
            with open(cls.server.error_log, 'rb') as f:
                log = f.read().decode('utf-8', 'replace')
            if not re.search(r'X005001: \d+ access log line\(s\) for \|exec sleep 600 were '
                             r'dropped', log):
                raise AssertionError('no drop report in the error log:\n' + log[-2000:])
        finally:
            cls.server.cleanup()
        if note:
            raise AssertionError(note)


class ConfigErrors(unittest.TestCase):
    def check_error(self, lines, message):
        srv = Server({'LoadModule': x0test.load_module_lines(MODULES)}, extra=lines)
        try:
            result = run_x0d(['-t', '-f', srv.conf_path])
            out = result.stderr.decode() + result.stdout.decode()
            self.assertEqual(result.returncode, 1, out)
            line = srv.config_text({'LoadModule': x0test.load_module_lines(MODULES)},
                                   lines).splitlines().index(lines.splitlines()[-1]) + 1
            self.assertIn('%s:%d: ' % (srv.conf_path, line), out)
            self.assertIn(message, out)
        finally:
            srv.cleanup()

    def test_unknown_token(self):
        self.check_error('LogFormat "%h %Z" broken\n', 'unknown token %Z')

    def test_header_without_name(self):
        self.check_error('CustomLog /tmp/x0-never.log "%h %i"\n', '%i needs an argument')

    def test_unknown_nickname(self):
        self.check_error('CustomLog /tmp/x0-never.log nosuchformat\n',
                         'no LogFormat is named "nosuchformat"')

    def test_missing_format(self):
        self.check_error('CustomLog /tmp/x0-never.log\n', 'CustomLog')

    def test_log_in_a_missing_directory(self):
        self.check_error('CustomLog /nonexistent-dir/access.log common\n',
                         'cannot open the access log /nonexistent-dir/access.log')


class ModuleLogLevel(unittest.TestCase):
    """LogLevel info ssl:warn (the issue's example): mod_ssl's info line at a
    worker's exit is gone, the core's info lines stay."""

    def test_per_module_level(self):
        modules = MODULES + ('ssl',)
        for level, expect in (('info ssl:warn', False), ('info', True)):
            srv = Server({'LoadModule': x0test.load_module_lines(modules), 'LogLevel': level},
                         files={'index.html': 'x'})
            try:
                srv.start()
                exchange(srv.port, request('GET', '/'))
            finally:
                note = srv.stop()
            log = open(srv.error_log).read()
            srv.cleanup()
            self.assertIsNone(note)
            self.assertIn('[core:info]', log)
            self.assertEqual('[ssl:info]' in log, expect, log)

    def test_unknown_module_is_a_config_error(self):
        srv = Server({'LoadModule': x0test.load_module_lines(MODULES),
                      'LogLevel': 'info nosuch:warn'})
        try:
            result = run_x0d(['-t', '-f', srv.conf_path])
        finally:
            srv.cleanup()
        self.assertEqual(result.returncode, 1)
        self.assertRegex(result.stderr.decode(), r'x0d\.conf:\d+: LogLevel: no module "nosuch"')


class RotationWithGracefulRestart(unittest.TestCase):
    """mv access.log access.log.1; x0d -k graceful: every request is logged
    exactly once across the two files."""

    def test_every_request_once(self):
        if b'graceful' not in run_x0d(['-h']).stderr + run_x0d(['-h']).stdout:
            self.skipTest('x0d has no -k graceful yet')
        srv = Server(foreground=False, files={'index.html': 'x'})
        log = os.path.join(srv.dir, 'access.log')
        srv.write_config({'LoadModule': x0test.load_module_lines(MODULES),
                          'Workers': '2', 'CustomLog': '%s "%%U %%q"' % log})
        total = 300
        errors = []
        rotated = threading.Event()

        def load():
            for i in range(total):
                try:
                    data = exchange(srv.port, request('GET', '/index.html?id=%d' % i))[2]
                    if not data.startswith(b'HTTP/1.1 200'):
                        errors.append((i, data[:100]))
                except OSError as e:
                    errors.append((i, e))
                if i == total // 3:
                    rotated.wait(WAIT)
        try:
            srv.start()
            t = threading.Thread(target=load)
            t.start()
            wait_for(lambda: len(read_lines(log)) >= total // 4, 'the first lines')
            os.rename(log, log + '.1')
            result = run_x0d(['-k', 'graceful', '-f', srv.conf_path])
            rotated.set()
            t.join(WAIT * 3)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertFalse(errors, errors[:5])
            wait_for(lambda: len(read_lines(log)) + len(read_lines(log + '.1')) >= total,
                     'every line')
            ids = [l.split('id=')[1] for l in read_lines(log) + read_lines(log + '.1')
                   if 'id=' in l]
            self.assertEqual(sorted(ids, key=int), [str(i) for i in range(total)])
            self.assertTrue(read_lines(log), 'nothing was logged after the graceful restart')
        finally:
            rotated.set()
            note = srv.stop()
            srv.cleanup()
        self.assertIsNone(note)


if __name__ == '__main__':
    unittest.main()
