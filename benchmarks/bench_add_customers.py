"""Benchmark: link N customers to a crisis, through the wizard and in raw SQL.

Creates N contacts sharing one contact tag and, R times, two fresh crises led
by user Administrator:

- the first gets the customers through the "Add Affected Customers" wizard
  (``crisis.impact.wizard``, mode "tags"): wizard creation, ``action_add()``
  and the final ``env.flush_all()``, on an empty record cache like a request.
  The wizard makes the lines with ``create()`` (in batches), so automated
  actions and audit modules see them, and the lead (and agent) follow them;
- the second gets the very same ``crisis_impact`` rows from one
  ``INSERT INTO crisis_impact (...) SELECT ... FROM res_partner ...``: the
  floor no ORM path reaches (no followers, nothing else runs).

It prints the wall time and the number of SQL queries of each, per run and as
medians, and PASS or FAIL for the wizard against the targets (10 s for 10,000
customers, 8 queries per 100 customers by default), and checks that both ways
gave the same rows and that the wizard's lines have their followers.
Everything it writes is rolled back.

The wizard sets no agent by default; ``--agent`` makes a new user "Benchmark
Agent" the agent of the lines (and the SQL statement sets the same agent).

Run it with ``make bench`` (``make bench BENCH_ARGS="--n 2000 --runs 5"``) or
``bash tools/bench.sh --n 2000``. ``--profile`` adds one run of the wizard
that lists its SQL statements grouped by shape; a failed query target does
so too. The exit status is 1 when a target is missed.
"""

import argparse
import contextlib
import re
import statistics
import sys
import threading
import time
from collections import Counter

import benchlib

from odoo import Command
from odoo.tools import SQL

IMPACT_LEVEL = "high"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-c", "--config", required=True, help="Odoo configuration file")
    parser.add_argument("-d", "--database", default="crisis_bench", help="database to use")
    parser.add_argument("--n", type=int, default=10000, help="customers (default 10000)")
    parser.add_argument("--runs", type=int, default=3, help="measurements of each (default 3)")
    parser.add_argument("--max-seconds", type=float, default=10.0, help="wizard time target")
    parser.add_argument(
        "--max-queries-per-100",
        type=float,
        default=8,
        help="wizard query target, per 100 customers (default 8)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="list the wizard's SQL statements grouped by shape (one extra run)",
    )
    parser.add_argument("--top", type=int, default=25, help="statement shapes listed")
    parser.add_argument(
        "--agent",
        action="store_true",
        help="set the wizard's Agent (a new user) on the customers (default: none)",
    )
    args = parser.parse_args(argv)
    if args.n < 1 or args.runs < 1:
        parser.error("--n and --runs must be at least 1")
    return args


# ----------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------


def create_customers(env, n):
    """N contacts with one contact tag of their own (batch create)."""
    category = env["res.partner.category"].create({"name": f"Crisis benchmark ({n})"})
    env["res.partner"].with_context(tracking_disable=True).create(
        [
            {
                "name": f"Benchmark Customer {i:05d}",
                "email": f"customer{i:05d}@bench.example.com",
                "category_id": [Command.link(category.id)],
            }
            for i in range(1, n + 1)
        ]
    )
    env.flush_all()
    return category


def new_crisis(env, label, lead):
    crisis = env["crisis.crisis"].create({"name": f"Benchmark crisis {label}", "user_id": lead.id})
    env.flush_all()
    return crisis


def add_with_wizard(env, crisis, category, agent):
    wizard = env["crisis.impact.wizard"].create(
        {
            "crisis_id": crisis.id,
            "selection_mode": "tags",
            "category_ids": [Command.set(category.ids)],
            "impact_level": IMPACT_LEVEL,
            "user_id": agent.id,
        }
    )
    wizard.action_add()
    env.flush_all()


def insert_statement(env, crisis, category, agent):
    """The rows the wizard creates, in one statement: every column the ORM fills.

    Built before the measurement (it reads the crisis' company), which times
    the execution only.
    """
    # the ranks of the field's selection (SEVERITIES); the addon's modules cannot be
    # imported at the top: odoo.addons.rating, which they import, is only on the
    # path once the configuration is read
    levels = [level for level, _label in env["crisis.impact"]._fields["impact_level"].selection]
    rank = levels.index(IMPACT_LEVEL)
    return SQL(
        """
        INSERT INTO crisis_impact (
            crisis_id, partner_id, company_id, impact_level, impact_level_rank,
            contact_status, is_priority, user_id,
            create_uid, write_uid, create_date, write_date
        )
        SELECT %(crisis)s, partner.id, %(company)s, %(level)s, %(rank)s,
               'to_contact', FALSE, %(agent)s, %(uid)s, %(uid)s,
               NOW() AT TIME ZONE 'UTC', NOW() AT TIME ZONE 'UTC'
          FROM res_partner partner
         WHERE partner.id IN (
                   SELECT partner_id FROM res_partner_res_partner_category_rel
                    WHERE category_id IN %(categories)s)
           AND partner.active
           AND partner.id NOT IN (
                   SELECT partner_id FROM crisis_impact WHERE crisis_id = %(crisis)s)
         ORDER BY partner.id
        """,
        crisis=crisis.id,
        company=crisis.company_id.id,
        level=IMPACT_LEVEL,
        rank=rank,
        agent=agent.id or None,
        uid=env.uid,
        categories=tuple(category.ids),
    )


