"""One Python process of the cross-language counter: `python3 py_counter.py PORT APP N`."""
import json
import sys
import time

from fluxion_got import Dataframe, dimension, merge, pcc_set, primarykey


@pcc_set
class Counter:
    name = primarykey(str)
    count = dimension(int)

    @merge
    def add(original, yours, theirs):
        theirs.count = theirs.count + yours.count - (original.count if original else 0)
        return theirs


port, app, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
df = Dataframe(app, [Counter], details=("127.0.0.1", port))
t0 = time.perf_counter()
for _ in range(n):
    df.pull()
    df.read_one(Counter, "countDocument").count += 1
    df.commit()
    df.push()
print(json.dumps({"ms": (time.perf_counter() - t0) * 1000}))
