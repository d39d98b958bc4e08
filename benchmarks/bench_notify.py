"""Benchmark: email N affected customers end to end, ours against Odoo's composer.

Creates N contacts with an email address (about 3% without one, about 2% on
the email blacklist), a crisis (not a drill) with an approved public
statement, and links every contact to it (``crisis.impact._link_partners``).
Then, R times, each inside a savepoint rolled back afterwards:

- ours, end to end: the "Notify Customers" wizard (``crisis.notify.wizard``,
  kind "initial", audience "all", template ``mail_template_impact_initial``),
  with the company's background threshold at 0 so that the send goes through
  the sending job as a large one does: the click (``action_send()``), then
  the job (``crisis.update._cron_send_updates``) called until no customer is
  left, as one cron worker would, and the final ``env.flush_all()``. The
  click alone is printed too. The wizard is created and its counters read
  before the clock starts (printed apart);
- Odoo's: Odoo's own mass-mail composer (``mail.compose.message`` in
  ``mass_mail`` mode) **on the same affected-customer lines with the same
  template and notification layout**, ``action_send_mail()`` and
  ``env.flush_all()``; it never sends at once (``force_send`` off: the mail
  queue, like ours). Ours does more: a message on each line (chatter,
  replies), its notification, and the template's recipients as Odoo's
  ``message_post`` makes them.

Both run as user Administrator (a Crisis Manager) on an empty record cache,
like a request. The script checks that each way queued one email per customer
with a valid, non-blacklisted address (the composer also writes cancelled
emails for the others) and that both gave the same subject and body to the
first such customer. It prints the wall time and SQL queries of each (per run,
then medians), the queries per email queued, the ratio ours/Odoo's, and PASS or
FAIL against the targets: ours at most half the composer's time, and at most
0.5 queries per email. Everything it writes is rolled back. Several cron
workers at once are measured on a real server by ``tools/multiworker_send.py``.

Run it with ``make bench BENCH_SCRIPTS=notify`` (``BENCH_ARGS="--n 2000"``) or
``bash tools/bench.sh`` after ``export BENCH_SCRIPTS=notify``. ``--profile``
adds one cProfile run of each way. The exit status is 1 when a target or a
check fails.
"""

import contextlib
import cProfile
import io
import pstats
import re
import sys
import time
from unittest.mock import patch

import benchlib

from odoo.tools import SQL, html2plaintext

NO_EMAIL_EVERY = 33  # about 3% of the customers have no email address
BLACKLIST_EVERY = 50  # about 2% are on the email blacklist
TEMPLATE_XMLID = "crisis_management.mail_template_impact_initial"
STATEMENT = (
    "<p>A software update of our payment terminals failed on Monday night: card payments "
    "were refused for six hours. No card data was exposed. The update is rolled back and "
    "every refused payment can be made again with no extra charge.</p>"
)


def parse_args(argv):
    return benchlib.comparison_args(argv, __doc__.split("\n", 1)[0], "email", max_ratio=0.5)


# ----------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------


def create_customers(env, n):
    """N contacts; some without email, some blacklisted. Returns (ids, ids emailed)."""
    values = []
    blacklisted = []
    for i in range(1, n + 1):
        email = False if i % NO_EMAIL_EVERY == 0 else f"notify{i:05d}@bench.example.com"
        values.append({"name": f"Notified Customer {i:05d}", "email": email})
        if email and i % BLACKLIST_EVERY == 0:
            blacklisted.append(email)
    partners = env["res.partner"].with_context(tracking_disable=True).create(values)
    env["mail.blacklist"].create([{"email": email} for email in blacklisted])
    env.flush_all()
    emailed = [
        partner.id
        for partner, vals in zip(partners, values, strict=True)
        if vals["email"] and vals["email"] not in blacklisted
    ]
    return partners.ids, emailed


def create_crisis(env, admin, partner_ids):
    crisis = env["crisis.crisis"].create(
        {
            "name": "Payment terminals down",
            "severity": "high",
            "public_statement": STATEMENT,
        }
    )
    crisis.with_user(admin).action_approve_statement()
    env["crisis.impact"]._link_partners(crisis, partner_ids)
    env.flush_all()
    return crisis


# ----------------------------------------------------------------------
# The two ways
# ----------------------------------------------------------------------


def open_wizard(env, crisis):
    wizard = (
        env["crisis.notify.wizard"]
        .with_context(default_crisis_id=crisis.id)
        .create({"kind": "initial"})
    )
    counts = (wizard.recipient_count, wizard.no_email_count, wizard.blacklisted_count)
    env.flush_all()
    return wizard, counts