def check_followers(env, crisis, owners, n):
    """Each of the wizard's lines is followed by the lead and the agent."""
    env.cr.execute(
        SQL(
            "SELECT COUNT(*) FROM mail_followers follower"
            " JOIN crisis_impact impact ON impact.id = follower.res_id"
            " WHERE follower.res_model = 'crisis.impact' AND impact.crisis_id = %s"
            " AND follower.partner_id IN %s",
            crisis.id,
            tuple(owners.partner_id.ids),
        )
    )
    count = env.cr.fetchone()[0]
    expected = n * len(owners)
    if count != expected:
        return [f"{count} followers on the lines of {crisis.reference} instead of {expected}"]
    return []


def add_with_sql(env, statement):
    env.cr.execute(statement)
    return env.cr.rowcount


def compare_rows(env, orm_crisis, sql_crisis, n):
    """Both ways must give N rows, equal in every column but id and crisis_id."""
    columns = SQL(
        "partner_id, company_id, impact_level, impact_level_rank, contact_status, "
        "is_priority, churn_risk, user_id, color, date_last_contact, date_next_followup, "
        "feedback, create_uid, write_uid, create_date, write_date"
    )
    problems = []
    for crisis in (orm_crisis, sql_crisis):
        env.cr.execute(SQL("SELECT COUNT(*) FROM crisis_impact WHERE crisis_id = %s", crisis.id))
        count = env.cr.fetchone()[0]
        if count != n:
            problems.append(f"crisis {crisis.reference} has {count} rows instead of {n}")
    for first, second in ((orm_crisis, sql_crisis), (sql_crisis, orm_crisis)):
        env.cr.execute(
            SQL(
                "SELECT COUNT(*) FROM (SELECT %(cols)s FROM crisis_impact WHERE crisis_id = %(a)s"
                " EXCEPT SELECT %(cols)s FROM crisis_impact WHERE crisis_id = %(b)s) diff",
                cols=columns,
                a=first.id,
                b=second.id,
            )
        )
        missing = env.cr.fetchone()[0]
        if missing:
            problems.append(f"{missing} rows of {first.reference} differ from {second.reference}")
    return problems


# ----------------------------------------------------------------------
# Statement profile
# ----------------------------------------------------------------------

_SPACES = re.compile(r"\s+")
_PLACEHOLDERS = re.compile(r"%s(?:\s*,\s*%s)+")
_REPEATED_TUPLES = re.compile(r"(\([^()]*\))(?:\s*,\s*\1)+")
_SAVEPOINT = re.compile(r'SAVEPOINT "[^"]*"')


def statement_shape(query):
    if isinstance(query, bytes):
        query = query.decode()
    shape = _SPACES.sub(" ", query).strip()
    shape = _SAVEPOINT.sub('SAVEPOINT "…"', shape)
    shape = _PLACEHOLDERS.sub("%s, …", shape)
    return _REPEATED_TUPLES.sub(r"\1, …", shape)


@contextlib.contextmanager
def statement_profile():
    """Counts the statements run in this thread by shape (parameters aside)."""
    shapes = Counter()

    def hook(cr, query, params, start, delay):
        shapes[statement_shape(query)] += 1

    thread = threading.current_thread()
    previous = getattr(thread, "query_hooks", None)
    thread.query_hooks = (*(previous or ()), hook)
    try:
        yield shapes
    finally:
        if previous is None:
            del thread.query_hooks
        else:
            thread.query_hooks = previous


def print_profile(shapes, n, top):
    total = sum(shapes.values())
    print(f"\nSQL statements of one wizard run ({n} customers): {total} in all")
    print(f"{'count':>7}  {'one per':>15}  statement (parameters elided)")
    for shape, count in shapes.most_common(top):
        text = shape if len(shape) <= 200 else shape[:197] + "..."
        every = "customer" if count >= n else f"{n / count:.0f} customers" if count > 2 else ""
        print(f"{count:>7}  {every:>15}  {text}")
    if len(shapes) > top:
        rest = sum(count for _shape, count in shapes.most_common()[top:])
        print(f"{rest:>7}  ... in {len(shapes) - top} other shapes")


