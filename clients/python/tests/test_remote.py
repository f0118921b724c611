"""fluxion_got against a GoT server (served by a Python dataframe here; the Node server in
__test__/got-counter.test.js): pull, change, push, and concurrent increments that add up."""

import os
import threading
import time
import unittest

from fluxion_got import Dataframe, dimension, merge, pcc_set, primarykey


@pcc_set
class Counter:
    name = primarykey(str)
    count = dimension(int)

    @merge
    def add(original, yours, theirs):
        base = original.count if original is not None else 0
        theirs.count = theirs.count + yours.count - base
        return theirs


class RemoteTest(unittest.TestCase):
    def setUp(self):
        self.app = "remote-%d-%s" % (os.getpid(), self.id().rsplit(".", 1)[1])
        self.host = Dataframe(self.app, [Counter], server_port=0)
        self.host.add_one(Counter, Counter(name="c", count=0))
        self.host.commit()
        self.host.push()
        self.details = self.host.details
        self.assertEqual(self.details[0], "127.0.0.1")

    def tearDown(self):
        self.host.close()

    def test_pull_change_push(self):
        a = Dataframe(self.app, [Counter], details=self.details)
        self.assertEqual(a.read_one(Counter, "c").count, 0)  # the constructor pulls
        a.read_one(Counter, "c").count = 41
        a.add_one(Counter, Counter(name="d", count=1))
        a.commit()
        a.push()
        b = Dataframe(self.app, [Counter], details=self.details)
        self.assertEqual(b.read_one(Counter, "c").count, 41)
        self.host.pull()
        self.assertEqual(self.host.read_one(Counter, "d").count, 1)

    def test_pull_await_wakes_on_a_push(self):
        a = Dataframe(self.app, [Counter], details=self.details)
        b = Dataframe(self.app, [Counter], details=self.details)
        with self.assertRaises(TimeoutError):
            a.pull_await(timeout=0.2)

        def later():
            time.sleep(0.2)
            b.read_one(Counter, "c").count = 7
            b.commit()
            b.push()

        t = threading.Thread(target=later)
        t.start()
        a.pull_await(timeout=10)
        t.join()
        self.assertEqual(a.read_one(Counter, "c").count, 7)

    def test_concurrent_increments_add_up(self):
        threads, each = 4, 25

        def work():
            df = Dataframe(self.app, [Counter], details=self.details)
            for _ in range(each):
                df.pull()
                df.read_one(Counter, "c").count += 1
                df.commit()
                df.push()

        ts = [threading.Thread(target=work) for _ in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        check = Dataframe(self.app, [Counter], details=self.details)
        self.assertEqual(check.read_one(Counter, "c").count, threads * each)


if __name__ == "__main__":
    unittest.main()
