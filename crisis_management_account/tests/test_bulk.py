import importlib.util
import xmlrpc.client

from odoo.tests import tagged
from odoo.tools import file_path, sql

from odoo.addons.base.tests.test_ir_cron import CronMixinCase

from .common import CrisisAccountCase

CRON = "crisis_management_account.ir_cron_crisis_make_credit_notes"
# draft credit notes made in bulk: SQL queries per 100 compensations (the
# credit notes and their lines, taxes, the links, the compensations' messages)
QUERIES_PER_100 = 900


@tagged("post_install", "-at_install")
class TestBulkDelivery(CrisisAccountCase, CronMixinCase):
    def _selection(self, count_a, count_b, **values):
        compensations = self.env["crisis.compensation"]
        for impact, count in ((self.impact_a, count_a), (self.impact_b, count_b)):
            for i in range(count):
                compensations |= self._approved(impact=impact, amount=10.0 + i, **values)
        return compensations.with_user(self.user_billing)

    def test_bulk_at_once_one_per_compensation(self):
        compensations = self._selection(2, 1)
        voucher = self._approved(ctype="voucher")
        draft = (
            self.env["crisis.compensation"]
            .with_user(self.user_crisis)
            .create({"impact_id": self.impact_a.id, "type": "refund", "amount": 5.0})
        )
        selection = (compensations | voucher | draft).with_user(self.user_billing)
        result = selection.action_deliver_selection()
        xmlrpc.client.dumps((result,), allow_none=False)
        self.assertEqual(result["tag"], "display_notification")
        self.assertIn("1 not approved", result["params"]["message"])
        # what really happened: the voucher delivered, the credit notes drafted
        self.assertIn("1 compensation(s) delivered.", result["params"]["message"])
        self.assertIn(
            "3 credit note(s) drafted: the compensations are delivered when the credit notes "
            "are posted.",
            result["params"]["message"],
        )
        self.assertEqual(set(compensations.mapped("state")), {"approved"})
        self.assertEqual(len(compensations.move_id), 3)
        self.assertTrue(all(len(c.move_id.invoice_line_ids) == 1 for c in compensations))
        self.assertEqual(voucher.state, "delivered", "other types: the core's delivery")
        self.assertEqual(draft.state, "draft")

    def test_bulk_grouped_per_customer_and_posted(self):
        self.company.crisis_credit_note_group_by_customer = True
        self.company.crisis_credit_note_post = True
        compensations = self._selection(3, 1)
        compensations.action_deliver_selection()
        of_a = compensations.filtered(lambda c: c.partner_id == self.partner_a)
        self.assertEqual(len(of_a.move_id), 1, "one credit note for the customer")
        self.assertEqual(len(of_a.move_id.invoice_line_ids), 3, "a line per compensation")
        # 15% excluded from the price, rounded per line: within a cent a line
        self.assertAlmostEqual(of_a.move_id.amount_total, 10.0 + 11.0 + 12.0, delta=0.031)
        self.assertEqual(of_a.move_id.crisis_compensation_ids, of_a)
        self.assertEqual(len(compensations.move_id), 2)
        self.assertEqual(set(compensations.mapped("state")), {"delivered"})
        # cancelling the shared credit note sends all of them back
        of_a.move_id.with_user(self.user_billing).button_cancel()
        self.assertEqual(set(of_a.mapped("state")), {"approved"})

    def test_bulk_in_the_background(self):
        self.company.crisis_credit_note_background_threshold = 3
        self.company.crisis_credit_note_group_by_customer = True
        compensations = self._selection(4, 2)
        with self.capture_triggers(CRON) as triggers:
            result = compensations.action_deliver_selection()
        self.assertTrue(triggers.records, "the job is started")
        self.assertIn("background", result["params"]["message"])
        self.assertFalse(compensations.sudo().credit_note_ids, "nothing made yet")
        job = (
            self.env["crisis.credit.note.job"]
            .sudo()
            .search([("user_id", "=", self.user_billing.id)])
        )
        self.assertEqual(job.total_count, 6)
        self.assertEqual(job.state, "queued")

        # the scheduler runs it as the superuser; the job works as the user who clicked
        Job = self.env["crisis.credit.note.job"].sudo()
        Job._cron_make_credit_notes(batch_size=3)
        # the customer's four stay together: none split over two batches
        self.assertEqual(len(compensations.sudo().move_id), 1)
        self.assertEqual(job.processed_count, 4)
        self.assertEqual(job.state, "running")
        Job._cron_make_credit_notes(batch_size=3)
        self.assertEqual(job.state, "done")
        self.assertEqual(job.move_count, 2)
        self.assertEqual(len(compensations.move_id), 2)
        self.assertTrue(all(c.move_id for c in compensations))
        # the user is told
        message = job.message_ids[:1]
        self.assertIn(self.user_billing.partner_id, message.notified_partner_ids)
        self.assertIn("2 credit note", message.preview)
        # run again: nothing made twice
        Job._cron_make_credit_notes(batch_size=3)
        self.assertEqual(len(compensations.sudo().credit_note_ids), 2)

    def test_background_job_fails_cleanly_without_rights(self):
        self.company.crisis_credit_note_background_threshold = 1
        compensations = self._selection(2, 0)
        compensations.action_deliver_selection()
        job = (
            self.env["crisis.credit.note.job"]
            .sudo()
            .search([("user_id", "=", self.user_billing.id)])
        )
        # the user lost the invoicing rights meanwhile
        self.env.ref("account.group_account_invoice").users = [(3, self.user_billing.id)]
        self.env["crisis.credit.note.job"].sudo()._cron_make_credit_notes()
        self.assertEqual(job.state, "failed")
        self.assertIn("invoicing rights", job.error)
        self.assertFalse(compensations.sudo().credit_note_ids)

    def test_query_budget_per_100(self):
        small, large = self._selection(2, 2), self._selection(6, 6)
        counts = []
        for compensations in (small, large):
            self.env.flush_all()
            self.env.invalidate_all()
            start = self.env.cr.sql_log_count
            compensations._crisis_make_credit_notes(post=False, group=False)
            self.env.flush_all()
            counts.append(self.env.cr.sql_log_count - start)
        self.assertEqual(len(large.move_id), 12)
        per_100 = (counts[1] - counts[0]) * 100 / (len(large) - len(small))
        self.assertLessEqual(per_100, QUERIES_PER_100, counts)

    def test_background_job_stopped_and_told_on_the_crisis(self):
        self.company.crisis_credit_note_background_threshold = 1
        compensations = self._selection(3, 0)
        compensations.action_deliver_selection()
        job = (
            self.env["crisis.credit.note.job"]
            .sudo()
            .search([("user_id", "=", self.user_billing.id)])
        )
        Job = self.env["crisis.credit.note.job"].sudo()
        Job._cron_make_credit_notes(batch_size=2)
        self.assertIs(job.with_user(self.user_billing).action_stop(), True)
        Job._cron_make_credit_notes(batch_size=2)
        self.assertEqual((job.state, job.processed_count, job.move_count), ("stopped", 2, 2))
        self.assertEqual(len(compensations.sudo().credit_note_ids), 2, "no batch after the stop")
        note = self.crisis.sudo().message_ids[:1]
        self.assertIn("stopped by Bill Crisis-Invoicing after 2 of 3", note.body)

    def test_upgrade_keeps_the_count_of_the_jobs(self):
        """18.0.1.1.0: the job's count of the compensations it processed is the
        engine's ``processed_count``; an old database's ``done_count`` becomes it."""
        self.company.crisis_credit_note_background_threshold = 1
        self._selection(2, 0).action_deliver_selection()
        job = self.env["crisis.credit.note.job"].sudo().search([], limit=1)
        self.env.flush_all()
        # the table as 18.0.1.0.0 left it
        sql.rename_column(self.env.cr, "crisis_credit_note_job", "processed_count", "done_count")
        self.env.cr.execute(
            "UPDATE crisis_credit_note_job SET done_count = 2 WHERE id = %s", [job.id]
        )
        spec = importlib.util.spec_from_file_location(
            "pre_migrate",
            file_path("crisis_management_account/migrations/18.0.1.1.0/pre-migrate.py"),
        )
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(self.env.cr, "18.0.1.0.0")
        self.assertFalse(sql.column_exists(self.env.cr, "crisis_credit_note_job", "done_count"))
        self.env.invalidate_all()
        self.assertEqual(job.processed_count, 2)
        migration.migrate(self.env.cr, "18.0.1.1.0")  # run twice: nothing happens
        self.assertEqual(job.processed_count, 2)
