"""Benchmark: the six scheduled actions of the module, on a database with due work for each.

Builds, once: a few agents (internal users, Crisis Users), C crises (not
drills; C x 10% of them resolved) sharing N affected customers (one contact
each, linked with ``crisis.impact._link_partners``, an agent on every line),
and playbooks. Everything is due:

- steps: each open crisis has an action plan of 3 steps assigned to its lead,
  2 of them past their deadline (``crisis.action._cron_remind_steps``);
- SLA: the open crises were declared 10 days ago and are not acknowledged
  (``crisis.crisis._cron_escalate_sla``);
- update cadence: nor were their customers updated since
  (``crisis.crisis._cron_remind_updates``; the lead is the communications
  owner);
- follow-ups: every affected customer's next follow-up was yesterday
  (``crisis.impact._cron_remind_followups``);
- satisfaction: the resolved crises were resolved 10 days ago (more than the
  company's survey delay), their statement is approved and their customers
  were contacted (``crisis.crisis._cron_request_satisfaction``, which emails
  them a rating request);
- reviews: the playbooks were last reviewed 400 days ago, every 12 months
  (``crisis.playbook._cron_remind_reviews``).

Each cron handles a batch per call (500 records, 50 crises for the survey)
and reports its progress through ``ir.cron._notify_progress``: as the cron
runner does, each call gets an ``ir.cron.progress`` record in its context (made
before the clock starts), and the cron is called again while the progress says
some records remain. One measurement of a cron is all the calls it needs to
empty its queue, each call followed by ``env.flush_all()``, on an empty record
cache, as the cron's user (OdooBot). It prints per cron the calls, the records
handled (the progress' ``done``, summed), the activities and emails created,
the wall time and SQL queries (medians of R runs, each rolled back to a
savepoint; the data is built once), and PASS or FAIL: every cron must handle
all the records made due for it, and the SQL queries of a call must not grow
with its batch: at most 100 per call (``--max-queries-per-call``) for batches
of up to 500 records (50 crises and all their customers for the survey).
Everything it writes is rolled back.

Run it with ``make bench BENCH_SCRIPTS=crons`` (``BENCH_ARGS="--n 5000 --crises 200"``)
or ``bash tools/bench.sh`` after ``export BENCH_SCRIPTS=crons``. The exit
status is 1 when a target or a check fails.
"""

import argparse
import contextlib
import statistics
import sys
import time
from datetime import timedelta

import benchlib

import odoo
from odoo import Command, fields
from odoo.tools import SQL

# (label, ir.cron xmlid, model, method)
CRONS = [
    ("steps", "ir_cron_crisis_remind_steps", "crisis.action", "_cron_remind_steps"),
    ("SLA escalation", "ir_cron_crisis_escalate_sla", "crisis.crisis", "_cron_escalate_sla"),
    ("update cadence", "ir_cron_crisis_remind_updates", "crisis.crisis", "_cron_remind_updates"),
    (
        "follow-ups",
        "ir_cron_crisis_remind_followups",
        "crisis.impact",
        "_cron_remind_followups",
    ),
    (
        "satisfaction",
        "ir_cron_crisis_request_satisfaction",
        "crisis.crisis",
        "_cron_request_satisfaction",
    ),
    (
        "playbook reviews",
        "ir_cron_crisis_remind_reviews",
        "crisis.playbook",
        "_cron_remind_reviews",
    ),
]
SEVERITY_CYCLE = ("critical", "high", "medium", "low")
STEPS_PER_CRISIS, DUE_STEPS_PER_CRISIS = 3, 2
MAX_CALLS = 10000  # a cron that never empties its queue is a bug, not a long benchmark


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-c", "--config", required=True, help="Odoo configuration file")
    parser.add_argument("-d", "--database", default="crisis_bench", help="database to use")
    parser.add_argument(
        "--n", type=int, default=20000, help="affected customers in all (default 20000)"
    )
    parser.add_argument("--crises", type=int, default=1000, help="crises (default 1000)")
    parser.add_argument(
        "--resolved", type=float, default=0.1, help="share of resolved crises (default 0.1)"
    )
    parser.add_argument("--agents", type=int, default=10, help="agents (default 10)")
    parser.add_argument("--playbooks", type=int, default=20, help="playbooks (default 20)")
    parser.add_argument("--runs", type=int, default=3, help="measurements of each (default 3)")
    parser.add_argument(
        "--max-queries-per-call",
        type=float,
        default=100,
        help="target: SQL queries per cron call (one batch), for each cron (default 100)",
    )
    args = parser.parse_args(argv)
    if min(args.n, args.crises, args.runs, args.agents) < 1 or args.n < args.crises:
        parser.error("--n, --crises, --agents and --runs must be at least 1, and --n >= --crises")
    if not 0 <= args.resolved < 1:
        parser.error("--resolved must be in [0, 1)")
    return args


