"""Benchmark: the early-warning cron (signal rules) over a large watched table.

Builds, once: P customers (contacts), R signal rules on ``rating.rating``
(the model of the demo rule) with varied domains, thresholds and windows
(15 minutes to 1 day), all counted as user Administrator, and fills
``rating_rating`` in steps up to each size of ``--sizes`` (default 10,000 then
1,000,000 rows) with raw SQL INSERTs (the data is not what is measured: the
cron is). The rows are spread over the last 365 days, plus a burst of 1-star
ratings in the last 30 minutes (``--burst``, from distinct customers) that
makes a few rules fire.

At each size, the cron (``crisis.signal.rule._cron_evaluate_rules``) runs
``--runs`` times as its user (OdooBot), on an empty record cache, each run
rolled back to a savepoint: so every run counts every rule, raises the
suspected crises of the firing rules (with their customers linked and their
people alerted) and merges nothing. It prints the wall time and SQL queries of
each run and their medians, the time of the grouped count query alone
("count only": the part that reads the watched table; the rest is raising
the crises and linking their customers), first without then with an index on
``rating_rating.create_date`` (the date the rules count on; made in the
benchmark's transaction and rolled back), and PASS or FAIL against the
targets: at most ``--max-seconds`` (5 s) at the largest size, and the same
number of queries at every size (queries independent of the number of rows).
Everything it writes is rolled back.

Run it with ``make bench BENCH_SCRIPTS=signals`` (``BENCH_ARGS="--runs 5"``)
or ``BENCH_SCRIPTS=signals bash tools/bench.sh --sizes 10000,100000``. The
exit status is 1 when a target is missed.
"""

import argparse
import contextlib
import statistics
import sys
import time

import benchlib

import odoo
from odoo import Command, fields
from odoo.tools import SQL

INDEX = "bench_signals_rating_create_date_idx"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-c", "--config", required=True, help="Odoo configuration file")
    parser.add_argument("-d", "--database", default="crisis_bench", help="database to use")
    parser.add_argument(
        "--sizes",
        default="10000,1000000",
        help="rows of rating_rating measured, increasing (default 10000,1000000)",
    )
    parser.add_argument("--rules", type=int, default=50, help="signal rules (default 50)")
    parser.add_argument("--partners", type=int, default=2000, help="customers (default 2000)")
    parser.add_argument(
        "--burst", type=int, default=300, help="1-star ratings in the last 30 minutes (300)"
    )
    parser.add_argument("--runs", type=int, default=3, help="measurements of each (default 3)")
    parser.add_argument(
        "--max-seconds", type=float, default=5.0, help="cron time target at the largest size"
    )
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(size) for size in args.sizes.split(",")]
    except ValueError:
        parser.error("--sizes is a comma-separated list of row counts")
    if args.sizes != sorted(args.sizes) or args.sizes[0] < args.burst:
        parser.error("--sizes must increase, and be at least --burst")
    if min(args.rules, args.partners, args.runs, args.burst) < 1:
        parser.error("--rules, --partners, --burst and --runs must be at least 1")
    if args.burst > args.partners:
        parser.error("--burst must be at most --partners (one rating per customer)")
    return args


# ----------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------


def rule_values(env, i):
    """Rule ``i`` of ``count``: varied domains, windows and thresholds; about
    one rule in ten fires on the burst."""
    domains = [
        "[('rating', '<=', 1)]",
        "[('rating', '<=', 2), ('consumed', '=', True)]",
        "[('rating', '<', 3), ('feedback', '!=', False)]",
        "[('rating', '<=', 1), ('partner_id.name', 'ilike', 'Signal')]",
        "[('rating', '>=', 4)]",
    ]
    windows = [15, 60, 240, 1440]
    fires = i % 10 == 0
    return {
        "name": f"Benchmark rule {i:03d}",
        "model_id": env.ref("rating.model_rating_rating").id,
        "domain": domains[i % len(domains)] if not fires else "[('rating', '<=', 1)]",
        "window_minutes": 60 if fires else windows[i % len(windows)],
        # a firing rule needs the burst; the others are out of reach (at most 1,000,000)
        "threshold": 100 if fires else 1_000_000 - i,
        "type_id": env.ref("crisis_management.crisis_type_service_outage").id,
        "severity": "high",
        "user_id": env.ref("base.user_admin").id,
        "alert_user_ids": [Command.set(env.ref("base.user_admin").ids)],
    }


