"""Benchmark: a call campaign on 1,000 and 10,000 affected customers.

For each size S (1,000 and ``--n``, 10,000 by default), path and run, in a
transaction of its own that is rolled back, it builds two customer-service
agents in a response team and a crisis led by Administrator with S affected
customers (one contact each, with a phone, linked with
``crisis.impact._link_partners``; a third of them with an agent), then
measures R times (one transaction each: rows rolled back to a savepoint stay
in the tables until the transaction ends, and made each later run slower):

- **now**: the *Call Customers* wizard (``crisis.call.wizard``, every
  customer) with the company's threshold above S: wizard creation,
  ``action_schedule()`` and the final ``env.flush_all()``, on an empty record
  cache like a request;
- **background**: the same with the threshold below S: the click queues a
  ``crisis.impact.job``, then its cron method is called until the job is done
  (1,000 lines per call), each call followed by ``env.flush_all()``.

It prints the wall time and SQL queries of each (medians of R runs) and the
queries per 100 lines, checks that every customer got one call activity, and
PASS or FAIL against the targets: at most ``--max-queries-per-100`` queries
per 100 lines (default 15) for both paths at every size, and the queries per
100 lines of the larger size not above those of the smaller one (the budget
does not grow per line). Everything it writes is rolled back.

Run it with ``make bench BENCH_SCRIPTS=calls`` (``BENCH_ARGS="--n 5000 --runs 1"``)
or ``bash tools/bench.sh`` after ``export BENCH_SCRIPTS=calls``. The exit
status is 1 when a target or a check fails.
"""

import argparse
import statistics
import sys

import benchlib

from odoo import Command

SMALL = 1000
MAX_CALLS = 1000  # a job that never ends is a bug, not a long benchmark


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-c", "--config", required=True, help="Odoo configuration file")
    parser.add_argument("-d", "--database", default="crisis_bench", help="database to use")
    parser.add_argument(
        "--n", type=int, default=10000, help="customers of the large campaign (default 10000)"
    )
    parser.add_argument("--runs", type=int, default=3, help="measurements of each (default 3)")
    parser.add_argument(
        "--max-queries-per-100",
        type=float,
        default=15,
        help="query target, per 100 lines, of both paths (default 15)",
    )
    args = parser.parse_args(argv)
    if args.n < 1 or args.runs < 1:
        parser.error("--n and --runs must be at least 1")
    return args


# ----------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------


def build(env, sizes):
    """Two agents in a team, and one crisis per size; returns {size: crisis}."""
    quiet = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}
    env.company.crisis_auto_apply_playbook = False
    groups = [env.ref("base.group_user").id, env.ref("crisis_management.group_crisis_user").id]
    agents = (
        env["res.users"]
        .with_context(no_reset_password=True, **quiet)
        .create(
            [
                {
                    "name": f"Call Agent {i}",
                    "login": f"bench.call.agent{i}@bench.example.com",
                    "email": f"bench.call.agent{i}@bench.example.com",
                    "groups_id": [Command.set(groups)],
                }
                for i in (1, 2)
            ]
        )
    )
    team = env["crisis.team"].create(
        {
            "name": "Call benchmark team",
            "member_ids": [
                Command.create({"user_id": agent.id, "role": "customer_service"})
                for agent in agents
            ],
        }
    )
    admin = env.ref("base.user_admin")
    crises = {}
    for size in sizes:
        partners = (
            env["res.partner"]
            .with_context(**quiet)
            .create(
                [
                    {
                        "name": f"Call Customer {size}-{i:05d}",
                        "phone": f"+32 2 {size % 1000:03d} {i:05d}",
                        **({"email": f"call{size}-{i:05d}@bench.example.com"} if i % 2 else {}),
                    }
                    for i in range(size)
                ]
            )
        )
        crisis = (
            env["crisis.crisis"]
            .with_context(**quiet)
            .create(
                {
                    "name": f"Call benchmark crisis {size}",
                    "severity": "high",
                    "user_id": admin.id,
                    "team_id": team.id,
                    "talking_points": "<p>Apologise, explain the plan, offer the voucher.</p>",
                }
            )
        )
        third = size // 3
        Impact = env["crisis.impact"].with_context(**quiet)
        Impact._link_partners(crisis, partners[:third].ids, user=agents[0])
        Impact._link_partners(crisis, partners[third:].ids)
        crises[size] = crisis
    env.flush_all()
    # the planner's statistics of the new rows, as autovacuum gathers them on a
    # live database (without them it plans for the tables as they were)
    env.cr.execute("ANALYZE res_partner, crisis_impact, mail_activity")
    return crises


