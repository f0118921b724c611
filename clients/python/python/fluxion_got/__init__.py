"""GoT ("Git for objects") dataframes for Python, on fluxion's Rust core.

The API is Spacetime 2.x's (``from spacetime import Dataframe`` / ``from rtypes import
pcc_set, primarykey, dimension, merge``), so a Spacetime program switches by changing its
imports::

    from fluxion_got import Dataframe, pcc_set, primarykey, dimension, merge

    @pcc_set
    class Counter:
        name = primarykey(str)
        count = dimension(int)

        @merge
        def add(original, yours, theirs):
            theirs.count = theirs.count + yours.count - original.count
            return theirs

    df = Dataframe("GotCounter", [Counter], details=("127.0.0.1", 5000))
    df.pull()
    c = df.read_one(Counter, "countDocument")
    c.count += 1          # staged in the dataframe
    df.commit()
    df.push()

Diffs, 3-way merges, version graphs and the protocol client are the same Rust code
(``crates/versions``, ``crates/got-protocol``) that fluxion's Node dataframes and server run,
reached through a PyO3 binding: a merge behaves the same in every language.
"""

import os

from . import _core
from ._core import GotError

__all__ = [
    "Dataframe",
    "GotError",
    "dimension",
    "merge",
    "pcc_set",
    "primarykey",
    "load_schema",
]

_KINDS = {
    int: "int",
    float: "float",
    str: "str",
    bool: "bool",
    bytes: "bytes",
    list: "list",
    tuple: "list",
    dict: "map",
    object: "any",
}
_KIND_NAMES = {"int", "float", "str", "bool", "bytes", "list", "map", "any"}


# The default of ``token``: read FLUXION_GOT_TOKEN (None must stay expressible: no token).
_FROM_ENV = object()


def _error(code, message):
    e = GotError(message)
    e.code = code
    return e


def _kind(dim_type):
    if isinstance(dim_type, str) and dim_type in _KIND_NAMES:
        return dim_type
    try:
        return _KINDS[dim_type]
    except (KeyError, TypeError):
        pass
    if getattr(dim_type, "__r_meta__", None) is not None:
        # A reference to another class: stored as that object's key (Spacetime's foreign key).
        return dim_type.__r_meta__.key_kind
    raise _error(
        "GOT_INVALID",
        "unsupported dimension type %r (use int, float, str, bool, bytes, list, dict, object)"
        % (dim_type,),
    )


class Dimension(object):
    """A tracked attribute of a ``@pcc_set`` class (``dimension(int)``, ``primarykey(str)``)."""

    def __init__(self, dim_type, is_primary):
        self.dim_type = dim_type
        self.kind = _kind(dim_type)
        self.is_primary = is_primary
        self.name = None
        self.owner = None

    def __set_name__(self, owner, name):
        self.name = name
        self.owner = owner

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        state = obj.__dict__
        if self.is_primary:
            return state.get("__r_oid__")
        df = state.get("__r_df__")
        if df is not None:
            return df._core.read_dim(owner.__r_meta__.name, state["__r_oid__"], self.name)
        return state.setdefault("__r_values__", {}).get(self.name)

    def __set__(self, obj, value):
        state = obj.__dict__
        df = state.get("__r_df__")
        if self.is_primary:
            if df is not None and value != state.get("__r_oid__"):
                raise _error(
                    "GOT_SCHEMA",
                    "%s %r: the primary key of a tracked object cannot change"
                    % (type(obj).__r_meta__.name, state.get("__r_oid__")),
                )
            state["__r_oid__"] = value
        elif df is not None:
            df._core.update_one(type(obj).__r_meta__.name, state["__r_oid__"], {self.name: value})
        else:
            state.setdefault("__r_values__", {})[self.name] = value


def dimension(dim_type):
    """A tracked dimension of kind ``dim_type``: int, float, str, bool, bytes, list, dict,
    object (any), or a kind name ("map", ...)."""
    return Dimension(dim_type, False)


def primarykey(dim_type):
    """The primary key: int or str."""
    return Dimension(dim_type, True)


class MergeFunction(object):
    """``@merge``: the class's merge function ``(original, yours, theirs) -> object | None``."""

    def __init__(self, func):
        self.func = func

    def __call__(self, original, yours, theirs):
        return self.func(original, yours, theirs)


def merge(func):
    return MergeFunction(func)


