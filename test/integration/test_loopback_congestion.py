#!/usr/bin/env python3
"""LoopbackCongestionControl: the congestion control of x0's side of a
connection from this host.

`ss -ti` names each socket's algorithm; x0's side of a connection is the
socket whose source port is the server's and whose peer port is the
client's. The default is reno (no pacing, see docs/performance.md); `system`
leaves the kernel's default; a name the kernel does not have is a
configuration error with FILE:LINE (test_directives.py). (A listener on all addresses sets it per
connection instead; the tests do not bind beyond 127.0.0.1.)
"""

import os
import socket
import subprocess
import unittest

from x0test import DirectiveTestCase, run_x0d, wait_for


def sysctl(name):
    with open('/proc/sys/net/ipv4/' + name) as f:
        return f.read().split()


def other_algorithm():
    """An algorithm besides reno this process may give a socket, or None."""
    usable = sysctl('tcp_available_congestion_control' if os.geteuid() == 0
                    else 'tcp_allowed_congestion_control')
    return next((a for a in usable if a != 'reno'), None)


def server_side_algorithm(port):
    """Make a request on a new connection; the algorithm of x0's end of it."""
    with socket.create_connection(('127.0.0.1', port), 5) as s:
        s.sendall(b'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n')
        if not s.recv(4096).startswith(b'HTTP/1.1 200'):
            raise AssertionError('no 200 from x0d')
        # Answered: the worker has accepted the connection and set it up.
        ss = subprocess.run(['ss', '-tinH', 'state', 'established',
                             '( sport = :%d and dport = :%d )' % (port, s.getsockname()[1])],
                            capture_output=True, text=True, timeout=10)
    lines = ss.stdout.strip().split('\n')
    if ss.returncode != 0 or len(lines) != 2:
        raise AssertionError('ss: exit %d, expected one socket with its details:\n%s%s'
                             % (ss.returncode, ss.stdout, ss.stderr))
    return lines[1].split()[0]


class LoopbackCongestionTest(DirectiveTestCase):
    directive = 'LoopbackCongestionControl'
    files = {'index.html': b'hello\n'}
    needs_ss = True

    def test_default_is_reno(self):
        srv = self.start()
        self.assertEqual(server_side_algorithm(srv.port), 'reno')

    def test_system_keeps_the_kernel_default(self):
        srv = self.start('system')
        self.assertEqual(server_side_algorithm(srv.port), sysctl('tcp_congestion_control')[0])

    def test_named_algorithm(self):
        other = other_algorithm()
        if not other:
            self.skipTest('the kernel offers no algorithm but reno here')
        srv = self.start(other)
        self.assertEqual(server_side_algorithm(srv.port), other)

    def test_graceful_restart_sets_the_kept_listener_again(self):
        # The listener survives the restart: the new setting must reach it.
        other = other_algorithm()
        if not other:
            self.skipTest('the kernel offers no algorithm but reno here')
        srv = self.start(foreground=False)
        self.assertEqual(server_side_algorithm(srv.port), 'reno')
        srv.write_config({'LoopbackCongestionControl': other})
        p = run_x0d(['-f', srv.conf_path, '-k', 'graceful'], timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr.decode('utf-8', 'replace'))
        self.assertTrue(wait_for(lambda: server_side_algorithm(srv.port) == other, 10),
                        'new connections after the restart still get %s'
                        % server_side_algorithm(srv.port))


if __name__ == '__main__':
    unittest.main()
