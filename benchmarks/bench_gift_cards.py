"""Benchmark: deliver N voucher compensations as gift cards, ours against Odoo's wizard.

Creates N contacts with an email, a crisis (not a drill) with an approved
public statement, links every contact to it, a gift card program chosen in
the company's crisis settings, and one approved voucher compensation of 20
per customer (``crisis.compensation._propose_to``). Then, R times, each
inside a savepoint rolled back afterwards:

- ours, at once: ``action_deliver()`` on the N compensations, as the
  administrator: N gift cards (batched ``create()``), N lines of card
  history, the compensations delivered with their card, and N emails with
  the code posted on the compensations and queued; then ``env.flush_all()``;
- ours, in the background: the list's *Deliver* button
  (``action_deliver_selection()``) with the company's threshold at 0, then the
  job (``crisis.compensation.delivery.job._cron_deliver_compensations``)
  called until it is done, and ``env.flush_all()``. The click is printed too;
- Odoo's: Odoo's own *Generate* wizard of the loyalty app
  (``loyalty.generate.wizard``, mode *Selected Customers*, the same
  customers, 20 points, the same validity), ``generate_coupons()`` and
  ``env.flush_all()``: N gift cards and their history, without Odoo's gift
  card email (``loyalty_no_mail``: it renders a PDF per card).

The script checks that each way made one card per customer, and that ours
queued one email per customer. It prints the wall time and SQL queries of each (per run,
then medians), the queries per card, and PASS or FAIL against the targets
(by default: ours at once at most 10 times the wizard's time, for what the
wizard does not do: the email with its message on each compensation, and the
compensations delivered; and at most 1.5 queries per card). Everything it writes is rolled back.

Run it on a database where ``crisis_management_loyalty`` is installed::

    .venv/bin/python benchmarks/bench_gift_cards.py -c /tmp/odoo_NAME.conf \\
        -d crisis_dev_NAME --n 1000 --runs 3

The exit status is 1 when a target or a check fails.
"""

import argparse
import contextlib
import sys
import time
from datetime import timedelta

import benchlib

from odoo import fields
from odoo.tools import SQL

STATEMENT = "<p>Some orders were shipped twice; every customer gets a gift card.</p>"
AMOUNT = 20.0
VALIDITY_DAYS = 365


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-c", "--config", required=True, help="Odoo configuration file")
    parser.add_argument("-d", "--database", default="crisis_bench", help="database to use")
    parser.add_argument("--n", type=int, default=1000, help="compensations (default 1000)")
    parser.add_argument("--runs", type=int, default=3, help="measurements of each (default 3)")
    parser.add_argument(
        "--max-ratio", type=float, default=10.0, help="target: time of ours / Odoo's wizard"
    )
    parser.add_argument(
        "--max-queries-per-card", type=float, default=1.5, help="target: SQL queries per card"
    )
    args = parser.parse_args(argv)
    if args.n < 1 or args.runs < 1:
        parser.error("--n and --runs must be at least 1")
    return args


def prepare(env, admin, n):
    """The customers, the crisis, the program and N approved voucher compensations."""
    partners = (
        env["res.partner"]
        .with_context(tracking_disable=True)
        .create(
            [
                {"name": f"Gift Card Customer {i:05d}", "email": f"gift{i:05d}@example.com"}
                for i in range(1, n + 1)
            ]
        )
    )
    crisis = env["crisis.crisis"].create(
        {"name": "Double shipments", "severity": "high", "public_statement": STATEMENT}
    )
    crisis.with_user(admin).action_approve_statement()
    env["crisis.impact"]._link_partners(crisis, partners.ids)
    program = env["loyalty.program"].create(
        {"name": "Benchmark Gift Cards", "program_type": "gift_card"}
    )
    crisis.company_id.write(
        {
            "crisis_voucher_loyalty": True,
            "crisis_voucher_program_id": program.id,
            "crisis_voucher_validity_days": VALIDITY_DAYS,
        }
    )
    compensations = env["crisis.compensation"]._propose_to(
        crisis.impact_ids, {"type": "voucher", "amount": AMOUNT}
    )
    # the superuser writes the workflow fields: approved, as an approver leaves them
    compensations.write(
        {"state": "approved", "approved_by_id": admin.id, "date_approved": fields.Datetime.now()}
    )
    env.flush_all()
    return partners, crisis, program, compensations


def counts(env, partner_ids, program, model):
    """(cards of the customers in the program, emails queued about ``model``)."""
    env.flush_all()
    env.cr.execute(
        SQL(
            "SELECT COUNT(*) FROM loyalty_card WHERE program_id = %s AND partner_id = ANY(%s)",
            program.id,
            partner_ids,
        )
    )
    cards = env.cr.fetchone()[0]
    env.cr.execute(
        SQL(
            """SELECT COUNT(*) FROM mail_mail mail
                 JOIN mail_message message ON message.id = mail.mail_message_id
                 JOIN mail_mail_res_partner_rel rel ON rel.mail_mail_id = mail.id
                WHERE message.model = %s AND mail.state = 'outgoing'
                  AND rel.res_partner_id = ANY(%s)""",
            model,
            partner_ids,
        )
    )
    return cards, env.cr.fetchone()[0]


