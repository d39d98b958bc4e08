"""Benchmark: text N affected customers end to end, ours against Odoo's SMS composer.

Creates N contacts with a mobile number (about 3% without one, about 2% on
the phone blacklist), a crisis (not a drill) with an approved public
statement, and links every contact to it (``crisis.impact._link_partners``).
Then, R times, each inside a savepoint rolled back afterwards:

- ours, end to end: the "Notify Customers" wizard (``crisis.notify.wizard``,
  kind "initial", audience "all", channel "SMS", template
  ``crisis_management_sms.sms_template_impact_initial``), with the company's
  background threshold at 0 so that the send goes through the sending job as
  a large one does: the click (``action_send()``), then the job
  (``crisis.update._cron_send_updates``) called until no customer is left, and
  the final ``env.flush_all()``. The click alone is printed too;
- Odoo's: Odoo's own SMS composer (``sms.composer``, ``composition_mode``
  ``mass``, ``res_model`` ``crisis.impact``, ``res_ids`` the same lines, the
  same template, blacklist on, a log kept on each line, not sent at once),
  ``action_send_sms()`` and ``env.flush_all()``.

Both leave the SMS in Odoo's queue (``sms.sms`` *outgoing*), sent later by
Odoo's SMS scheduled action. Ours also gives each SMS its notification and
tracker (the delivery state on the line) and records the send on a
``crisis.update`` with its counts; the composer also writes cancelled
``sms.sms`` for the customers it skips. The script checks that each way
queued one SMS per customer with a valid, non-blacklisted number and that both
gave the same text to the first customer. It prints the wall time and SQL
queries of each (per run, then medians), the queries per SMS, the ratio
ours/Odoo's, and PASS or FAIL against the targets (by default: ours at most
twice the composer's time, for the notification and tracker it adds to
each SMS, and at most 0.5 queries per SMS). Everything it writes is rolled
back.

Run it with ``make bench BENCH_SCRIPTS=sms`` (``BENCH_ARGS="--n 2000"``) on a
database where ``crisis_management_sms`` is installed. The exit status is 1
when a target or a check fails.
"""

import contextlib
import cProfile
import io
import pstats
import sys
import time

import benchlib

from odoo.tools import SQL

NO_MOBILE_EVERY = 33  # about 3% of the customers have no mobile number
BLACKLIST_EVERY = 50  # about 2% are on the phone blacklist
TEMPLATE_XMLID = "crisis_management_sms.sms_template_impact_initial"
STATEMENT = (
    "<p>A software update of our payment terminals failed on Monday night: card payments "
    "were refused for six hours. No card data was exposed.</p>"
)


def parse_args(argv):
    return benchlib.comparison_args(argv, __doc__.split("\n", 1)[0], "sms", max_ratio=2.0)


def create_customers(env, n):
    """N contacts; some without mobile, some blacklisted. Returns (ids, numbers texted)."""
    values = []
    blacklisted = []
    for i in range(1, n + 1):
        # E.164 already: the same number with or without the phonenumbers library
        mobile = False if i % NO_MOBILE_EVERY == 0 else f"+32470{i:06d}"
        values.append({"name": f"Texted Customer {i:05d}", "mobile": mobile})
        if mobile and i % BLACKLIST_EVERY == 0:
            blacklisted.append(mobile)
    partners = env["res.partner"].with_context(tracking_disable=True).create(values)
    env["phone.blacklist"].sudo()._add(blacklisted)
    env.flush_all()
    texted = [
        vals["mobile"] for vals in values if vals["mobile"] and vals["mobile"] not in blacklisted
    ]
    return partners.ids, texted


def create_crisis(env, admin, partner_ids):
    crisis = env["crisis.crisis"].create(
        {"name": "Payment terminals down", "severity": "high", "public_statement": STATEMENT}
    )
    crisis.with_user(admin).action_approve_statement()
    env["crisis.impact"]._link_partners(crisis, partner_ids)
    env.flush_all()
    return crisis


def open_wizard(env, crisis):
    wizard = (
        env["crisis.notify.wizard"]
        .with_context(default_crisis_id=crisis.id)
        .create({"kind": "initial", "channel": "sms"})
    )
    counts = (wizard.sms_count, wizard.no_mobile_count, wizard.phone_blacklisted_count)
    env.flush_all()
    return wizard, counts


def send_ours(wizard, click):
    start = time.perf_counter()
    wizard.action_send()
    wizard.env.flush_all()
    click["seconds"] = time.perf_counter() - start
    Update = wizard.env["crisis.update"].sudo()
    while Update._crisis_count_pending():
        Update._cron_send_updates()
    Update._cron_send_updates()  # the last call closes the update
    wizard.env.flush_all()


def open_composer(env, template, impact_ids):
    composer = env["sms.composer"].create(
        {
            "composition_mode": "mass",
            "res_model": "crisis.impact",
            "res_ids": repr(impact_ids),
            "template_id": template.id,
            "mass_keep_log": True,
            "mass_use_blacklist": True,
            "mass_force_send": False,
        }
    )
    env.flush_all()
    return composer


def send_odoo(composer):
    composer.action_send_sms()
    composer.env.flush_all()


def queued(env, partner_ids):
    """{state: count} of the SMS to the customers."""
    env.cr.execute(
        SQL(
            "SELECT state, COUNT(*) FROM sms_sms WHERE partner_id = ANY(%s) GROUP BY state",
            list(partner_ids),
        )
    )
    return dict(env.cr.fetchall())


