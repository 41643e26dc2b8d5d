"""SQLAlchemy ORM models with serial, bigserial and identity primary keys,
on tables the router shards by those keys: rows added one by one and in
bulk get their ids back from INSERT ... RETURNING, every id once; reads by
id find them.  Prints one line per check, the same from PostgreSQL and from
the router (t/069)."""
import sys

from sqlalchemy.exc import OperationalError
from sqlalchemy import BigInteger, Column, Identity, Integer, String, create_engine, select, text
from sqlalchemy.orm import Session, declarative_base

Base = declarative_base()


class Event(Base):
    __tablename__ = "orm_events"
    id = Column(BigInteger, primary_key=True)  # BIGSERIAL
    body = Column(String(40))


class Ticket(Base):
    __tablename__ = "orm_tickets"
    id = Column(Integer, Identity(always=True), primary_key=True)
    title = Column(String(40))


def retried(work):
    # a serialization failure (40001) asks for the transaction again, as
    # PostgreSQL's documentation asks of clients
    for attempt in range(20):
        try:
            return work()
        except OperationalError as e:
            if getattr(e.orig, "pgcode", None) != "40001" or attempt == 19:
                raise


def main(url):
    engine = create_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    # ids may have gaps after a retried transaction, as in PostgreSQL after
    # a rollback: what is compared is their shape, not their values
    lines, one, ids, tickets = retried(lambda: insert(engine))
    print("\n".join(lines))
    with Session(engine) as s:
        print("read", s.get(Event, one).body, s.get(Event, ids[7]).body, s.get(Ticket, tickets[2]).title)
        print("count", s.scalar(select(text("count(*)")).select_from(Event.__table__)))
        n = s.execute(text("select nextval('orm_events_id_seq')")).scalar()
        print("nextval above every id", n > max(ids))
    Base.metadata.drop_all(engine)


def insert(engine):
    lines = []
    with Session(engine) as s:
        one = Event(body="first")
        s.add(one)
        s.flush()
        lines.append("one %s" % type(one.id).__name__)
        many = [Event(body="e%d" % i) for i in range(50)]
        s.add_all(many)
        s.flush()
        ids = [e.id for e in many]
        lines.append("bulk %d %d %s %s" % (len(ids), len(set(ids)), ids == sorted(ids), min(ids) > one.id))
        tickets = [Ticket(title="t%d" % i) for i in range(5)]
        s.add_all(tickets)
        s.commit()
        t = [x.id for x in tickets]
        lines.append("identity %d %s" % (len(set(t)), t == sorted(t)))
        return lines, one.id, ids, t


main(sys.argv[1])