class Metadata(object):
    def __init__(self, cls, name, key, dims, merge_func):
        self.cls = cls
        self.name = name
        self.key = key
        #: dimension name -> kind, in declaration order (the key included).
        self.dims = dims
        self.dimmap = {n: getattr(cls, n) for n in dims}
        self.merge = merge_func
        self.key_kind = dims[key]

    def type_def(self):
        return (self.name, self.key, list(self.dims.items()))


def pcc_set(cls):
    """Declares a class of tracked objects (Spacetime's ``@pcc_set``)."""
    dims = {}
    key = None
    merge_func = None
    for klass in reversed(cls.__mro__):
        for attr, value in vars(klass).items():
            if isinstance(value, Dimension):
                if value.name is None:
                    value.__set_name__(klass, attr)
                dims[attr] = value.kind
                if value.is_primary:
                    if key is not None and key != attr:
                        raise _error(
                            "GOT_SCHEMA",
                            "class %s has two primary keys: %s and %s" % (cls.__name__, key, attr),
                        )
                    key = attr
            elif isinstance(value, MergeFunction):
                merge_func = value
    if key is None:
        raise _error(
            "GOT_SCHEMA", "class %s has no primary key (declare one with primarykey(int|str))" % cls.__name__
        )
    if dims[key] not in ("int", "str"):
        raise _error("GOT_SCHEMA", "class %s: the primary key must be int or str" % cls.__name__)
    cls.__r_meta__ = Metadata(cls, cls.__name__, key, dims, merge_func)
    if "__init__" not in vars(cls):

        def __init__(self, **values):
            for name, value in values.items():
                if name not in dims:
                    raise TypeError("%s has no dimension %r" % (cls.__name__, name))
                setattr(self, name, value)

        cls.__init__ = __init__
    if "__repr__" not in vars(cls):
        cls.__repr__ = lambda self: "%s(%s)" % (
            cls.__name__,
            ", ".join("%s=%r" % (n, getattr(self, n)) for n in dims),
        )
    if "__eq__" not in vars(cls):
        cls.__eq__ = lambda self, other: type(other) is type(self) and _to_dict(self) == _to_dict(other)
        cls.__hash__ = None
    return cls


def _to_dict(obj):
    meta = type(obj).__r_meta__
    return {name: getattr(obj, name) for name in meta.dims}


def _detached(cls, values):
    """An object not attached to a dataframe, holding `values` (a merge argument)."""
    obj = cls.__new__(cls)
    meta = cls.__r_meta__
    obj.__dict__["__r_oid__"] = values.get(meta.key)
    obj.__dict__["__r_values__"] = {k: v for k, v in values.items() if k != meta.key}
    return obj


def _attached(cls, df, oid):
    obj = cls.__new__(cls)
    obj.__dict__["__r_oid__"] = oid
    obj.__dict__["__r_df__"] = df
    return obj


def _type_name(dtype):
    meta = getattr(dtype, "__r_meta__", None)
    if meta is None:
        raise _error("GOT_INVALID", "%r is not a @pcc_set class" % (dtype,))
    return meta.name