def sample(env, partner_id):
    env.cr.execute(
        SQL("SELECT body FROM sms_sms WHERE partner_id = %s AND state = 'outgoing'", partner_id)
    )
    row = env.cr.fetchone()
    return row and row[0]


def profile(label, func, top):
    profiler = cProfile.Profile()
    profiler.enable()
    func()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    print(f"\ncProfile of {label} (top {top} by cumulative time):")
    print(out.getvalue())


def fmt(result, count):
    return benchlib.fmt(result, count, "SMS")


def main(argv=None):
    args = parse_args(argv)
    n = args.n
    problems = []
    with benchlib.rolled_back_env(args.config, args.database) as env:
        cr = env.cr
        admin = env.ref("base.user_admin")
        user_env = env(user=admin)
        print(
            f"Creating {n} customers (1 in {NO_MOBILE_EVERY} without mobile, 1 in"
            f" {BLACKLIST_EVERY} phone blacklisted), a crisis, and linking them",
            flush=True,
        )
        start = time.perf_counter()
        partner_ids, texted = create_customers(env, n)
        crisis = create_crisis(env, admin, partner_ids)
        template = env.ref(TEMPLATE_XMLID)
        crisis.company_id.crisis_send_background_threshold = 0
        env.flush_all()
        sms = len(texted)
        print(f"  done in {time.perf_counter() - start:.1f} s: {sms} to text", flush=True)
        impacts = env["crisis.impact"].search([("crisis_id", "=", crisis.id)])
        impact_ids = impacts.ids

        results = []
        samples = {}
        for run in range(1, args.runs + 1):
            ours, odoo_, click = {}, {}, {}
            with contextlib.closing(cr.savepoint()):
                env.invalidate_all()
                wizard, counts = open_wizard(user_env, crisis)
                if counts[0] != sms:
                    problems.append(f"run {run}: wizard counters {counts}")
                env.invalidate_all()
                with benchlib.measure(cr, ours):
                    send_ours(wizard, click)
                ours["click"] = click["seconds"]
                env.invalidate_all()
                states = queued(env, partner_ids)
                if states != {"outgoing": sms}:
                    problems.append(f"run {run}: ours queued {states}, not {sms} SMS")
                samples.setdefault("ours", sample(env, partner_ids[0]))
                env.invalidate_all()
            with contextlib.closing(cr.savepoint()):
                env.invalidate_all()
                composer = open_composer(user_env, template, impact_ids)
                env.invalidate_all()
                with benchlib.measure(cr, odoo_):
                    send_odoo(composer)
                env.invalidate_all()
                states = queued(env, partner_ids)
                if states.get("outgoing") != sms:
                    problems.append(f"run {run}: the composer queued {states}")
                samples.setdefault("odoo", sample(env, partner_ids[0]))
                env.invalidate_all()
            results.append((ours, odoo_))
            print(
                f"run {run}:  ours {fmt(ours, sms)} (click {ours['click']:.3f} s)"
                f"   |   Odoo's SMS composer {fmt(odoo_, sms)}"
                f"   |   ours/Odoo's {ours['seconds'] / odoo_['seconds']:5.2f}x",
                flush=True,
            )

        ours = benchlib.medians(results, 0)
        odoo_ = benchlib.medians(results, 1)
        ratio = ours["seconds"] / odoo_["seconds"]
        click = benchlib.median_of(results, 0, "click")
        print(
            f"median: ours {fmt(ours, sms)}   |   Odoo's SMS composer {fmt(odoo_, sms)}"
            f"   |   ours/Odoo's {ratio:5.2f}x"
            f"\n  ours: the click returned in {click:.3f} s, the job did the rest"
            f"\n  queries ours/Odoo's {ours['queries'] / odoo_['queries']:.4f}"
        )
        if samples.get("ours") and samples.get("ours") == samples.get("odoo"):
            print(f"check: both ways gave customer 1 the same text: {samples['ours']!r}")
        else:
            problems.append(f"different text for customer 1: {samples}")
        if problems:
            print("\nCHECK FAILED:")
            for problem in problems:
                print(f"  {problem}")
        per_sms = ours["queries"] / sms
        time_ok = ratio <= args.max_ratio
        queries_ok = per_sms <= args.max_queries_per_sms
        passed = not problems and time_ok and queries_ok
        print(
            f"\ntargets for {sms} SMS to {n} customers (medians of {args.runs} runs):"
            f"\n  time    {'PASS' if time_ok else 'FAIL'}: ratio {ratio:.2f}"
            f" (target <= {args.max_ratio:g})"
            f"\n  queries {'PASS' if queries_ok else 'FAIL'}: {per_sms:.4f} per SMS"
            f" (target <= {args.max_queries_per_sms:g})"
            f"\n  overall {'PASS' if passed else 'FAIL'}"
        )
        if args.profile:
            with contextlib.closing(cr.savepoint()):
                wizard, _counts = open_wizard(user_env, crisis)
                env.invalidate_all()
                profile("ours: click and job", lambda: send_ours(wizard, {}), args.top)
                env.invalidate_all()
            with contextlib.closing(cr.savepoint()):
                composer = open_composer(user_env, template, impact_ids)
                env.invalidate_all()
                profile("Odoo's composer", lambda: send_odoo(composer), args.top)
                env.invalidate_all()
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
