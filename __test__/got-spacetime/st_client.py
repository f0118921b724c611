"""An unmodified Spacetime 2.1.0 client (from PyPI) against a fluxion GoT server.

python3 st_client.py PORT APP STEP
  STEP "first": pull, read, change the counter, add objects, commit, push.
  STEP "second": pull (a fresh dataframe), report what JavaScript changed, wait for a push
  with pull_await, report again.
  STEP "node": a Spacetime Node (its own process) adds 100 to the counter.
Prints one JSON object.
"""
import json
import sys

from spacetime import Dataframe, Node

from datamodel import Counter, Player



def bump(df):
    df.read_one(Counter, "c").count += 100
    return df.read_one(Counter, "c").count


port, app, step = int(sys.argv[1]), sys.argv[2], sys.argv[3]
if step == "node":
    node = Node(bump, appname=app, dataframe=("127.0.0.1", port), Types=[Counter, Player])
    print(json.dumps({"node_returned": node.start()}), flush=True)
    sys.exit(0)
df = Dataframe(app, [Counter, Player], details=("127.0.0.1", port))  # pulls
out = {}
if step == "first":
    c = df.read_one(Counter, "c")
    out["pulled_count"] = c.count
    c.count += 10
    df.add_one(Counter, Counter("py", 7))
    df.add_one(Player, Player(1, "ada", 2.5, True, ["sword", 3]))
    df.commit()
    df.push()
    out["pushed"] = True
else:
    out["count"] = df.read_one(Counter, "c").count
    out["py_exists"] = df.read_one(Counter, "py") is not None
    p = df.read_one(Player, 1)
    out["player"] = [p.nick, p.score, p.alive, p.items]
    print(json.dumps(out), flush=True)
    sys.stdin.readline()  # JavaScript pushes again, then writes a line
    df.pull_await(timeout=10)
    out = {"count_after_wait": df.read_one(Counter, "c").count}
print(json.dumps(out), flush=True)
