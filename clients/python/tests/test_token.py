"""The GoT token from Python: a server started with a token refuses clients that do not
present it (status 401, saying so), serves those that do, and FLUXION_GOT_TOKEN is the
default on both sides, as in fluxion's Node dataframes and servers."""

import os
import unittest
from unittest import mock

from fluxion_got import Dataframe, GotError, dimension, pcc_set, primarykey

TOKEN = "py-token-0123456789abcdef"


@pcc_set
class Note:
    name = primarykey(str)
    text = dimension(str)


class TokenTest(unittest.TestCase):
    def setUp(self):
        self.app = "token-%d-%s" % (os.getpid(), self.id().rsplit(".", 1)[1])

    def serve(self, **kw):
        host = Dataframe(self.app, [Note], server_port=0, **kw)
        self.addCleanup(host.close)
        host.add_one(Note, Note(name="a", text="served"))
        host.commit()
        host.push()
        return host

    def assert_refused(self, details, **kw):
        with self.assertRaises(GotError) as cm:
            Dataframe(self.app, [Note], details=details, **kw)
        self.assertEqual(cm.exception.code, "GOT_STATUS_401")
        self.assertIn("requires its token", str(cm.exception))

    def test_without_the_token_refused_with_it_served(self):
        with mock.patch.dict(os.environ, {"FLUXION_GOT_TOKEN": ""}):
            host = self.serve(token=TOKEN)
            self.assert_refused(host.details)
            self.assert_refused(host.details, token="not-the-token-0123456789")
            c = Dataframe(self.app, [Note], details=host.details, token=TOKEN)
            self.assertEqual(c.read_one(Note, "a").text, "served")
            c.read_one(Note, "a").text = "written"
            c.commit()
            c.push()
            host.pull()
            self.assertEqual(host.read_one(Note, "a").text, "written")

    def test_token_defaults_to_FLUXION_GOT_TOKEN(self):
        with mock.patch.dict(os.environ, {"FLUXION_GOT_TOKEN": TOKEN}):
            host = self.serve()
            c = Dataframe(self.app, [Note], details=host.details)
            self.assertEqual(c.read_one(Note, "a").text, "served")
            # token=None: no token even though the variable is set.
            self.assert_refused(host.details, token=None)

    def test_a_malformed_token_is_named(self):
        with self.assertRaises(GotError) as cm:
            Dataframe(self.app, [Note], details=("127.0.0.1", 1), token="short")
        self.assertEqual(cm.exception.code, "GOT_INVALID")
        self.assertIn("16 to 256 characters", str(cm.exception))
        with self.assertRaises(GotError) as cm:
            Dataframe(self.app, [Note], server_port=0, token="has spaces in it, 0123456789")
        self.assertIn("A-Z a-z 0-9", str(cm.exception))
        with self.assertRaises(GotError) as cm:
            Dataframe(self.app, [Note], details=("127.0.0.1", 1), token=12345)
        self.assertIn("token must be a string", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