def build(env, args):
    quiet = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}
    env["crisis.signal.rule"].search([]).action_archive()  # the demo rule, if any
    partners = (
        env["res.partner"]
        .with_context(**quiet)
        .create(
            [
                {"name": f"Signal Customer {i:05d}", "email": f"signal{i:05d}@bench.example.com"}
                for i in range(1, args.partners + 1)
            ]
        )
    )
    rules = (
        env["crisis.signal.rule"]
        .with_context(**quiet)
        .create([rule_values(env, i) for i in range(args.rules)])
    )
    env.flush_all()
    return partners, rules


def fill(env, partners, start, stop, burst):
    """Rows ``start`` to ``stop`` of rating_rating (raw SQL); the first call adds the burst."""
    now = fields.Datetime.now()
    model = env.ref("base.model_res_partner")
    ids = partners.ids
    params = {
        "model_id": model.id,
        "first": ids[0],
        "span": len(ids),
        "now": now,
        "start": start,
        "stop": stop,
    }
    # the background: ratings of every kind over the last year, never in the
    # last hour (so the burst alone decides which rules fire)
    env.cr.execute(
        SQL(
            """
            INSERT INTO rating_rating (res_model_id, res_model, res_id, partner_id, rating,
                                       consumed, feedback, access_token, create_uid, write_uid,
                                       create_date, write_date)
            SELECT %(model_id)s, 'res.partner', p, p, 1 + mod(g, 5), mod(g, 7) <> 0,
                   CASE WHEN mod(g, 3) = 0 THEN 'Not good' END, md5(g::text), 1, 1,
                   %(now)s - interval '1 hour' - mod(g, 525600) * interval '1 minute',
                   %(now)s - interval '1 hour' - mod(g, 525600) * interval '1 minute'
              FROM generate_series(%(start)s, %(stop)s - 1) AS g,
                   LATERAL (SELECT %(first)s + mod(g, %(span)s) AS p) AS partner
            """,
            **params,
        )
    )
    if start == 0:
        env.cr.execute(
            SQL(
                """
                INSERT INTO rating_rating (res_model_id, res_model, res_id, partner_id, rating,
                                           consumed, access_token, create_uid, write_uid,
                                           create_date, write_date)
                SELECT %(model_id)s, 'res.partner', p, p, 1, TRUE, md5('burst' || g), 1, 1,
                       %(now)s - mod(g, 30) * interval '1 minute',
                       %(now)s - mod(g, 30) * interval '1 minute'
                  FROM generate_series(0, %(burst)s - 1) AS g,
                       LATERAL (SELECT %(first)s + g AS p) AS partner
                """,
                burst=burst,
                **params,
            )
        )
    env.cr.execute("ANALYZE rating_rating")


# ----------------------------------------------------------------------
# Running the cron
# ----------------------------------------------------------------------


def counts(env):
    env.cr.execute(
        "SELECT (SELECT COUNT(*) FROM crisis_crisis WHERE signal_state = 'suspected'),"
        " (SELECT COUNT(*) FROM crisis_impact), (SELECT COUNT(*) FROM mail_activity)"
    )
    return env.cr.fetchone()


def run_cron(env):
    cron = env.ref("crisis_management_signal.ir_cron_crisis_signal_rules")
    cron_env = odoo.api.Environment(
        env.cr, cron.user_id.id, {"lastcall": cron.lastcall, "cron_id": cron.id}
    )
    progress = env["ir.cron.progress"].create({"cron_id": cron.id, "remaining": 0, "done": 0})
    env.flush_all()
    env.invalidate_all()
    result = {}
    before = counts(env)
    with benchlib.measure(env.cr, result):
        cron_env["crisis.signal.rule"].with_context(
            ir_cron_progress_id=progress.id
        )._cron_evaluate_rules()
        cron_env.flush_all()
    result["crises"], result["impacts"], result["activities"] = (
        b - a for a, b in zip(before, counts(env), strict=True)
    )
    result["checked"] = progress.done
    env.invalidate_all()
    return result


def count_only(env):
    """The grouped count alone (the part that reads the watched table)."""
    rules = env["crisis.signal.rule"].search([])
    env.invalidate_all()
    result = {}
    with benchlib.measure(env.cr, result):
        env["crisis.signal.rule"]._signal_count(rules, fields.Datetime.now())
    return result


