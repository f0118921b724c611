"""The types of the Spacetime 2.1 interoperability test, as a Spacetime user writes them
(rtypes names a type "<module>.<class>": here datamodel.Counter, datamodel.Player)."""
from rtypes import dimension, pcc_set, primarykey


@pcc_set
class Counter(object):
    name = primarykey(str)
    count = dimension(int)

    def __init__(self, name, count):
        self.name = name
        self.count = count


@pcc_set
class Player(object):
    pid = primarykey(int)
    nick = dimension(str)
    score = dimension(float)
    alive = dimension(bool)
    items = dimension(list)

    def __init__(self, pid, nick, score, alive, items):
        self.pid = pid
        self.nick = nick
        self.score = score
        self.alive = alive
        self.items = items