# ----------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------


def create_agents(env, count):
    groups = [env.ref("base.group_user").id, env.ref("crisis_management.group_crisis_user").id]
    return (
        env["res.users"]
        .with_context(no_reset_password=True, tracking_disable=True)
        .create(
            [
                {
                    "name": f"Benchmark Agent {i:02d}",
                    "login": f"bench.agent{i:02d}@bench.example.com",
                    "email": f"bench.agent{i:02d}@bench.example.com",
                    "groups_id": [Command.set(groups)],
                }
                for i in range(1, count + 1)
            ]
        )
    )


def build(env, args):
    """The data; returns {cron label: records due}."""
    now = fields.Datetime.now()
    today = fields.Date.context_today(env["res.partner"])
    quiet = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}
    env.company.crisis_auto_apply_playbook = False
    admin = env.ref("base.user_admin")
    agents = create_agents(env, args.agents)

    partners = (
        env["res.partner"]
        .with_context(**quiet)
        .create(
            [
                {"name": f"Cron Customer {i:05d}", "email": f"cron{i:05d}@bench.example.com"}
                for i in range(1, args.n + 1)
            ]
        )
    )
    resolved_count = int(args.crises * args.resolved)
    open_count = args.crises - resolved_count
    resolved_stage = env.ref("crisis_management.crisis_stage_resolved")
    statement = "<p>What happened, and what we do about it.</p>"
    crises = (
        env["crisis.crisis"]
        .with_context(**quiet)
        .create(
            [
                {
                    "name": f"Cron benchmark crisis {i:04d}",
                    "severity": SEVERITY_CYCLE[i % len(SEVERITY_CYCLE)],
                    "user_id": agents[i % len(agents)].id,
                    "public_statement": statement,
                    "date_declared": now - timedelta(days=10 if i < open_count else 20),
                    **({"stage_id": resolved_stage.id} if i >= open_count else {}),
                }
                for i in range(args.crises)
            ]
        )
    )
    open_crises, resolved = crises[:open_count], crises[open_count:]
    resolved.with_user(admin).action_approve_statement()
    env.flush_all()
    # resolved 10 days ago: past the survey delay (date_resolved is computed)
    env.cr.execute(
        SQL(
            "UPDATE crisis_crisis SET date_resolved = %s WHERE id = ANY(%s)",
            now - timedelta(days=10),
            resolved.ids,
        )
    )
    resolved.invalidate_recordset(["date_resolved"])

    # customers: n // crises each, the remainder to the first crises
    per, extra = divmod(args.n, args.crises)
    start = 0
    for i, crisis in enumerate(crises):
        size = per + (1 if i < extra else 0)
        env["crisis.impact"]._link_partners(
            crisis, partners[start : start + size].ids, user=crisis.user_id
        )
        start += size
    impacts = env["crisis.impact"].search([("crisis_id", "in", crises.ids)])
    impacts.with_context(**quiet).write({"date_next_followup": today - timedelta(days=1)})
    impacts.filtered(lambda i: i.crisis_id in resolved).with_context(**quiet).write(
        {"date_last_contact": now - timedelta(days=12)}
    )

    plans = (
        env["crisis.action.plan"]
        .with_context(**quiet)
        .create(
            [
                {"name": "Response", "crisis_id": crisis.id, "user_id": crisis.user_id.id}
                for crisis in open_crises
            ]
        )
    )
    env["crisis.action"].with_context(**quiet).create(
        [
            {
                "plan_id": plan.id,
                "name": f"Step {step}",
                "sequence": step,
                "user_id": plan.crisis_id.user_id.id,
                # the first steps are overdue, the last is due in 5 days
                "date_deadline": (
                    plan.crisis_id.date_declared + timedelta(hours=step)
                    if step <= DUE_STEPS_PER_CRISIS
                    else now + timedelta(days=5)
                ),
            }
            for plan in plans
            for step in range(1, STEPS_PER_CRISIS + 1)
        ]
    )
    env["crisis.playbook"].with_context(**quiet).create(
        [
            {
                "name": f"Benchmark playbook {i:02d}",
                "user_id": agents[i % len(agents)].id,
                "review_interval": 12,
                "date_last_review": today - timedelta(days=400),
            }
            for i in range(args.playbooks)
        ]
    )
    env.flush_all()
    return {
        "steps": DUE_STEPS_PER_CRISIS * open_count,
        "SLA escalation": open_count,
        "update cadence": open_count,
        "follow-ups": len(impacts),
        "satisfaction": resolved_count,
        "playbook reviews": args.playbooks,
    }


