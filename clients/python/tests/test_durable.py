"""fluxion_got with data_dir: a local dataframe's versions and a server's apps outlive their
process, a server killed with SIGKILL comes back with every acknowledged push, and data_dir
is refused where it cannot apply. Each process that keeps a directory is a child process here
(a directory is used by one process at a time, until that process exits)."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

from fluxion_got import Dataframe, GotError, dimension, pcc_set, primarykey


@pcc_set
class Counter:
    name = primarykey(str)
    count = dimension(int)


PRELUDE = r"""
import sys
from fluxion_got import Dataframe, dimension, pcc_set, primarykey

@pcc_set
class Counter:
    name = primarykey(str)
    count = dimension(int)
"""

# argv: app, data_dir, then "name=count" pairs to set and push one by one.
WRITE = PRELUDE + r"""
df = Dataframe(sys.argv[1], [Counter], data_dir=sys.argv[2])
for pair in sys.argv[3:]:
    name, count = pair.split("=")
    c = df.read_one(Counter, name)
    if c is None:
        df.add_one(Counter, Counter(name=name, count=int(count)))
    else:
        c.count = int(count)
    df.commit()
    df.push()
"""

# argv: app, data_dir. Prints the app's counters, sorted.
READ = PRELUDE + r"""
df = Dataframe(sys.argv[1], [Counter], data_dir=sys.argv[2])
df.pull()
print(sorted((c.name, c.count) for c in df.read_all(Counter)))
"""

# argv: app, data_dir. Serves with the directory, prints the port, serves until killed.
SERVE = PRELUDE + r"""
df = Dataframe(sys.argv[1], [Counter], server_port=0, data_dir=sys.argv[2])
print(df.details[1], flush=True)
sys.stdin.read()
"""


def run(script, *args):
    r = subprocess.run(
        [sys.executable, "-c", script] + list(args), capture_output=True, text=True, timeout=60
    )
    if r.returncode != 0:
        raise AssertionError("child failed (%d): %s" % (r.returncode, r.stderr))
    return r.stdout.strip()


class DurableTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="fluxion-got-py-durable-")
        self.app = "durable-%d-%s" % (os.getpid(), self.id().rsplit(".", 1)[1])

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_a_local_dataframe_outlives_its_process(self):
        run(WRITE, self.app, self.dir, "a=1", "b=2", "a=3")
        self.assertTrue(os.path.exists(os.path.join(self.dir, "got.redb")))
        self.assertEqual(run(READ, self.app, self.dir), "[('a', 3), ('b', 2)]")
        # Later pushes build on the restored head.
        run(WRITE, self.app, self.dir, "c=4")
        self.assertEqual(run(READ, self.app, self.dir), "[('a', 3), ('b', 2), ('c', 4)]")

    def serve(self):
        p = subprocess.Popen(
            [sys.executable, "-c", SERVE, self.app, self.dir],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = p.stdout.readline()
        if not line:
            p.kill()
            raise AssertionError("server failed: %s" % p.stderr.read())
        return p, int(line)

    @staticmethod
    def stop(server, kill):
        if kill:
            server.send_signal(signal.SIGKILL)
        server.stdin.close()
        server.wait(timeout=30)
        server.stdout.close()
        server.stderr.close()

    def test_a_server_killed_with_sigkill_keeps_every_acknowledged_push(self):
        server, port = self.serve()
        try:
            a = Dataframe(self.app, [Counter], details=("127.0.0.1", port))
            for i in range(50):
                a.add_one(Counter, Counter(name="k%d" % i, count=i))
                a.commit()
                a.push()  # returns once the server has it on disk
        finally:
            self.stop(server, kill=True)
        server, port = self.serve()
        try:
            b = Dataframe(self.app, [Counter], details=("127.0.0.1", port))
            self.assertEqual(
                sorted((c.name, c.count) for c in b.read_all(Counter)),
                sorted(("k%d" % i, i) for i in range(50)),
            )
        finally:
            self.stop(server, kill=False)

    def test_data_dir_is_refused_where_it_cannot_apply(self):
        with self.assertRaises(GotError) as e:
            Dataframe(self.app, [Counter], details=("127.0.0.1", 9), data_dir=self.dir)
        self.assertEqual(e.exception.code, "GOT_INVALID")
        with self.assertRaises(GotError) as e:
            Dataframe(self.app, [Counter], data_dir="")
        self.assertEqual(e.exception.code, "GOT_INVALID")
        blocker = os.path.join(self.dir, "a-file")
        open(blocker, "w").close()
        with self.assertRaises(GotError) as e:
            Dataframe(self.app, [Counter], data_dir=blocker)
        self.assertEqual(e.exception.code, "GOT_DATA_DIR")
        self.assertIn(blocker, str(e.exception))


if __name__ == "__main__":
    unittest.main()
