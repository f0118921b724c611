"""fluxion_got on this process's store: the Spacetime API, typed errors, merges, schemas."""

import os
import tempfile
import unittest

from fluxion_got import Dataframe, GotError, dimension, load_schema, merge, pcc_set, primarykey

_n = [0]


def app(prefix):
    _n[0] += 1
    return "%s-%d-%d" % (prefix, os.getpid(), _n[0])


@pcc_set
class Player:
    pid = primarykey(int)
    name = dimension(str)
    score = dimension(float)
    alive = dimension(bool)
    avatar = dimension(bytes)
    items = dimension(list)
    stats = dimension(dict)

    def __init__(self, pid, name="", score=0.0):
        self.pid = pid
        self.name = name
        self.score = score


@pcc_set
class Counter:
    name = primarykey(str)
    count = dimension(int)

    @merge
    def add(original, yours, theirs):
        base = original.count if original is not None else 0
        theirs.count = theirs.count + yours.count - base
        return theirs


class DataframeTest(unittest.TestCase):
    def test_objects_attach_and_changes_are_staged(self):
        df = Dataframe(app("players"), [Player])
        p = Player(1, "ada", 1.5)
        p.alive = True
        p.avatar = b"\x00\x01"
        p.items = ["sword", 3]
        p.stats = {"hp": 10}
        df.add_one(Player, p)
        df.commit()
        # The object is now tracked: writes go to the dataframe.
        p.score = 2.5
        self.assertEqual(df.read_one(Player, 1).score, 2.5)
        df.commit()
        q = df.read_one(Player, 1)
        self.assertEqual(
            (q.pid, q.name, q.score, q.alive, q.avatar, q.items, q.stats),
            (1, "ada", 2.5, True, b"\x00\x01", ["sword", 3], {"hp": 10}),
        )
        self.assertIsNone(df.read_one(Player, 2))
        df.add_many(Player, [Player(2, "bob"), Player(3, "cy")])
        self.assertEqual([x.pid for x in df.read_all(Player)], [1, 2, 3])
        df.delete_one(Player, df.read_one(Player, 2))
        df.delete_one(Player, 3)
        df.commit()
        self.assertEqual([x.pid for x in df.read_all(Player)], [1])
        self.assertTrue(repr(df.read_one(Player, 1)).startswith("Player(pid=1, name='ada'"))

    def test_versions_push_pull_and_checkout(self):
        name = app("counter")
        a = Dataframe(name, [Counter])
        b = Dataframe(name, [Counter])
        a.add_one(Counter, Counter(name="c", count=0))
        v1 = a.commit()
        a.push()
        b.pull()
        self.assertEqual(b.read_one(Counter, "c").count, 0)
        b.read_one(Counter, "c").count = 5
        b.commit()
        b.push()
        a.pull()
        self.assertEqual(a.read_one(Counter, "c").count, 5)
        self.assertNotEqual(a.version, v1)

    def test_merge_function_adds_concurrent_increments(self):
        name = app("merge")
        a = Dataframe(name, [Counter])
        a.add_one(Counter, Counter(name="c", count=10))
        a.commit()
        a.push()
        b = Dataframe(name, [Counter])
        b.pull()
        a.read_one(Counter, "c").count += 1
        a.commit()
        b.read_one(Counter, "c").count += 2
        b.commit()
        a.push()
        b.push()  # conflicts with a's push: merged by Counter.add
        a.pull()
        self.assertEqual(a.read_one(Counter, "c").count, 13)

    def test_merge_function_errors_are_raised(self):
        @pcc_set
        class Boom:
            k = primarykey(int)
            v = dimension(int)

            @merge
            def fail(original, yours, theirs):
                raise ValueError("no merge today")

        name = app("boom")
        a = Dataframe(name, [Boom])
        a.add_one(Boom, Boom(k=1, v=0))
        a.commit()
        a.push()
        b = Dataframe(name, [Boom])
        b.pull()
        a.read_one(Boom, 1).v = 1
        a.commit()
        a.push()
        b.read_one(Boom, 1).v = 2
        b.commit()
        with self.assertRaises(ValueError) as cm:
            b.fetch()
        self.assertEqual(str(cm.exception), "no merge today")

    def test_bad_input_is_a_clear_error(self):
        df = Dataframe(app("bad"), [Counter])
        with self.assertRaises(GotError) as cm:
            df.add_one(Counter, Counter(name="x", count="three"))
        self.assertEqual(cm.exception.code, "GOT_SCHEMA")
        self.assertIn('dimension "count" expects int, found str', str(cm.exception))
        df.add_one(Counter, Counter(name="x", count=1))
        with self.assertRaises(GotError) as cm:
            df.add_one(Counter, Counter(name="x", count=2))
        self.assertIn("already exists", str(cm.exception))
        with self.assertRaises(GotError) as cm:
            df.read_one(Counter, "x").name = "y"
        self.assertIn("primary key of a tracked object cannot change", str(cm.exception))
        with self.assertRaises(GotError) as cm:
            df.pull()
        self.assertEqual(cm.exception.code, "GOT_UNCOMMITTED")
        with self.assertRaises(GotError) as cm:

            @pcc_set
            class NoKey:
                v = dimension(int)

        self.assertIn("has no primary key", str(cm.exception))
        with self.assertRaises(GotError) as cm:
            dimension(set)
        self.assertEqual(cm.exception.code, "GOT_INVALID")
        with self.assertRaises(GotError) as cm:
            Dataframe(app("x"), [Counter], details=("127.0.0.1", 1))
        self.assertEqual(cm.exception.code, "GOT_NETWORK")

    def test_load_schema_builds_classes_from_a_pcc_file(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "grade.pcc")
            with open(path, "w") as f:
                f.write("class grade:\n  primary int student_id\n  int points\n  bool passed\n")
            grade = load_schema(path)["grade"]
            df = Dataframe(app("grade"), [grade])
            df.add_one(grade, grade(student_id=7, points=90, passed=True))
            df.commit()
            self.assertEqual(df.read_one(grade, 7).points, 90)
            with open(path, "w") as f:
                f.write("class grade:\n  primary int student_id\n  integer points\n")
            with self.assertRaises(GotError) as cm:
                load_schema(path)
            self.assertEqual(cm.exception.code, "GOT_IDL")
            self.assertTrue(str(cm.exception).startswith(path + ':3:3: unknown type "integer"'))


if __name__ == "__main__":
    unittest.main()