# ----------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------


def fmt_seconds(value):
    return f"{value:8.3f} s"


def main(argv=None):
    args = parse_args(argv)
    n = args.n
    passed = True
    with benchlib.rolled_back_env(args.config, args.database) as env:
        cr = env.cr
        lead = env.ref("base.user_admin")
        agent = env["res.users"]
        if args.agent:
            agent = (
                env["res.users"]
                .with_context(no_reset_password=True)
                .create({"name": "Benchmark Agent", "login": "crisis_bench_agent"})
            )
        scenario = f"lead {lead.login}, " + (f"agent {agent.login}" if agent else "no agent")
        print(
            f"Creating {n} customers (batch create, one contact tag); wizard: mode tags,"
            f" impact {IMPACT_LEVEL}, {scenario}",
            flush=True,
        )
        start = time.perf_counter()
        category = create_customers(env, n)
        print(f"  done in {time.perf_counter() - start:.1f} s", flush=True)

        results = []
        problems = []
        for run in range(1, args.runs + 1):
            # each run on fresh crises, rolled back afterwards
            with contextlib.closing(cr.savepoint()):
                orm_crisis = new_crisis(env, f"{run} (wizard)", lead)
                sql_crisis = new_crisis(env, f"{run} (SQL)", lead)
                orm, sql = {}, {}
                env.invalidate_all()  # a request starts with an empty cache
                with benchlib.measure(cr, orm):
                    add_with_wizard(env, orm_crisis, category, agent)
                env.invalidate_all()
                statement = insert_statement(env, sql_crisis, category, agent)
                with benchlib.measure(cr, sql):
                    inserted = add_with_sql(env, statement)
                if inserted != n:
                    problems.append(f"run {run}: the SQL statement inserted {inserted} rows")
                problems += [
                    f"run {run}: {problem}"
                    for problem in compare_rows(env, orm_crisis, sql_crisis, n)
                    + check_followers(env, orm_crisis, lead | agent, n)
                ]
                env.invalidate_all()
            results.append((orm, sql))
            print(
                f"run {run}:  wizard {fmt_seconds(orm['seconds'])} {orm['queries']:6d} queries"
                f"   |   SQL {fmt_seconds(sql['seconds'])} {sql['queries']:4d} queries"
                f"   |   wizard/SQL {orm['seconds'] / sql['seconds']:7.1f}x",
                flush=True,
            )

        orm_seconds = statistics.median(orm["seconds"] for orm, _sql in results)
        orm_queries = statistics.median(orm["queries"] for orm, _sql in results)
        sql_seconds = statistics.median(sql["seconds"] for _orm, sql in results)
        sql_queries = statistics.median(sql["queries"] for _orm, sql in results)
        print(
            f"median: wizard {fmt_seconds(orm_seconds)} {orm_queries:6g} queries"
            f"   |   SQL {fmt_seconds(sql_seconds)} {sql_queries:4g} queries"
            f"   |   wizard/SQL {orm_seconds / sql_seconds:7.1f}x"
        )
        if problems:
            passed = False
            print("\nCHECK FAILED:")
            for problem in problems:
                print(f"  {problem}")
        else:
            print(
                f"check: the wizard and the SQL statement gave the same {n} rows;"
                " the wizard's lines have their followers"
            )

        max_queries = args.max_queries_per_100 * n / 100
        time_ok = orm_seconds <= args.max_seconds
        queries_ok = orm_queries <= max_queries
        passed = passed and time_ok and queries_ok
        print(
            f"\ntarget for {n} customers through the wizard (medians of {args.runs} runs):"
            f"\n  time    {'PASS' if time_ok else 'FAIL'}: {orm_seconds:.3f} s"
            f" (target <= {args.max_seconds:g} s)"
            f"\n  queries {'PASS' if queries_ok else 'FAIL'}: {orm_queries:g},"
            f" {orm_queries * 100 / n:.2f} per 100 customers"
            f" (target <= {args.max_queries_per_100:g} per 100, {max_queries:g})"
            f"\n  overall {'PASS' if passed else 'FAIL'}"
        )

        if args.profile or not queries_ok:
            with contextlib.closing(cr.savepoint()):
                crisis = new_crisis(env, "profile", lead)
                env.invalidate_all()
                with statement_profile() as shapes:
                    add_with_wizard(env, crisis, category, agent)
                env.invalidate_all()
            print_profile(shapes, n, args.top)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
