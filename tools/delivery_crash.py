"""A cron worker that dies in the middle of delivering its batch.

Run by tools/multiworker_send.sh (``make test``): a database holding one
crisis with N affected customers (600 by default) and a real SMTP server
(``live_odoo.CountingSink``). A sending job makes its batch of 500, commits
it and hands its emails to the SMTP server in groups of 50, one commit per
group; its process is killed (``os._exit``, as SIGKILL does: no rollback, no
cleanup) right after the SMTP server accepted the K-th email (130 by default)
and the journal recorded it, in the middle of the third group. Then Odoo's
mail queue sends what waits (as it will once the grace period is over). The
SMTP server must have received each customer of the batch exactly once, and
the database must say so: every notification of the batch sent, every trace
sent, nothing left in the journal.

Prints its figures, then PASS or FAIL (exit status 1).
"""

import argparse
import subprocess
import sys

import live_odoo

# the killed worker: its send job, stopped dead after the SMTP server accepted
# the K-th email and the journal recorded it
DIE_AFTER = """
import os
from odoo.addons.crisis_management.models import mail_mail

accepted = mail_mail.CrisisDelivery.accepted
count = [0]


def accepted_then_die(self, mails, *args):
    accepted(self, mails, *args)
    count[0] += len(mails)
    if count[0] >= {kill_after}:
        os._exit(9)


mail_mail.CrisisDelivery.accepted = accepted_then_die
wizard = env["crisis.notify.wizard"].create(
    {{"crisis_id": {crisis_id}, "kind": "initial", "audience": "all"}}
)
wizard.action_send()
env.cr.commit()
env["crisis.update"]._cron_send_updates()
print("NOT KILLED")
"""

# Odoo's mail queue, on what waits (as the scheduler does after the grace period)
SEND_WAITING = """
mails = env["mail.mail"].search(
    [("model", "=", "crisis.impact"), ("state", "=", "outgoing")]
)
print("WAITING", len(mails))
mails.send()
env.cr.commit()
"""


def log(message):
    print(f"[delivery-crash] {message}", flush=True)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--odoo-bin", required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--dsn", required=True, help="libpq connection string of the database")
    parser.add_argument("--customers", type=int, default=600)
    parser.add_argument("--kill-after", type=int, default=130)
    return parser.parse_args()


def shell(args, code, sink):
    """``code`` in ``odoo-bin shell``, its emails to ``sink``: (exit status, stdout)."""
    result = subprocess.run(
        [sys.executable, args.odoo_bin, "shell", "-c", args.config, "-d", args.db]
        + ["--no-http", "--log-level=warn", f"--smtp={live_odoo.HOST}"]
        + [f"--smtp-port={sink.port}"],
        input=code,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def batch_state(cursor, crisis_id):
    """(notifications sent, traces sent, journal rows, emails outgoing) of the crisis."""
    cursor.execute(
        """
        SELECT (SELECT COUNT(*) FROM mail_notification notification
                  JOIN mail_message message ON message.id = notification.mail_message_id
                  JOIN crisis_impact impact ON impact.id = message.res_id
                 WHERE message.model = 'crisis.impact' AND impact.crisis_id = %(crisis)s
                   AND notification.notification_status = 'sent'),
               (SELECT COUNT(*) FROM crisis_update_recipient recipient
                  JOIN crisis_update update ON update.id = recipient.update_id
                 WHERE update.crisis_id = %(crisis)s AND recipient.email_state = 'sent'),
               (SELECT COUNT(*) FROM crisis_mail_accepted),
               (SELECT COUNT(*) FROM mail_mail mail
                  JOIN mail_message message ON message.id = mail.mail_message_id
                 WHERE message.model = 'crisis.impact' AND mail.state = 'outgoing')
        """,
        {"crisis": crisis_id},
    )
    return cursor.fetchone()


def main():
    args = parse_args()
    crisis_id, count = live_odoo.prepare_crisis(
        args.odoo_bin, args.config, args.db, args.customers
    )
    log(f"prepared {count} affected customers")
    sink = live_odoo.CountingSink().start()
    failures = []
    connection = live_odoo.connect(args.dsn)
    try:
        cursor = connection.cursor()
        status, output = shell(
            args, DIE_AFTER.format(crisis_id=crisis_id, kill_after=args.kill_after), sink
        )
        sent, traced, journal, outgoing = batch_state(cursor, crisis_id)
        log(
            f"the sending job died (exit status {status}) after {sink.total} emails accepted:"
            f" {sent} notifications and {traced} traces committed as sent, {journal} in the"
            f" journal, {outgoing} emails waiting"
        )
        if status != 9:
            sys.stderr.write(output)
            failures.append(f"the sending job was not killed (exit status {status})")
        if sink.total != args.kill_after:
            failures.append(
                f"{sink.total} emails accepted before the kill, {args.kill_after} expected"
            )
        status, output = shell(args, SEND_WAITING, sink)
        if status:
            sys.stderr.write(output)
            failures.append(f"Odoo's mail queue failed (exit status {status})")
        waiting = [line for line in output.splitlines() if line.startswith("WAITING")]
        sent, traced, journal, outgoing = batch_state(cursor, crisis_id)
        log(
            f"Odoo's mail queue then sent what waited ({waiting[-1] if waiting else '?'} emails):"
            f" {sink.total} accepted for {len(sink.received)} customers; {sent} notifications"
            f" and {traced} traces sent, {journal} in the journal, {outgoing} waiting"
        )
        batch = min(500, args.customers)
        if sink.total != batch or len(sink.received) != batch:
            failures.append(
                f"{sink.total} emails accepted for {len(sink.received)} customers,"
                f" {batch} expected once each"
            )
        if duplicates := sink.duplicates():
            failures.append(f"{len(duplicates)} customers received the update twice or more")
        if (sent, traced, journal, outgoing) != (batch, batch, 0, 0):
            failures.append(
                f"{sent} notifications and {traced} traces sent, {journal} journal rows,"
                f" {outgoing} waiting: {batch}, {batch}, 0 and 0 expected"
            )
    finally:
        connection.close()
        sink.stop()
    return live_odoo.verdict(log, failures)


if __name__ == "__main__":
    sys.exit(main())
