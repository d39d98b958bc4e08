"""Large customer updates: queued at the click, emailed by the sending jobs."""

import contextlib

import odoo
from odoo import Command
from odoo.tests import tagged

from odoo.addons.base.tests.test_ir_cron import CronMixinCase
from odoo.addons.mail.tests.common import MockEmail

from .common import CrisisCase

STATEMENT = "<p>Some orders were shipped twice. You will be refunded.</p>"


@tagged("post_install", "-at_install")
class TestBackgroundSend(CronMixinCase, CrisisCase, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.crisis_send_background_threshold = 5
        cls.crisis = cls._create_crisis(user=cls.user_crisis, public_statement=STATEMENT)
        cls.crisis.with_user(cls.user_manager).action_approve_statement()
        cls.partners = cls.env["res.partner"].create(
            [{"name": f"Customer {i:02d}", "email": f"bg{i}@example.com"} for i in range(20)]
            + [{"name": "No Email"}]
        )
        cls.env["mail.blacklist"].create({"email": "bg15@example.com"})
        cls.impacts = cls.env["crisis.impact"].create(
            [{"crisis_id": cls.crisis.id, "partner_id": p.id} for p in cls.partners]
        )
        cls.Update = cls.env["crisis.update"]

    def _send(self, audience="all", **values):
        wizard = (
            self.env["crisis.notify.wizard"]
            .with_user(self.user_crisis)
            .with_context(default_crisis_id=self.crisis.id)
            .create({"kind": "progress", "audience": audience, **values})
        )
        with self.capture_triggers() as capture:
            action = wizard.action_send()
        return action, self.crisis.update_ids[:1], capture

    def _emails_of(self, impacts):
        """The messages emailed on ``impacts``: the sending job hands their
        emails to the mail server, which deletes them once sent, as Odoo does;
        their notifications stay."""
        return (
            self.env["mail.notification"]
            .sudo()
            .search(
                [
                    ("notification_type", "=", "email"),
                    ("mail_message_id.model", "=", "crisis.impact"),
                    ("mail_message_id.res_id", "in", impacts.ids),
                ]
            )
            .mail_message_id
        )

    def _run_job(self, batch_size=4, calls=50):
        for _call in range(calls):
            self.Update._cron_send_updates(batch_size=batch_size)
            if not self.Update._crisis_count_pending():
                break
        self.Update._cron_send_updates(batch_size=batch_size)

    def test_large_send_is_queued_then_sent_in_batches(self):
        action, update, capture = self._send()
        self.assertIsInstance(action, dict)
        self.assertIn("background", action["params"]["message"])
        self.assertEqual(update.state, "queued")
        self.assertEqual(update.total_count, 21)
        self.assertEqual(update.sent_count, 0)
        # the audience is frozen on the update, its rows are made by the job
        self.assertFalse(update.recipient_ids, "one row written at the click")
        self.assertFalse(self._emails_of(self.impacts), "nothing at the click")
        # the four sending jobs were woken up
        crons = capture.records.cron_id
        self.assertEqual(len(crons), 4)
        self.assertEqual(set(crons.mapped("code")), {"model._cron_send_updates()"})

        self.Update._cron_send_updates(batch_size=4)
        self.assertEqual(update.state, "sending")
        self.assertAlmostEqual(update.progress, 100 * 4 / 21)
        self.assertEqual(len(self._emails_of(self.impacts)), 4)

        self._run_job()
        self.assertEqual(update.state, "sent")
        self.assertEqual(update.progress, 100)
        # each job handed its own batches to the mail server: nothing waits
        # for Odoo's mail queue
        self.assertEqual((update.queued_count, update.sent_count), (0, 19))
        self.assertFalse(
            self.env["mail.mail"].search(
                [("model", "=", "crisis.impact"), ("state", "=", "outgoing")]
            )
        )
        self.assertEqual(update.no_email_count, 1)
        self.assertEqual(update.blacklisted_count, 1)
        self.assertEqual(update.failed_count, 0)
        self.assertTrue(update.date_done)
        emails = self._emails_of(self.impacts)
        self.assertEqual(len(emails), 19, "each customer with an address once")
        self.assertEqual(len(emails.partner_ids), 19)
        sent = self.impacts.filtered(lambda i: i.last_update_id == update)
        self.assertEqual(len(sent), 19)
        # the emails are the sender's, not the scheduler's
        self.assertEqual(emails.mapped("author_id"), self.user_crisis.partner_id)
        # and the crisis says so
        self.assertIn(
            "19 customer(s) emailed", self.crisis.message_ids[:1].body, "note on the crisis"
        )
        # notified once the reach job applied what the mail server reported
        self.assertEqual(set(sent.mapped("contact_status")), {"to_contact"})
        self._crisis_apply_reach()
        self.assertEqual(set(sent.mapped("contact_status")), {"notified"})

    def test_audience_is_frozen_at_the_click(self):
        _action, update, _capture = self._send(audience="not_contacted")
        self.assertEqual(update.total_count, 21)
        # a customer added afterwards is not in this send
        late = self.env["crisis.impact"].create(
            {
                "crisis_id": self.crisis.id,
                "partner_id": self.env["res.partner"]
                .create({"name": "Late", "email": "late@example.com"})
                .id,
            }
        )
        self._run_job()
        self.assertEqual(update.state, "sent")
        self.assertEqual(update.sent_count, 19)
        self.assertFalse(self._emails_of(late))
        self.assertEqual(late.contact_status, "to_contact")

    def test_small_send_stays_immediate(self):
        _action, update, _capture = self._send(
            audience="selection", impact_ids=[Command.set(self.impacts[:5].ids)]
        )
        self.assertEqual(update.state, "sent")
        self.assertEqual(update.queued_count, 5)
        self.assertEqual(len(self._emails_of(self.impacts[:5])), 5)

    def test_a_failing_batch_loses_nothing(self):
        """A worker dying mid-batch: its transaction is gone, the customers stay to send."""
        _action, update, _capture = self._send()
        # a worker dies while making the audience's rows: they are made again
        with self.assertRaises(ZeroDivisionError):
            with self.env.cr.savepoint():
                self.Update._crisis_expand_frozen()
                self.assertEqual(len(update.recipient_ids), 21)
                raise ZeroDivisionError
        self.env.invalidate_all()
        self.assertFalse(update.recipient_ids)
        self.Update._crisis_expand_frozen()
        self.Update._crisis_expand_frozen()  # once only
        self.env.invalidate_all()
        self.assertEqual(len(update.recipient_ids), 21)
        with self.assertRaises(ZeroDivisionError):
            with self.env.cr.savepoint():
                self.Update._crisis_lock_pending(4)
                self.env["crisis.update.recipient"].search(
                    [("update_id", "=", update.id)], limit=4
                ).impact_id._mark_contacted(update, odoo.fields.Datetime.now())
                raise ZeroDivisionError  # the worker is killed here
        self.env.invalidate_all()
        self.assertEqual(update.recipient_ids.mapped("state"), ["pending"] * 21)
        self._run_job()
        self.assertEqual(update.state, "sent")
        self.assertEqual(len(self._emails_of(self.impacts)), 19)

    def test_customers_whose_email_cannot_be_made_are_counted_failed(self):
        _action, update, _capture = self._send()
        bad = self.impacts[:4]
        original = type(self.env["crisis.update"])._crisis_email

        def failing(update_self, recipients):
            if recipients.impact_id & bad:
                raise ValueError("cannot render")
            return original(update_self, recipients)

        with (
            odoo.tests.common.patch.object(
                type(self.env["crisis.update"]), "_crisis_email", failing
            ),
            odoo.tools.mute_logger("odoo.addons.crisis_management.models.crisis_update"),
        ):
            self._run_job()
        self.assertEqual(update.state, "sent")
        self.assertEqual(update.failed_count, 4)
        self.assertEqual(update.sent_count + update.skipped_count, 17)
        self.assertFalse(self._emails_of(bad))

    def test_statement_back_to_draft_pauses_the_send(self):
        _action, update, _capture = self._send()
        self.Update._cron_send_updates(batch_size=4)
        self.crisis.with_user(self.user_manager).write({"public_statement": "<p>Changed</p>"})
        self.assertEqual(self.crisis.statement_state, "draft")
        self.assertEqual(self.Update._crisis_count_pending(), 0, "nothing left that may go")
        self._run_job()
        self.assertEqual(len(self._emails_of(self.impacts)), 4, "no unapproved text goes out")
        self.assertEqual(update.state, "sending")
        self.crisis.with_user(self.user_manager).action_approve_statement()
        self._run_job()
        self.assertEqual(update.state, "sent")
        self.assertEqual(len(self._emails_of(self.impacts)), 19)

    def test_a_manager_stops_a_send(self):
        _action, update, _capture = self._send()
        self.Update._cron_send_updates(batch_size=4)
        with self.assertRaises(odoo.exceptions.AccessError):
            update.with_user(self.user_crisis).action_cancel()
        self.assertIs(update.with_user(self.user_manager).action_cancel(), True)
        self.assertEqual(update.state, "cancelled")
        # the crisis says so, as for every work stopped in the background
        self.assertIn(
            "was stopped by Marc Crisis-Manager: 4 of 21 customer(s) emailed",
            self.crisis.message_ids[:1].body,
        )
        self.assertEqual(self.crisis.message_ids[:1].author_id, self.user_manager.partner_id)
        self._run_job()
        self.assertEqual(len(self._emails_of(self.impacts)), 4)
        self.assertEqual(sorted(set(update.recipient_ids.mapped("state"))), ["cancelled", "sent"])

    def test_stopped_before_the_job_starts_nobody_is_emailed(self):
        _action, update, _capture = self._send()
        update.with_user(self.user_manager).action_cancel()
        self._run_job()
        self.assertEqual(update.state, "cancelled")
        self.assertFalse(self._emails_of(self.impacts))
        self.assertFalse(update.recipient_ids)
        self.assertEqual(self.Update._crisis_count_pending(), 0)

    def _committed_send(self, connect, name):
        """A queued send to 12 customers, committed on a real connection (which
        sees only committed data): the ids of what it made."""
        with connect.cursor() as setup_cr:
            # never wait for this test's own transaction
            setup_cr.execute("SET lock_timeout = '5s'")
            env = odoo.api.Environment(setup_cr, odoo.SUPERUSER_ID, {})
            crisis = env["crisis.crisis"].create({"name": name, "public_statement": STATEMENT})
            crisis.with_user(env.ref("base.user_admin")).action_approve_statement()
            partners = env["res.partner"].create(
                [{"name": f"{name} {i}", "email": f"wt{i}@example.com"} for i in range(12)]
            )
            impacts = env["crisis.impact"].create(
                [{"crisis_id": crisis.id, "partner_id": p.id} for p in partners]
            )
            # queued as the notify wizard does above the threshold (this test's
            # transaction holds the company, whose threshold it changed)
            update = (
                env["crisis.update"]
                .sudo()
                .create(
                    {
                        "crisis_id": crisis.id,
                        "name": name,
                        "kind": "progress",
                        "template_id": env.ref(
                            "crisis_management.mail_template_impact_progress"
                        ).id,
                    }
                )
            )
            env["crisis.update.recipient"]._crisis_insert(update, impacts)
            setup_cr.commit()
            return {
                "crisis": crisis.id,
                "update": update.id,
                "impacts": impacts.ids,
                "partners": partners.ids,
            }

    def _remove_committed_send(self, connect, ids):
        with connect.cursor() as cleanup_cr:
            cleanup_cr.execute("SET lock_timeout = '5s'")
            env = odoo.api.Environment(cleanup_cr, odoo.SUPERUSER_ID, {})
            env["mail.message"].search(
                [("model", "=", "crisis.impact"), ("res_id", "in", ids["impacts"])]
            ).unlink()
            env["crisis.crisis"].browse(ids["crisis"]).unlink()
            env["res.partner"].browse(ids["partners"]).unlink()
            cleanup_cr.commit()

    @contextlib.contextmanager
    def _two_workers(self, name):
        """Two cron workers' transactions (real connections) on a committed
        send named ``name``: (its ids, the first's env, the second's env); the
        send is removed at the end."""
        connect = odoo.sql_db.db_connect(self.env.cr.dbname)
        ids = self._committed_send(connect, name)
        try:
            with connect.cursor() as cr1, connect.cursor() as cr2:
                for cr in (cr1, cr2):
                    cr.execute("SET lock_timeout = '5s'")
                yield (
                    ids,
                    odoo.api.Environment(cr1, odoo.SUPERUSER_ID, {}),
                    odoo.api.Environment(cr2, odoo.SUPERUSER_ID, {}),
                )
        finally:
            self._remove_committed_send(connect, ids)

    def _assert_each_customer_once(self, cr, ids):
        cr.execute(
            "SELECT msg.res_id, COUNT(*) FROM mail_notification notif"
            " JOIN mail_message msg ON msg.id = notif.mail_message_id"
            " WHERE msg.model = 'crisis.impact' AND msg.res_id = ANY(%s)"
            " AND notif.notification_type = 'email'"
            " GROUP BY msg.res_id",
            [ids["impacts"]],
        )
        emails = dict(cr.fetchall())
        self.assertEqual(emails, dict.fromkeys(ids["impacts"], 1), "each customer once")
        cr.execute(
            "SELECT state, queued_count + sent_count FROM crisis_update WHERE id = %s",
            [ids["update"]],
        )
        self.assertEqual(cr.fetchone(), ("sent", 12))

    def test_two_workers_send_one_update_each_customer_once(self):
        """Two cron workers on one send: distinct batches, each customer once.

        On real connections, which see only committed data: the send is
        committed first, and removed at the end.
        """
        with self._two_workers("Two workers") as (ids, env1, env2):
            cr1, cr2 = env1.cr, env2.cr
            first = env1["crisis.update"]._crisis_lock_pending(5)
            # the second worker, at the same time, skips the rows the first holds
            second = env2["crisis.update"]._crisis_lock_pending(5)
            self.assertEqual(len(first), 5)
            self.assertEqual(len(second), 5)
            self.assertFalse(set(first.ids) & set(second.ids))
            second.update_id._crisis_send_batch(second)
            first.update_id._crisis_send_batch(first)
            cr2.commit()
            cr1.commit()
            # then the scheduler calls them again until nothing remains
            for _call in range(3):
                env1["crisis.update"]._cron_send_updates(batch_size=5)
                cr1.commit()
                env2["crisis.update"]._cron_send_updates(batch_size=5)
                cr2.commit()
            self._assert_each_customer_once(cr1, ids)

    def test_worker_behind_another_takes_nothing_then_the_next_rows(self):
        """A sending job whose transaction began before another worker
        committed the batch it is about to lock takes nothing this turn,
        without an error, and the next rows at its next turn.

        Odoo's transactions are repeatable reads: PostgreSQL refuses to lock
        a row changed since the transaction began ("could not serialize
        access"). Seen with two cron workers on 100,000 customers: a job
        failed, with a traceback in the log, a few times per send.
        """
        with self._two_workers("Worker behind") as (ids, env1, env2):
            cr1, cr2 = env1.cr, env2.cr
            # the first worker's transaction begins: its snapshot is taken
            cr1.execute("SELECT COUNT(*) FROM crisis_update_recipient")
            # the second worker takes the first batch, and commits it
            second = env2["crisis.update"]._crisis_lock_pending(5)
            second.update_id._crisis_send_batch(second)
            cr2.commit()
            with self.assertNoLogs("odoo.sql_db", "ERROR"):
                self.assertFalse(env1["crisis.update"]._crisis_lock_pending(5))
                # a whole turn of the job: nothing done, nothing failed
                env1["crisis.update"]._cron_send_updates(batch_size=5)
            cr1.commit()
            first = env1["crisis.update"]._crisis_lock_pending(5)
            self.assertEqual(len(first), 5)
            self.assertFalse(set(first.ids) & set(second.ids))
            cr1.rollback()
            for _call in range(3):
                env1["crisis.update"]._cron_send_updates(batch_size=5)
                cr1.commit()
            self._assert_each_customer_once(cr1, ids)

    def test_recipient_rows_are_those_create_makes(self):
        """The audience is inserted in one query: the rows are the ORM's."""
        update = self.Update.sudo().create(
            {"crisis_id": self.crisis.id, "name": "Subject", "kind": "progress"}
        )
        Recipient = self.env["crisis.update.recipient"]
        Recipient._crisis_insert(update, self.impacts[:3])
        fast = Recipient.search([("update_id", "=", update.id)])
        update_orm = self.Update.sudo().create(
            {"crisis_id": self.crisis.id, "name": "Subject", "kind": "progress"}
        )
        orm = Recipient.create(
            [{"update_id": update_orm.id, "impact_id": i.id} for i in self.impacts[:3]]
        )
        skip = {"id", "update_id", "create_date", "write_date"}
        columns = [
            name
            for name, field in Recipient._fields.items()
            if field.store and field.column_type and name not in skip
        ]
        self.env.flush_all()
        self.assertEqual(
            fast.read(columns, load=False),
            [
                {**row, "id": row_fast["id"]}
                for row, row_fast in zip(
                    orm.read(columns, load=False), fast.read(["id"]), strict=True
                )
            ],
        )
        # the same through a domain (the audience of the notify wizard)
        update_query = self.Update.sudo().create(
            {"crisis_id": self.crisis.id, "name": "Subject", "kind": "progress"}
        )
        count = Recipient._crisis_insert(update_query, [("crisis_id", "=", self.crisis.id)])
        self.assertEqual(count, len(self.impacts))
        self.assertEqual(
            update_query.recipient_ids.impact_id, self.impacts, "the whole audience, once"
        )
