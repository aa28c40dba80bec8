"""Master + worker processes (no -X): respawn and shutdown."""

import os
import signal
import socket
import time
import unittest

import x0test
from x0test import Server, wait_for

INDEX = b'<html>workers index</html>\n'




class WorkersTest(unittest.TestCase):

    def setUp(self):
        self.srv = Server({'Workers': '2'}, files={'index.html': INDEX}, foreground=False)
        self.srv.start()
        self.addCleanup(self.srv.cleanup)
        self.seen = set()
        self.sent_sigterm = False

    def tearDown(self):
        if x0test.test_failed(self):
            print('\n' + self.srv.logs())
        note = x0test.end_stray_workers(self.seen, self.srv.stop(expect_exited=self.sent_sigterm))
        if note:
            self.fail(note + '\n' + self.srv.logs())

    def workers(self):
        ws = x0test.children_of(self.srv.pid)
        self.seen.update(ws)
        return ws

    def two_workers(self):
        ws = wait_for(lambda: len(self.workers()) == 2 and self.workers(), 5)
        self.assertTrue(ws, 'expected 2 worker children of master %d, have %r\n%s'
                        % (self.srv.pid, self.workers(), self.srv.logs()))
        return ws

    def serve(self, n=20):
        for i in range(n):
            r = x0test.fetch(self.srv.port, '/index.html')
            self.assertEqual((r.status, r.body), (200, INDEX), 'request %d' % i)

    def test_master_and_workers(self):
        ws = self.two_workers()
        self.assertTrue(self.srv.alive(), 'the master left the foreground')
        self.assertNotIn(self.srv.pid, ws)
        with open(self.srv.pid_file) as f:
            self.assertEqual(f.read().strip(), str(self.srv.pid), 'PidFile is not the master')
        self.serve()

    def test_concurrent_connections(self):
        self.two_workers()
        conns = [x0test.Conn(self.srv.port) for _ in range(20)]
        try:
            for c in conns:
                c.request('GET', '/index.html')
            for c in conns:
                self.assertEqual(c.read_response().body, INDEX)
        finally:
            for c in conns:
                c.close()

    def test_respawn(self):
        ws = self.two_workers()
        victim = ws[0]
        os.kill(victim, signal.SIGKILL)
        new = wait_for(lambda: (lambda w: len(w) == 2 and victim not in w and w)(self.workers()), 5)
        self.assertTrue(new, 'no replacement for killed worker %d within 5 s: children %r\n%s'
                        % (victim, self.workers(), self.srv.logs()))
        self.assertIn(ws[1], new, 'the surviving worker changed too')
        self.assertTrue(self.srv.alive(), 'master died when a worker was killed')
        self.serve()

    def test_sigterm_stops_all(self):
        ws = self.two_workers()
        self.serve(2)
        start = time.monotonic()
        self.sent_sigterm = True
        self.srv.proc.send_signal(signal.SIGTERM)
        try:
            self.srv.proc.wait(5)
        except Exception:
            self.fail('master still running 5 s after SIGTERM')
        left = wait_for(lambda: not any(x0test.process_alive(w) for w in ws), 5 - (time.monotonic() - start))
        self.assertTrue(left, 'workers %r still alive after SIGTERM to the master'
                        % [w for w in ws if x0test.process_alive(w)])
        self.assertFalse(os.path.exists(self.srv.pid_file), 'PidFile left behind')
        # the port is free again
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(('127.0.0.1', self.srv.port))
        finally:
            s.close()


if __name__ == '__main__':
    unittest.main()
