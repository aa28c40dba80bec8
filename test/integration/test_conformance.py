"""RFC 9110/9112 conformance over raw sockets: one test per case of
conformance_cases.py (framing, smuggling, bodies, Range, conditionals,
HEAD/204/304, pipelining with bodies), each naming the requirement it checks.

When nginx is installed, test_zz_nginx_report runs the same cases against an
nginx started from a temporary config and prints where the two differ (see
compare_nginx.py).  That comparison is a report: it never fails.
"""

import sys
import unittest

from x0test import ServerTestCase
import compare_nginx
import conformance_cases as cc


class ConformanceTest(ServerTestCase):
    directives = compare_nginx.X0_DIRECTIVES
    extra = compare_nginx.ECHO_LOCATION
    files = cc.FILES
    subst = None
    results = {}

    @classmethod
    def prepare(cls, server):
        compare_nginx.prepare_docroot(server)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.results = {}

    @classmethod
    def tearDownClass(cls):
        if cls.results:
            lines = ['', 'conformance cases on x0d, per group (passed/run):']
            for g in cc.GROUPS:
                run = [ok for c, ok in cls.results.items() if c.group == g]
                if run:
                    lines.append('  %-14s %3d/%d' % (g, sum(run), len(run)))
            lines.append('  %-14s %3d/%d' % ('total', sum(cls.results.values()),
                                            len(cls.results)))
            print('\n'.join(lines))
        super().tearDownClass()

    def substitutions(self):
        if ConformanceTest.subst is None:
            ConformanceTest.subst = compare_nginx.probe(self.port)
        return ConformanceTest.subst

    def check_case(self, case):
        res = compare_nginx.run_case(self.port, case, self.substitutions(), rfc=False)
        ConformanceTest.results[case] = res.ok
        if not res.ok:
            self.fail('\n%s\n  got  %s\n  %s' % (compare_nginx.describe(case), res.summary,
                                                '\n  '.join(res.outcome.problems)))

    def test_zz_nginx_report(self):
        if not compare_nginx.nginx_binary():
            self.skipTest('nginx is not installed')
        try:
            x0_results, ng_results, version = compare_nginx.compare(self.port,
                                                                    self.server.root)
        except RuntimeError as e:
            self.skipTest('nginx did not start: %s' % e)
        sys.stdout.write('\n--- x0d vs nginx (a report, not a test) ---\n')
        sys.stdout.write(compare_nginx.report(x0_results, ng_results, version))
        sys.stdout.flush()


def _add_tests():
    for case in cc.CASES:
        def test(self, case=case):
            self.check_case(case)
        test.__doc__ = '%s [RFC %s] %s' % (case.id, case.ref, case.req)
        setattr(ConformanceTest, 'test_%s__%s' % (case.group, case.name), test)


_add_tests()

if __name__ == '__main__':
    unittest.main(verbosity=1)
