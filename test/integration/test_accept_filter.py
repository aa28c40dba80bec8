#!/usr/bin/env python3
"""AcceptFilter: whether the kernel holds a new connection until its first
bytes arrive (data, the default for http) or hands it over at once (none).

`ss` shows x0's side of a connection the kernel holds as SYN-RECV, and of
one it has handed over (or would) as ESTAB. The state is read once a later
connection has been answered: the held connection's handshake went through
loopback before that one's, so it has settled by then. Configuration
errors are in test_directives.py.
"""

import socket
import subprocess
import unittest

from x0test import DirectiveTestCase, run_x0d, wait_for


def server_side_state(port, client_port):
    ss = subprocess.run(['ss', '-tnH', 'state', 'all',
                         '( sport = :%d and dport = :%d )' % (port, client_port)],
                        capture_output=True, text=True, timeout=10)
    lines = ss.stdout.strip().split('\n')
    if ss.returncode != 0 or len(lines) != 1 or not lines[0]:
        raise AssertionError('ss: exit %d, expected one socket:\n%s%s'
                             % (ss.returncode, ss.stdout, ss.stderr))
    return lines[0].split()[0]


def get(port):
    with socket.create_connection(('127.0.0.1', port), 5) as s:
        s.sendall(b'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n')
        return s.recv(4096)


def silent_connection_state(port):
    """Connect and send nothing; x0's side of it once a request on another
    connection has been answered."""
    with socket.create_connection(('127.0.0.1', port), 5) as silent:
        if not get(port).startswith(b'HTTP/1.1 200'):
            raise AssertionError('no 200 from x0d')
        return server_side_state(port, silent.getsockname()[1])


class AcceptFilterTest(DirectiveTestCase):
    directive = 'AcceptFilter'
    files = {'index.html': b'hello\n'}
    needs_ss = True

    def test_default_holds_a_silent_connection(self):
        srv = self.start()
        self.assertEqual(silent_connection_state(srv.port), 'SYN-RECV')

    def test_held_connection_is_served_when_its_request_arrives(self):
        srv = self.start()
        with socket.create_connection(('127.0.0.1', srv.port), 5) as s:
            s.sendall(b'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
            got = b''
            while chunk := s.recv(4096):
                got += chunk
        self.assertTrue(got.startswith(b'HTTP/1.1 200'), got)
        self.assertTrue(got.endswith(b'\r\n\r\nhello\n'), got)

    def test_none_hands_connections_over(self):
        srv = self.start('http none')
        self.assertEqual(silent_connection_state(srv.port), 'ESTAB')

    def test_freebsd_names_mean_data(self):
        srv = self.start('HTTP httpready')
        self.assertEqual(silent_connection_state(srv.port), 'SYN-RECV')

    def test_graceful_restart_sets_the_kept_listener_again(self):
        srv = self.start(foreground=False)
        self.assertEqual(silent_connection_state(srv.port), 'SYN-RECV')
        srv.write_config({'AcceptFilter': 'http none'})
        p = run_x0d(['-f', srv.conf_path, '-k', 'graceful'], timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr.decode('utf-8', 'replace'))
        self.assertTrue(wait_for(lambda: silent_connection_state(srv.port) == 'ESTAB', 10),
                        'after the restart a silent connection is still held')


if __name__ == '__main__':
    unittest.main()