def send_ours(wizard, click):
    """The click, then the sending job until nothing is left; ``click`` gets the click's time."""
    start = time.perf_counter()
    wizard.action_send()
    wizard.env.flush_all()
    click["seconds"] = time.perf_counter() - start
    Update = wizard.env["crisis.update"].sudo()
    # the emails are made and queued, as the composer's are; their delivery
    # to an SMTP server (which commits) is bench_delivery.py's measure
    with patch.object(type(Update), "_crisis_deliver", lambda self, messages: None):
        while Update._crisis_count_pending():
            Update._cron_send_updates()
        Update._cron_send_updates()  # the last call closes the update
    wizard.env.flush_all()


def open_composer(env, template, impact_ids):
    composer = (
        env["mail.compose.message"]
        .with_context(active_model="crisis.impact", active_ids=impact_ids)
        .create(
            {
                "composition_mode": "mass_mail",
                "model": "crisis.impact",
                "res_ids": repr(impact_ids),
                "template_id": template.id,
                "force_send": False,
                # the same notification layout as ours
                "email_layout_xmlid": "mail.mail_notification_light",
            }
        )
    )
    env.flush_all()
    return composer


def send_odoo(composer):
    composer.action_send_mail()
    composer.env.flush_all()


def queued(env, model, res_ids):
    """{state: count} of the emails queued for the records, and one sample (partner order)."""
    env.cr.execute(
        SQL(
            """
            SELECT mail.state, COUNT(*) FROM mail_mail mail
              JOIN mail_message message ON message.id = mail.mail_message_id
             WHERE message.model = %s AND message.res_id = ANY(%s)
          GROUP BY mail.state
            """,
            model,
            list(res_ids),
        )
    )
    return dict(env.cr.fetchall())


def sample(env, model, res_id):
    env.cr.execute(
        SQL(
            """
            SELECT message.subject, mail.body_html FROM mail_mail mail
              JOIN mail_message message ON message.id = mail.mail_message_id
             WHERE message.model = %s AND message.res_id = %s
            """,
            model,
            res_id,
        )
    )
    row = env.cr.fetchone()
    return row and (row[0], plain(row[1]))


def plain(html):
    """The text of ``html`` on one line, without the numbered references of its
    links (their numbers depend on the links the layout adds before the body)."""
    text = html2plaintext(html or "")
    text = re.sub(r"\n\[\d+\] \S+", "", text)  # the list of references at the end
    text = re.sub(r" ?\[\d+\]", "", text)  # their marks in the text
    return re.sub(r"\s+", " ", text).strip()


def profile(label, func, top):
    profiler = cProfile.Profile()
    profiler.enable()
    func()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    print(f"\ncProfile of {label} (top {top} by cumulative time):")
    print(out.getvalue())


# ----------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------


def fmt(result, count):
    return benchlib.fmt(result, count, "email")