def deliver_at_once(compensations):
    compensations.action_deliver()
    compensations.env.flush_all()


def deliver_in_background(compensations, click):
    env = compensations.env
    start = time.perf_counter()
    compensations.action_deliver_selection()
    env.flush_all()
    click["seconds"] = time.perf_counter() - start
    Job = env["crisis.compensation.delivery.job"].sudo()
    while Job.search_count([("state", "in", ("queued", "running"))]):
        Job._cron_deliver_compensations()
    env.flush_all()


def generate_odoo(env, program, partners):
    wizard = (
        env["loyalty.generate.wizard"]
        .with_context(loyalty_no_mail=True)
        .create(
            {
                "program_id": program.id,
                "mode": "selected",
                "customer_ids": [fields.Command.set(partners.ids)],
                "points_granted": AMOUNT,
                "valid_until": fields.Date.today() + timedelta(days=VALIDITY_DAYS),
            }
        )
    )
    env.flush_all()
    return wizard


def fmt(result, count):
    return benchlib.fmt(result, count, "card")


def main(argv=None):
    args = parse_args(argv)
    n = args.n
    problems = []
    with benchlib.rolled_back_env(args.config, args.database) as env:
        cr = env.cr
        admin = env.ref("base.user_admin")
        user_env = env(user=admin)
        print(f"Creating {n} customers, a crisis and {n} approved vouchers", flush=True)
        start = time.perf_counter()
        partners, crisis, program, compensations = prepare(env, admin, n)
        print(f"  done in {time.perf_counter() - start:.1f} s", flush=True)
        pids = partners.ids
        company = crisis.company_id
        results = []
        for run in range(1, args.runs + 1):
            once, background, odoo_, click = {}, {}, {}, {}
            with contextlib.closing(cr.savepoint()):
                env.invalidate_all()
                with benchlib.measure(cr, once):
                    deliver_at_once(compensations.with_env(user_env))
                got = counts(env, pids, program, "crisis.compensation")
                if got != (n, n):
                    problems.append(f"run {run}: at once made {got} (cards, emails), not {n}")
                env.invalidate_all()
            with contextlib.closing(cr.savepoint()):
                company.crisis_voucher_background_threshold = 0
                env.flush_all()
                env.invalidate_all()
                with benchlib.measure(cr, background):
                    deliver_in_background(compensations.with_env(user_env), click)
                background["click"] = click["seconds"]
                got = counts(env, pids, program, "crisis.compensation")
                if got != (n, n):
                    problems.append(f"run {run}: background made {got} (cards, emails), not {n}")
                env.invalidate_all()
            with contextlib.closing(cr.savepoint()):
                env.invalidate_all()
                # the superuser: loyalty alone gives no user rights on its wizard
                wizard = generate_odoo(env, program, partners)
                env.invalidate_all()
                with benchlib.measure(cr, odoo_):
                    wizard.generate_coupons()
                    env.flush_all()
                got = counts(env, pids, program, "loyalty.card")
                if got != (n, 0):
                    problems.append(f"run {run}: Odoo's wizard made {got} (cards, emails)")
                env.invalidate_all()
            results.append((once, background, odoo_))
            print(
                f"run {run}:  ours at once {fmt(once, n)}"
                f"   |   ours in the background {fmt(background, n)}"
                f" (click {background['click']:.3f} s)"
                f"   |   Odoo's wizard {fmt(odoo_, n)}",
                flush=True,
            )

        once = benchlib.medians(results, 0)
        background = benchlib.medians(results, 1)
        odoo_ = benchlib.medians(results, 2)
        ratio = once["seconds"] / odoo_["seconds"]
        click = benchlib.median_of(results, 1, "click")
        print(
            f"median: ours at once {fmt(once, n)}   |   in the background {fmt(background, n)}"
            f" (click {click:.3f} s)   |   Odoo's wizard {fmt(odoo_, n)}"
            f"\n  ours at once / Odoo's wizard: {ratio:.2f}x time,"
            f" {once['queries'] / odoo_['queries']:.3f}x queries"
        )
        if problems:
            print("\nCHECK FAILED:")
            for problem in problems:
                print(f"  {problem}")
        per_card = once["queries"] / n
        time_ok = ratio <= args.max_ratio
        queries_ok = per_card <= args.max_queries_per_card
        passed = not problems and time_ok and queries_ok
        print(
            f"\n{'PASS' if passed else 'FAIL'}: time ours/Odoo's {ratio:.2f}x"
            f" (target <= {args.max_ratio}x), {per_card:.3f} queries per card"
            f" (target <= {args.max_queries_per_card})"
        )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
