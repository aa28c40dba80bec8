"""mod_status: `SetHandler server-status` with two workers. Requests are
counted exactly, ?auto parses with httpd's `Key: value` lines, ?json with
python's json, ?prometheus as OpenMetrics text; the HTML page lists a
request held in flight; an idle keep-alive connection counts as idle; the
counters survive a graceful restart (skipped when x0d has no -k graceful).

How requests are counted: a request counts when its pool is destroyed,
after its last byte is written; so a status response counts every status
request before it, not itself."""

import json
import os
import re
import signal
import socket
import subprocess
import time
import unittest

import x0test
from x0test import ServerTestCase

MODULES = tuple(dict.fromkeys(x0test.SHIPPED_MODULES + ('status',)))
# Far more than the socket buffers of a client that reads nothing hold.
BIG = b'b' * (32 << 20)

CONFIG = '''
<Location /server-status>
    SetHandler server-status
    Require ip 127.0.0.1
</Location>
<Location /echo>
    SetHandler echo
</Location>
'''

DEADLINE = 10


def wait_for(what, check, timeout=DEADLINE):
    """Call @check until it returns something true; fail after @timeout."""
    give_up = time.time() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.time() > give_up:
            raise AssertionError('timed out waiting for ' + what)
        time.sleep(0.05)


def parse_auto(body):
    lines = body.decode().splitlines()
    fields = {}
    for line in lines[1:]:  # the first is the server's name, as httpd's
        key, sep, value = line.partition(': ')
        assert sep, 'not a Key: value line: %r' % line
        fields[key] = value
    return fields


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


def parse_openmetrics(text):
    """{(name, labels): value}; asserts the OpenMetrics shape."""
    lines = text.split('\n')
    assert lines[-1] == '' and lines[-2] == '# EOF', 'no # EOF at the end'
    types, samples = {}, {}
    for line in lines[:-2]:
        if line.startswith('# TYPE '):
            _, _, name, kind = line.split(' ', 3)
            types[name] = kind
            continue
        if line.startswith('# HELP '):
            continue
        assert not line.startswith('#'), 'unknown comment %r' % line
        m = SAMPLE.match(line)
        assert m, 'not a sample: %r' % line
        name, labels, value = m.groups()
        family = name[:-6] if name.endswith('_total') and name[:-6] in types else name
        assert family in types, 'no # TYPE for %s' % name
        if name.endswith('_total'):
            assert types[family] == 'counter', name
        samples[(name, labels or '')] = float(value)
    return types, samples


def has_graceful():
    out = subprocess.run([x0test.x0d_binary(), '-h'], capture_output=True, text=True)
    return 'graceful' in out.stdout + out.stderr