# ----------------------------------------------------------------------
# Measures
# ----------------------------------------------------------------------


def call_count(env, crisis):
    env.flush_all()
    env.cr.execute(
        """SELECT COUNT(*) FROM mail_activity a JOIN crisis_impact i ON i.id = a.res_id
            WHERE a.res_model = 'crisis.impact' AND i.crisis_id = %s AND a.active
              AND a.activity_type_id = %s""",
        [crisis.id, env.ref("mail.mail_activity_data_call").id],
    )
    return env.cr.fetchone()[0]


def schedule(env, crisis, background):
    """Runs the campaign; returns its figures."""
    admin = env.ref("base.user_admin")
    crisis.company_id.crisis_call_background_threshold = 0 if background else 10**9
    env.flush_all()
    env.invalidate_all()  # a request starts with an empty cache
    result = {"calls": 0}
    user_env = env(user=admin)
    with benchlib.measure(env.cr, result):
        wizard = (
            user_env["crisis.call.wizard"]
            .with_context(default_crisis_id=crisis.id)
            .create({"audience": "all"})
        )
        wizard.action_schedule()
        user_env.flush_all()
    if background:
        Job = env["crisis.impact.job"]
        job = Job.search([("crisis_id", "=", crisis.id), ("job_type", "=", "call")], limit=1)
        while job.state in ("queued", "running") and result["calls"] < MAX_CALLS:
            env.invalidate_all()
            with benchlib.measure(env.cr, result):
                Job._cron_add_customers()
                env.flush_all()
            result["calls"] += 1
    result["activities"] = call_count(env, crisis)
    return result


# ----------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------


def main(argv=None):
    args = parse_args(argv)
    sizes = sorted({min(SMALL, args.n), args.n})
    problems = []
    with benchlib.rolled_back_env(args.config, args.database) as main_env:
        results = {(size, path): [] for size in sizes for path in ("now", "background")}
        for run in range(1, args.runs + 1):
            line = []
            for size in sizes:
                for path in ("now", "background"):
                    with benchlib.own_transaction(main_env) as env:
                        crisis = build(env, [size])[size]
                        result = schedule(env, crisis, path == "background")
                    results[size, path].append(result)
                    line.append(f"{size} {path} {result['seconds']:.2f} s/{result['queries']} q")
                    if result["activities"] != size:
                        problems.append(
                            f"run {run}: {size} lines {path}: {result['activities']} calls"
                        )
            print(f"run {run}: " + " | ".join(line), flush=True)

        print(
            f"\nmedians of {args.runs} runs:"
            f"\n{'lines':>6} {'path':<11} {'cron calls':>10} {'seconds':>9} {'queries':>8}"
            f" {'q/100':>6} {'ms/line':>8}"
        )
        per_100 = {}
        for (size, path), runs in results.items():
            seconds = statistics.median(r["seconds"] for r in runs)
            queries = statistics.median(r["queries"] for r in runs)
            per_100[size, path] = 100.0 * queries / size
            print(
                f"{size:>6} {path:<11} {runs[-1]['calls']:>10} {seconds:>9.3f} {queries:>8g}"
                f" {per_100[size, path]:>6.2f} {1000 * seconds / size:>8.3f}"
            )
        over = [
            f"{size} {path} {value:.1f}"
            for (size, path), value in per_100.items()
            if value > args.max_queries_per_100
        ]
        growing = [
            path
            for path in ("now", "background")
            if len(sizes) > 1 and per_100[sizes[-1], path] > per_100[sizes[0], path]
        ]
        if problems:
            print("\nCHECK FAILED:")
            for problem in problems:
                print(f"  {problem}")
        else:
            print("check: every customer got one call activity, on both paths")
        queries_ok = not over and not growing
        passed = queries_ok and not problems
        print(
            f"\ntargets (medians of {args.runs} runs):"
            f"\n  calls {'PASS' if not problems else 'FAIL'}: one per customer"
            f"\n  queries {'PASS' if queries_ok else 'FAIL'}: at most"
            f" {args.max_queries_per_100:g} per 100 lines, not growing with the campaign"
            + (f" (over: {', '.join(over)})" if over else "")
            + (f" (growing: {', '.join(growing)})" if growing else "")
            + f"\n  overall {'PASS' if passed else 'FAIL'}"
        )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
