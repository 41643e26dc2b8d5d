# SQLAlchemy (Debian's python3-sqlalchemy, over psycopg2) against a
# PostgreSQL-protocol server.
#
# Usage: sqlalchemy_clients.py URL
#
# Runs named checks and prints one JSON object per line:
#   {"name": "<check>", "value": <JSON value>}
# or, when the check raised, {"name": "<check>", "error": "<SQLSTATE or class>"}.
# t/114_sqlalchemy.pl runs it against PostgreSQL 15 and against the router
# and compares the two, check by check.

import datetime
import decimal
import json
import sys

import sqlalchemy as sa
from sqlalchemy.orm import Session, declarative_base

engine = sa.create_engine(sys.argv[1], future=True)
Base = declarative_base()


class Author(Base):
    __tablename__ = "sa_authors"
    id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
    name = sa.Column(sa.String(80), nullable=False, unique=True)
    born = sa.Column(sa.Date)


class Book(Base):
    __tablename__ = "sa_books"
    id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
    author_id = sa.Column(sa.Integer, nullable=False, index=True)
    title = sa.Column(sa.Text, nullable=False, server_default="untitled")
    price = sa.Column(sa.Numeric(10, 2))
    published = sa.Column(sa.DateTime(timezone=True))
    in_print = sa.Column(sa.Boolean, nullable=False, server_default=sa.true())


def plain(v):
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(v[k]) for k in sorted(v)}
    if isinstance(v, (decimal.Decimal, datetime.date, datetime.datetime)):
        return "%s:%s" % (type(v).__name__, v)
    if isinstance(v, sa.types.TypeEngine):
        return repr(v)
    return v


def check(name, fn):
    try:
        out = {"name": name, "value": plain(fn())}
    except sa.exc.DBAPIError as e:
        out = {"name": name, "error": getattr(e.orig, "pgcode", None) or type(e.orig).__name__}
    except Exception as e:
        out = {"name": name, "error": type(e).__name__}
    sys.stdout.write(json.dumps(out, sort_keys=True) + "\n")
    sys.stdout.flush()


def create():
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)  # in one transaction
    return sorted(t for t in sa.inspect(engine).get_table_names() if t.startswith("sa_"))


check("create_all", create)


def insert():
    with Session(engine) as s:
        s.add_all([Author(id=i, name="a%d" % i, born=datetime.date(1950 + i, 1, 1 + i)) for i in range(1, 11)])
        s.add_all([Book(id=i, author_id=i % 10 + 1, title="t%d" % i, price=decimal.Decimal(i) / 4,
                        published=datetime.datetime(2020, 1, i % 28 + 1, tzinfo=datetime.timezone.utc))
                   for i in range(1, 41)])
        s.add(Book(id=41, author_id=1))
        s.commit()
    with Session(engine) as s:
        return [s.query(Author).count(), s.query(Book).count()]


check("ORM inserts", insert)


def reads():
    with Session(engine) as s:
        b = s.get(Book, 41)
        return [s.query(Author).filter_by(id=3).one().name,
                [b.title, b.in_print, b.price],
                [(x.id, x.title) for x in s.query(Book).filter(Book.price > 9).order_by(Book.price.desc(), Book.id).limit(3)],
                list(s.query(sa.func.count(Book.id), sa.func.sum(Book.price), sa.func.max(Book.published)).one()),
                [list(r) for r in s.query(Book.author_id, sa.func.count()).group_by(Book.author_id).order_by(Book.author_id)]]


check("ORM reads", reads)


def updates():
    with Session(engine) as s:
        s.get(Book, 7).title = "changed"
        s.delete(s.get(Book, 8))
        s.query(Book).filter(Book.author_id == 2).update({Book.price: Book.price + 1})
        s.commit()
        return [[(x.id, x.title, x.price) for x in s.query(Book).filter(Book.id.in_([7, 8, 9, 11])).order_by(Book.id)],
                s.query(sa.func.sum(Book.price)).scalar()]


check("ORM updates and deletes", updates)


def rollback():
    with Session(engine) as s:
        s.get(Book, 9).title = "never"
        s.add(Book(id=100, author_id=1, title="never"))
        s.flush()
        s.rollback()
        return [s.get(Book, 9).title, s.get(Book, 100)]


check("ORM rollback", rollback)


def duplicate():
    with Session(engine) as s:
        s.add(Author(id=99, name="a1"))
        s.commit()


check("unique violation", duplicate)

insp = sa.inspect(engine)
check("reflect columns", lambda: [{k: c[k] for k in ("name", "type", "nullable", "default")}
                                  for c in insp.get_columns("sa_books")])
check("reflect primary key", lambda: insp.get_pk_constraint("sa_books"))
check("reflect indexes", lambda: insp.get_indexes("sa_books"))
check("reflect unique constraints", lambda: insp.get_unique_constraints("sa_authors"))
check("reflect foreign keys", lambda: insp.get_foreign_keys("sa_books"))
check("reflect a Table", lambda: [(c.name, repr(c.type), c.primary_key, c.nullable)
                                  for c in sa.Table("sa_books", sa.MetaData(), autoload_with=engine).columns])


def core_query():
    t = sa.Table("sa_books", sa.MetaData(), autoload_with=engine)
    with engine.connect() as c:
        return [list(r) for r in c.execute(sa.select(t.c.id, t.c.title).where(t.c.id.in_([3, 33, 13])).order_by(t.c.id))]


check("Core select on a reflected Table", core_query)
check("drop_all", lambda: Base.metadata.drop_all(engine))