def measure_size(env, args, label):
    runs, counting = [], []
    for _run in range(args.runs):
        with contextlib.closing(env.cr.savepoint()):
            runs.append(run_cron(env))
        counting.append(count_only(env))
    seconds = statistics.median(r["seconds"] for r in runs)
    queries = statistics.median(r["queries"] for r in runs)
    count_seconds = statistics.median(r["seconds"] for r in counting)
    last = runs[-1]
    print(
        f"{label:<28} {last['checked']:>6} {last['crises']:>6} {last['impacts']:>8}"
        f" {last['activities']:>10} {seconds:>9.3f} {queries:>8g} {count_seconds:>10.3f}"
        f" {counting[-1]['queries']:>6}   "
        + " ".join(f"{r['seconds']:.3f}s/{r['queries']}q" for r in runs),
        flush=True,
    )
    return seconds, queries, last


# ----------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------


def main(argv=None):
    args = parse_args(argv)
    firing = len([i for i in range(args.rules) if i % 10 == 0])
    with benchlib.rolled_back_env(args.config, args.database) as env:
        print(
            f"Creating {args.partners} customers and {args.rules} signal rules on rating.rating"
            f" ({firing} of them fire on the burst of {args.burst} 1-star ratings)",
            flush=True,
        )
        start = time.perf_counter()
        partners, _rules = build(env, args)
        print(f"  done in {time.perf_counter() - start:.1f} s", flush=True)
        header = (
            f"\n{'rows / index':<28} {'rules':>6} {'crises':>6} {'linked':>8}"
            f" {'activities':>10} {'seconds':>9} {'queries':>8} {'count only':>10} {'q':>6}"
            f"   (medians of {args.runs} runs; each run)"
        )
        results = {}
        filled = 0
        env.cr.execute("SELECT COUNT(*) FROM rating_rating")
        existing = env.cr.fetchone()[0]
        for size in args.sizes:
            start = time.perf_counter()
            fill(env, partners, filled, size - args.burst, args.burst)
            filled = size - args.burst
            print(
                f"\nrating_rating: {size + existing} rows ({existing} before the benchmark);"
                f" filled in {time.perf_counter() - start:.1f} s" + header,
                flush=True,
            )
            for indexed in (False, True):
                if indexed:
                    env.cr.execute(
                        SQL(
                            "CREATE INDEX %s ON rating_rating (create_date)",
                            SQL.identifier(INDEX),
                        )
                    )
                    env.cr.execute("ANALYZE rating_rating")
                label = f"{size:,} {'with' if indexed else 'without'} index"
                results[size, indexed] = measure_size(env, args, label)
                if indexed:
                    env.cr.execute(SQL("DROP INDEX %s", SQL.identifier(INDEX)))

        largest = args.sizes[-1]
        problems = []
        for (size, indexed), (_seconds, _queries, last) in results.items():
            if last["crises"] != firing or last["checked"] != args.rules:
                problems.append(
                    f"{size} rows, index {indexed}: {last['checked']} rules checked and"
                    f" {last['crises']} crises raised; {args.rules} and {firing} expected"
                )
        best = min(results[largest, True][0], results[largest, False][0])
        time_ok = best <= args.max_seconds
        queries = {q for (_s, q, _l) in results.values()}
        queries_ok = len(queries) == 1
        passed = time_ok and queries_ok and not problems
        for problem in problems:
            print(f"CHECK FAILED: {problem}")
        print(
            f"\ntargets (medians of {args.runs} runs):"
            f"\n  time    {'PASS' if time_ok else 'FAIL'}: {best:.3f} s at {largest:,} rows and"
            f" {args.rules} rules (target {args.max_seconds:g} s; with the index:"
            f" {results[largest, True][0]:.3f} s, without: {results[largest, False][0]:.3f} s)"
            f"\n  queries {'PASS' if queries_ok else 'FAIL'}: "
            + ", ".join(
                f"{q:g} at {s:,}{' (index)' if i else ''}"
                for (s, i), (_sec, q, _l) in results.items()
            )
            + " (the same at every size)"
            + f"\n  checks  {'PASS' if not problems else 'FAIL'}: every rule checked, the"
            " firing rules raised one crisis each" + f"\n  overall {'PASS' if passed else 'FAIL'}"
        )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