def main(argv=None):
    args = parse_args(argv)
    n = args.n
    problems = []
    with benchlib.rolled_back_env(args.config, args.database) as env:
        cr = env.cr
        admin = env.ref("base.user_admin")
        user_env = env(user=admin)
        print(
            f"Creating {n} customers (1 in {NO_EMAIL_EVERY} without email, 1 in"
            f" {BLACKLIST_EVERY} blacklisted), a crisis with an approved statement,"
            " and linking them",
            flush=True,
        )
        start = time.perf_counter()
        partner_ids, emailed_ids = create_customers(env, n)
        crisis = create_crisis(env, admin, partner_ids)
        template = env.ref(TEMPLATE_XMLID)
        # every send through the sending job, as a large one goes
        crisis.company_id.crisis_send_background_threshold = 0
        env.flush_all()
        emails = len(emailed_ids)
        print(
            f"  done in {time.perf_counter() - start:.1f} s: {emails} to email,"
            f" {n - emails} to skip; sender {admin.login}",
            flush=True,
        )
        impacts = env["crisis.impact"].search([("crisis_id", "=", crisis.id)])
        impact_ids = impacts.ids
        first_impact = impacts.filtered(lambda i: i.partner_id.id == partner_ids[0]).id
        if len(impact_ids) != n:
            problems.append(f"{len(impact_ids)} customers linked instead of {n}")

        results = []
        samples = {}
        for run in range(1, args.runs + 1):
            ours, opening, odoo_, click = {}, {}, {}, {}
            with contextlib.closing(cr.savepoint()):
                env.invalidate_all()
                with benchlib.measure(cr, opening):
                    wizard, counts = open_wizard(user_env, crisis)
                if counts != (emails, n // NO_EMAIL_EVERY, n - emails - n // NO_EMAIL_EVERY):
                    problems.append(f"run {run}: wizard counters {counts}")
                env.invalidate_all()  # sending is another request
                with benchlib.measure(cr, ours):
                    send_ours(wizard, click)
                ours["click"] = click["seconds"]
                env.invalidate_all()
                states = queued(env, "crisis.impact", impact_ids)
                if states != {"outgoing": emails}:
                    problems.append(f"run {run}: ours queued {states}, not {emails} emails")
                samples.setdefault("ours", sample(env, "crisis.impact", first_impact))
                env.invalidate_all()
            with contextlib.closing(cr.savepoint()):
                env.invalidate_all()
                composer = open_composer(user_env, template, impact_ids)
                env.invalidate_all()
                with benchlib.measure(cr, odoo_):
                    send_odoo(composer)
                env.invalidate_all()
                states = queued(env, "crisis.impact", impact_ids)
                if states.get("outgoing") != emails or sum(states.values()) != n:
                    problems.append(f"run {run}: the composer queued {states}")
                samples.setdefault("odoo", sample(env, "crisis.impact", first_impact))
                env.invalidate_all()
            results.append((ours, odoo_, opening))
            print(
                f"run {run}:  ours {fmt(ours, emails)} (click {ours['click']:.3f} s)"
                f"   |   Odoo's composer"
                f" {fmt(odoo_, emails)}   |   ours/Odoo's"
                f" {ours['seconds'] / odoo_['seconds']:5.2f}x",
                flush=True,
            )

        ours = benchlib.medians(results, 0)
        ours_click = benchlib.median_of(results, 0, "click")
        odoo_ = benchlib.medians(results, 1)
        opening = benchlib.medians(results, 2)
        ratio = ours["seconds"] / odoo_["seconds"]
        print(
            f"median: ours {fmt(ours, emails)}   |   Odoo's composer {fmt(odoo_, emails)}"
            f"   |   ours/Odoo's {ratio:5.2f}x"
            f"\n  ours: the click returned in {ours_click:.3f} s, the sending job did the rest"
            f"\n  queries ours/Odoo's {ours['queries'] / odoo_['queries']:.4f};"
            f" not timed: opening the wizard and reading its counters"
            f" {opening['seconds']:.3f} s, {opening['queries']:g} queries"
        )

        # customer 1 has an email address: both ways wrote to them the same
        # subject and the same rendered template, each in the layout (ours
        # names the line in the layout's header, as message_post does; the
        # composer's mass mail has no message to name it)
        expected = plain(
            template.with_context(crisis_update_body=crisis.public_statement)._render_field(
                "body_html", [first_impact]
            )[first_impact]
        )
        ours_sample, odoo_sample = samples.get("ours"), samples.get("odoo")
        if (
            ours_sample
            and odoo_sample
            and ours_sample[0] == odoo_sample[0]
            and expected in ours_sample[1]
            and expected in odoo_sample[1]
        ):
            print(
                f"check: both ways gave customer 1 the same subject and template body:"
                f" {emails} emails queued by each"
            )
        else:
            problems.append(
                f"different text for customer 1:\n  ours: {ours_sample}"
                f"\n  Odoo: {odoo_sample}\n  template: {expected}"
            )
        if problems:
            print("\nCHECK FAILED:")
            for problem in problems:
                print(f"  {problem}")

        per_email = ours["queries"] / emails
        time_ok = ratio <= args.max_ratio
        queries_ok = per_email <= args.max_queries_per_email
        passed = not problems and time_ok and queries_ok
        print(
            f"\ntargets for {emails} emails to {n} customers (medians of {args.runs} runs):"
            f"\n  time    {'PASS' if time_ok else 'FAIL'}: ours {ours['seconds']:.3f} s,"
            f" Odoo's composer {odoo_['seconds']:.3f} s, ratio {ratio:.2f}"
            f" (target <= {args.max_ratio:g})"
            f"\n  queries {'PASS' if queries_ok else 'FAIL'}: ours {ours['queries']:g}"
            f" queries, {per_email:.4f} per email (target <= {args.max_queries_per_email:g});"
            f" Odoo's composer {odoo_['queries']:g}, {odoo_['queries'] / emails:.4f} per email"
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