class StatusCase(ServerTestCase):
    directives = {'LoadModule': x0test.load_module_lines(MODULES), 'Workers': '2'}
    extra = CONFIG
    files = {'index.html': b'<p>hi</p>\n', 'big.bin': BIG}
    foreground = False  # a master with two workers, not -X

    def status(self, query=''):
        # Connection: close, so that the status requests' own connections
        # are never counted as idle keep-alive ones.
        r = self.get('/server-status' + ('?' + query if query else ''),
                     headers={'Connection': 'close'})
        self.assertEqual(200, r.status)
        self.assertEqual('no-store', r.header('Cache-Control'))
        return r

    def auto(self):
        return parse_auto(self.status('auto').body)

    def json(self):
        return json.loads(self.status('json').body)

    def test_requests_are_counted_exactly(self):
        base = int(self.auto()['Total Accesses'])
        n = 25
        with self.conn() as c:
            for _ in range(n):
                c.request('GET', '/')
                self.assertEqual(200, c.read_response().status)
        for _ in range(5):
            self.assertEqual(200, self.get('/index.html').status)
        # Counted after their last byte went out, possibly by the other
        # worker a moment later: wait for the exact figure, never above it.
        polls = [0]

        def counted():
            polls[0] += 1
            total = int(self.auto()['Total Accesses'])
            # The first status request, the N + 5 and every poll before this one.
            expected = base + 1 + n + 5 + polls[0] - 1
            self.assertLessEqual(total, expected)
            return total == expected
        wait_for('Total Accesses to reach the requests made', counted)

    def test_auto_has_httpds_keys(self):
        fields = self.auto()
        for key in ('Total Accesses', 'Total kBytes', 'Uptime', 'ReqPerSec', 'BytesPerSec',
                    'BusyWorkers', 'IdleWorkers', 'ConnsTotal', 'ConnsAsyncKeepAlive',
                    'ConnsAsyncWriting', 'ConnsAsyncClosing', 'Scoreboard',
                    'ParentServerConfigGeneration', 'ServerUptimeSeconds'):
            self.assertIn(key, fields)
        self.assertEqual('2', fields['Processes'])
        # This request is in flight on one of them.
        self.assertGreaterEqual(int(fields['BusyWorkers']), 1)
        self.assertEqual(2, int(fields['BusyWorkers']) + int(fields['IdleWorkers']))
        float(fields['ReqPerSec'])
        float(fields['BytesPerSec'])
        self.assertEqual(2, len(fields['Scoreboard'].replace('.', '')))

    def test_json_parses(self):
        # A tag of its own: the row of an earlier test's status request may
        # still be there, on the other worker, until that worker ends it.
        doc = json.loads(self.status('json&probe=json_parses').body)
        held = [w for w in doc['workers'] if w['pid']]
        self.assertEqual(2, len(held))
        for w in held:
            self.assertTrue(x0test.process_alive(w['pid']))
            self.assertEqual(doc['generation'], w['generation'])
            # ASan's and valgrind's malloc leave mallinfo2 at 0.
            if not x0test.sanitized_binary() and not x0test.WRAPPER:
                self.assertGreater(w['memory']['heap_bytes'], 0)
            self.assertGreater(w['memory']['worker_pool_bytes'], 0)
        mine = [q for q in doc['requests']
                if q['request'] == 'GET /server-status?json&probe=json_parses HTTP/1.1']
        self.assertEqual(1, len(mine))
        self.assertEqual('127.0.0.1', mine[0]['client'])

    def test_prometheus_parses(self):
        r = self.status('prometheus')
        self.assertTrue(r.header('Content-Type').startswith('application/openmetrics-text'))
        types, samples = parse_openmetrics(r.body.decode())
        self.assertEqual('counter', types['x0_requests'])
        self.assertEqual('counter', types['x0_sent_bytes'])
        requests = sum(v for (name, _), v in samples.items() if name == 'x0_requests_total')
        self.assertGreaterEqual(requests, 1)
        workers = [k for k in samples if k[0] == 'x0_worker_info']
        self.assertEqual(2, len(workers))

    def test_html_lists_a_request_in_flight(self):
        with self.conn() as c:
            # A body that never comes whole: the echo handler waits for it.
            c.send(b'POST /echo?held-open HTTP/1.1\r\nHost: held.example\r\n'
                   b'Content-Length: 100000\r\n\r\n' + b'x' * 10)

            def listed():
                page = self.status().body.decode()
                return 'POST /echo?held-open HTTP/1.1' in page and page
            page = wait_for('the held request on the page', listed)
            self.assertIn('<td>held.example</td>', page)
            q = [q for q in self.json()['requests'] if q['vhost'] == 'held.example'][0]
            self.assertEqual('handler', q['state'])
            self.assertEqual('127.0.0.1', q['client'])
            self.assertGreaterEqual(q['age_seconds'], 0)
        wait_for('the held request to leave', lambda: not [
            q for q in self.json()['requests'] if q['vhost'] == 'held.example'])

    def test_a_response_in_flight_shows_its_bytes(self):
        with self.conn(rcvbuf=4096) as c:
            c.request('GET', '/big.bin')   # and nothing read: the response stalls

            def sending():
                rows = [q for q in self.json()['requests']
                        if q['request'] == 'GET /big.bin HTTP/1.1' and q['sent_bytes'] > 0]
                return rows and rows[0]
            row = wait_for('the download\'s bytes so far on the status page', sending)
            self.assertLess(row['sent_bytes'], len(BIG))

    def test_an_idle_keep_alive_connection_counts_as_idle(self):
        def idle():
            return self.json()['connections']['idle']
        # Other tests' connections close when the server reads their EOF.
        wait_for('no idle connection', lambda: idle() == 0)
        with self.conn() as c:
            c.request('GET', '/')
            self.assertEqual(200, c.read_response().status)
            wait_for('the idle connection', lambda: idle() == 1)
        wait_for('the idle connection to go', lambda: idle() == 0)

    def test_counters_survive_a_graceful_restart(self):
        if not has_graceful():
            self.skipTest('x0d has no -k graceful (SIGUSR1) yet')
        for _ in range(3):
            self.get('/index.html')
        before = self.json()
        os.kill(self.server.pid, signal.SIGUSR1)

        def restarted():
            doc = self.json()
            return doc['generation'] == before['generation'] + 1 and doc
        after = wait_for('the next generation', restarted)
        self.assertGreater(after['requests_total'], before['requests_total'])
        self.assertEqual(before['started_unix'], after['started_unix'])
        self.assertGreaterEqual(after['uptime_seconds'], before['uptime_seconds'])
        wait_for('the new generation alone', lambda: sorted(
            w['generation'] for w in self.json()['workers'] if w['pid'])
            == [after['generation']] * 2)


if __name__ == '__main__':
    unittest.main()