# ----------------------------------------------------------------------
# Running a cron
# ----------------------------------------------------------------------


def counts(env):
    env.cr.execute(
        "SELECT (SELECT COUNT(*) FROM mail_activity), (SELECT COUNT(*) FROM mail_mail),"
        " (SELECT COUNT(*) FROM mail_message)"
    )
    return env.cr.fetchone()


def run_cron(env, xmlid, model, method):
    """Calls the cron until its progress says nothing remains; returns the figures."""
    cron = env.ref(f"crisis_management.{xmlid}")
    cron_env = odoo.api.Environment(
        env.cr, cron.user_id.id, {"lastcall": cron.lastcall, "cron_id": cron.id}
    )
    result = {"seconds": 0.0, "queries": 0, "calls": 0, "done": 0, "stuck": False}
    before = counts(env)
    while result["calls"] < MAX_CALLS:
        # made and committed by the runner before the call
        progress = env["ir.cron.progress"].create({"cron_id": cron.id, "remaining": 0, "done": 0})
        env.flush_all()
        env.invalidate_all()
        records = cron_env[model].with_context(ir_cron_progress_id=progress.id)
        with benchlib.measure(env.cr, result):
            getattr(records, method)()
            cron_env.flush_all()
        result["calls"] += 1
        result["done"] += progress.done
        if not progress.remaining:
            break
        if not progress.done:
            result["stuck"] = True  # records remain, but none was handled
            break
    after = counts(env)
    result["activities"], result["emails"], result["messages"] = (
        b - a for a, b in zip(before, after, strict=True)
    )
    env.invalidate_all()
    return result


# ----------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------


def main(argv=None):
    args = parse_args(argv)
    problems = []
    with benchlib.rolled_back_env(args.config, args.database) as env:
        cr = env.cr
        print(
            f"Creating {args.crises} crises ({args.resolved:.0%} resolved) with {args.n}"
            f" affected customers, {args.agents} agents, {args.playbooks} playbooks",
            flush=True,
        )
        start = time.perf_counter()
        due = build(env, args)
        print(
            f"  done in {time.perf_counter() - start:.1f} s; due: "
            + ", ".join(f"{label} {count}" for label, count in due.items()),
            flush=True,
        )

        results = {label: [] for label, *_rest in CRONS}
        for run in range(1, args.runs + 1):
            line = []
            for label, xmlid, model, method in CRONS:
                with contextlib.closing(cr.savepoint()):
                    result = run_cron(env, xmlid, model, method)
                results[label].append(result)
                line.append(f"{label} {result['seconds']:.2f} s/{result['queries']} q")
                if result["stuck"]:
                    problems.append(f"run {run}: {label} left records it did not handle")
                if result["done"] != due[label]:
                    problems.append(
                        f"run {run}: {label} handled {result['done']} records,"
                        f" {due[label]} were due"
                    )
            print(f"run {run}: " + " | ".join(line), flush=True)

        print(
            f"\nmedians of {args.runs} runs, each cron called until nothing remains:"
            f"\n{'cron':<17} {'calls':>5} {'handled':>8} {'activities':>10} {'emails':>7}"
            f" {'seconds':>9} {'queries':>8} {'q/call':>7} {'ms/record':>10}"
        )
        failed = []
        for label, *_rest in CRONS:
            runs = results[label]
            seconds = statistics.median(r["seconds"] for r in runs)
            queries = statistics.median(r["queries"] for r in runs)
            last = runs[-1]
            done = max(last["done"], 1)
            per_call = queries / last["calls"]
            if per_call > args.max_queries_per_call:
                failed.append(f"{label} {per_call:.0f}")
            print(
                f"{label:<17} {last['calls']:>5} {last['done']:>8} {last['activities']:>10}"
                f" {last['emails']:>7} {seconds:>9.3f} {queries:>8g} {per_call:>7.1f}"
                f" {1000 * seconds / done:>10.3f}"
            )
        print(
            "(satisfaction: records are crises, 50 per call; each emails all its contacted"
            " customers)"
        )
        if problems:
            print("\nCHECK FAILED:")
            for problem in problems:
                print(f"  {problem}")
        else:
            print("check: every cron handled all the records made due for it")

        queries_ok = not failed
        passed = queries_ok and not problems
        print(
            f"\ntargets (medians of {args.runs} runs):"
            f"\n  handled {'PASS' if not problems else 'FAIL'}: every due record, once"
            f"\n  queries {'PASS' if queries_ok else 'FAIL'}: at most"
            f" {args.max_queries_per_call:g} per call, whatever its batch"
            + (f" (over: {', '.join(failed)})" if failed else "")
            + f"\n  overall {'PASS' if passed else 'FAIL'}"
        )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