class Dataframe(object):
    """A local working copy of typed objects with its own version history.

    ``details=(host, port)``: the dataframe mirrors the app of that GoT server (a fluxion
    server, Node or Python). Without details it works on this process's store, which
    ``server_port`` serves to others (0 picks a free port; see ``details``).

    ``token``: the server's token (16 to 256 characters of A-Z a-z 0-9 - . _ ~). With
    ``details`` it is presented to the server; with ``server_port`` clients must present it.
    Omitted, it is the ``FLUXION_GOT_TOKEN`` environment variable (as in fluxion's Node
    dataframes and servers); ``token=None`` means no token even when that variable is set.

    ``data_dir`` (without ``details``): the app's version graph is kept in that directory, as
    ``new Dataframe(name, types, { dataDir })`` and ``serve({ dataDir })`` keep it in Node
    (docs/durability.md): a push returns once it is on disk, and a later process (after a
    crash, too) finds every pushed version. With ``server_port``, the server keeps there every
    app of the process, restores those stored there, and so does a restarted server. One
    process at a time uses a directory.
    """

    def __init__(
        self,
        appname,
        types,
        details=None,
        server_port=None,
        timeout=30.0,
        host="127.0.0.1",
        token=_FROM_ENV,
        data_dir=None,
    ):
        if token is _FROM_ENV:
            token = os.environ.get("FLUXION_GOT_TOKEN") or None
        elif token is not None and not isinstance(token, str):
            raise _error("GOT_INVALID", "token must be a string or None, got %r" % (type(token).__name__,))
        self.appname = appname
        self.types = list(types)
        self.type_map = {_type_name(t): t for t in self.types}
        merges = any(t.__r_meta__.merge is not None for t in self.types)
        host_port = (None, None)
        if details is not None:
            if isinstance(details, int):
                details = ("127.0.0.1", details)
            host_port = (str(details[0]), int(details[1]))
        self._core = _core.Dataframe(
            appname,
            [t.__r_meta__.type_def() for t in self.types],
            host_port[0],
            host_port[1],
            self._merge if merges else None,
            timeout,
            token if details is not None else None,
            None if data_dir is None else os.fspath(data_dir),
        )
        self._serving = None
        if server_port is not None:
            if details is not None:
                raise _error("GOT_INVALID", "a dataframe with details cannot also serve (server_port)")
            self._serving = (
                host,
                self._core.serve(host, int(server_port), token, None if data_dir is None else os.fspath(data_dir)),
            )
        if details is not None:
            self.pull()

    def _merge(self, type_name, original, yours, theirs):
        cls = self.type_map[type_name]
        func = cls.__r_meta__.merge
        if func is None:
            return NotImplemented
        wrap = lambda d: None if d is None else _detached(cls, d)
        out = func(wrap(original), wrap(yours), wrap(theirs))
        if out is None or isinstance(out, dict):
            return out
        return _to_dict(out)

    @property
    def details(self):
        """``(host, port)`` this dataframe serves on (``server_port``), or None: what another
        dataframe takes as its ``details``."""
        return self._serving

    @property
    def version(self):
        return self._core.version

    @property
    def head(self):
        return self._core.head

    # Objects

    def add_one(self, dtype, obj):
        """Stages a new object; the object is then tracked (attribute writes are staged)."""
        self.add_many(dtype, [obj])

    def add_many(self, dtype, objs):
        name = _type_name(dtype)
        objs = list(objs)
        for o in objs:
            if not isinstance(o, dtype):
                raise _error("GOT_INVALID", "add_many(%s, ...): %r is not a %s" % (name, o, name))
        self._core.add_many(name, [_to_dict(o) for o in objs])
        for o in objs:
            o.__dict__.pop("__r_values__", None)
            o.__dict__["__r_df__"] = self

    def read_one(self, dtype, oid):
        """The object with primary key `oid` (tracked), or None."""
        name = _type_name(dtype)
        if self._core.read_one(name, oid) is None:
            return None
        return _attached(dtype, self, oid)

    def read_all(self, dtype):
        name = _type_name(dtype)
        return [_attached(dtype, self, k) for k in self._core.keys(name)]

    def delete_one(self, dtype, obj):
        """Deletes an object (given as the object or its primary key)."""
        oid = obj.__dict__.get("__r_oid__") if isinstance(obj, dtype) else obj
        self._core.delete_one(_type_name(dtype), oid)

    def delete_all(self, dtype):
        return self._core.delete_all(_type_name(dtype))

    def discard(self):
        """Drops the changes staged since the last commit or checkout."""
        self._core.discard()

    # Versions

    def commit(self):
        return self._core.commit()

    def checkout(self, version=None):
        return self._core.checkout(version)

    def checkout_await(self, timeout=0):
        self.fetch_await(timeout)
        return self.checkout()

    def fetch(self):
        return self._core.fetch()

    def fetch_await(self, timeout=0):
        """Waits for a version this dataframe has not fetched (at most `timeout` seconds;
        0: up to the server's cap) and fetches it. Raises TimeoutError when none came."""
        if not self._core.fetch_wait(float(timeout) if timeout and timeout > 0 else 3600.0):
            raise TimeoutError("No new version received in time {0}".format(timeout))

    def push(self):
        return self._core.push()

    push_await = push

    def pull(self):
        self.fetch()
        return self.checkout()

    def pull_await(self, timeout=0):
        self.fetch_await(timeout)
        return self.checkout()

    def sync(self):
        self.commit()
        self.push()
        self.pull()
        return True

    def close(self):
        """Stops serving (``server_port``)."""
        self._core.close()


def load_schema(path):
    """The classes of a ``.pcc`` schema, built at run time (``fluxion idl --lang python``
    writes the same classes to a file, with merge-function stubs to fill in)."""
    with open(path, encoding="utf-8") as f:
        source = f.read()
    classes = {}
    for name, key, dims, _merge in _core.idl_parse(source, path):
        body = {}
        for dim, kind in dims:
            body[dim] = primarykey(kind) if dim == key else dimension(kind)
        classes[name] = pcc_set(type(name, (object,), body))
    return classes
