from datetime import datetime, timedelta
from xmlrpc.client import Fault

import psycopg2
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.crisis_management.tests.common import CrisisCase

T0 = datetime(2026, 3, 2, 8, 0, 0)


@tagged("post_install", "-at_install")
class TestPostIncidentReview(CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.crisis_auto_apply_playbook = False
        cls.company.crisis_review_required_severity = "high"

    def _crisis(self, **values):
        values.setdefault("severity", "high")
        values.setdefault("user", self.user_crisis)
        values.setdefault("root_cause", "<p>A certificate expired.</p>")
        return self._create_crisis(**values)

    def _approved_review(self, crisis, author=None):
        author = author or self.user_crisis
        review = crisis.with_user(author).action_open_review()
        review = self.env["crisis.review"].browse(review["res_id"])
        review.with_user(author).write({"summary": "<p>Checkout was down.</p>"})
        review.with_user(author).action_submit()
        review.with_user(self.user_manager).action_approve()
        return review

    # ------------------------------------------------------------------
    # Timeline
    # ------------------------------------------------------------------

    def test_timeline_in_order_from_the_records(self):
        with freeze_time(T0):
            crisis = self._crisis(
                date_detected=T0 - timedelta(minutes=20), public_statement="<p>Sorry.</p>"
            )
        # committed as the declaration is: Odoo tracks no change of a record
        # in the transaction that created it
        self.env.cr.flush()
        impact = self.env["crisis.impact"]._link_partners(crisis, self.customers[:2].ids)
        with freeze_time(T0 + timedelta(minutes=30)):
            crisis.with_user(self.user_crisis).action_acknowledge()
        with freeze_time(T0 + timedelta(hours=1)):
            crisis.with_user(self.user_manager).action_approve_statement()
        with freeze_time(T0 + timedelta(hours=2)):
            crisis.with_user(self.user_crisis).stage_id = self.stage_responding
            self.env.cr.flush()  # the tracking, as at commit
        # an update as the sending job leaves it (the send itself is tested elsewhere)
        self.env["crisis.update"].sudo().create(
            {
                "crisis_id": crisis.id,
                "kind": "initial",
                "name": "About checkout",
                "audience": "all",
                "date_sent": T0 + timedelta(hours=3),
                "state": "sent",
                "total_count": 2,
                "sent_count": 2,
                "bounced_count": 1,
                "reached_count": 1,
            }
        )
        compensations = (
            self.env["crisis.compensation"]
            .with_user(self.user_crisis)
            .create([{"impact_id": line.id, "type": "voucher", "amount": 10.0} for line in impact])
        )
        compensations.action_submit()
        with freeze_time(T0 + timedelta(hours=4)):
            compensations[0].with_user(self.user_manager).action_approve()
        with freeze_time(T0 + timedelta(hours=4, minutes=30)):
            compensations[1].with_user(self.user_manager).action_approve()
        with freeze_time(T0 + timedelta(hours=5)):
            crisis.with_user(self.user_crisis).stage_id = self.stage_resolved
            self.env.cr.flush()

        events = crisis._crisis_timeline()
        names = [event["event"] for event in events]
        self.assertEqual(
            names,
            [
                "Detected",
                "Declared",
                "Acknowledged",
                "Public statement approved",
                "Stage: Responding",
                "Customer update: Initial Notice",
                "First compensation approved",
                "Last compensation approved",
                "Stage: Resolved",
                "Resolved",
            ],
        )
        dates = [event["date"] for event in events]
        self.assertEqual(dates, sorted(dates))
        by_name = {event["event"]: event for event in events}
        self.assertEqual(by_name["Acknowledged"]["date"], T0 + timedelta(minutes=30))
        self.assertEqual(by_name["Stage: Responding"]["detail"], "from New")
        self.assertEqual(
            by_name["Customer update: Initial Notice"]["detail"],
            "All Affected Customers: 1 reached of 2 (emails: 2 sent, 1 bounced, 0 failed, "
            "0 still queued), 0 skipped",
        )
        self.assertEqual(
            by_name["Last compensation approved"]["date"], T0 + timedelta(hours=4, minutes=30)
        )
        self.assertIn("(2 approved)", by_name["Last compensation approved"]["detail"])

        # the review shows it, in the reader's language
        review = self.env["crisis.review"].browse(
            crisis.with_user(self.user_crisis).action_open_review()["res_id"]
        )
        self.assertIn("Customer update: Initial Notice", review.timeline_html)
        zh = self.env["res.lang"]._activate_lang("zh_CN")
        self.assertTrue(zh)
        self.env["ir.module.module"]._load_module_terms(
            ["crisis_management", "crisis_management_review"], ["zh_CN"]
        )
        review.invalidate_recordset(["timeline_html"])
        timeline_zh = review.with_context(lang="zh_CN").timeline_html
        self.assertIn("已受理", timeline_zh)
        # the stages too, whatever language the crisis was moved in
        self.assertIn("阶段：响应中", timeline_zh)
        self.assertNotIn("Responding", timeline_zh)

    # ------------------------------------------------------------------
    # Approval and the close rule
    # ------------------------------------------------------------------

    def test_review_approved_by_another_manager(self):
        crisis = self._crisis(user=self.user_manager)
        action = crisis.with_user(self.user_manager).action_open_review()
        self.assertEqual(action["res_model"], "crisis.review")
        review = self.env["crisis.review"].browse(action["res_id"])
        # opening again opens the same review
        self.assertEqual(
            crisis.with_user(self.user_manager).action_open_review()["res_id"], review.id
        )
        self.assertEqual(review.user_id, self.user_manager)
        self.assertIn("Customers affected", review.impact)
        review.with_user(self.user_manager).action_submit()
        # its author does not approve it, nor a Crisis User
        with self.assertRaisesRegex(UserError, "its author does not approve it"):
            review.with_user(self.user_manager).action_approve()
        with self.assertRaises(AccessError):
            review.with_user(self.user_crisis).action_approve()
        self.assertFalse(review.with_user(self.user_manager).can_approve)
        other_manager = self.user_manager.copy({"login": "second_manager"})
        self.assertTrue(review.with_user(other_manager).can_approve)
        self.assertTrue(review.with_user(other_manager).action_approve())
        self.assertEqual(review.state, "approved")
        self.assertEqual(review.approved_by_id, other_manager)
        # kept as it is, through any path
        with self.assertRaisesRegex(UserError, "is approved"):
            review.with_user(self.user_manager).summary = "<p>Rewritten</p>"
        # the state and approver are the workflow's
        review.with_user(other_manager).action_draft()
        with self.assertRaises(UserError):
            review.with_user(self.user_manager).write({"state": "approved"})
        with self.assertRaises(UserError):
            self.env["crisis.review"].with_user(self.user_manager).create(
                {
                    "crisis_id": self._crisis(user=self.user_manager).id,
                    "approved_by_id": other_manager.id,
                }
            )

    def test_a_crisis_user_cannot_reset_an_approved_review(self):
        crisis = self._crisis()
        review = self._approved_review(crisis)
        with self.assertRaises(AccessError):
            review.with_user(self.user_crisis).action_draft()
        with self.assertRaises(UserError):
            review.with_user(self.user_crisis).unlink()

    def test_closing_a_high_crisis_needs_an_approved_review(self):
        crisis = self._crisis()
        with (
            self.assertRaisesRegex(ValidationError, "No approved post-incident review") as caught,
            self.cr.savepoint(),
        ):
            crisis.with_user(self.user_crisis).stage_id = self.stage_closed
        crisis.invalidate_recordset()
        # one message with everything missing
        self.assertIn("cannot be closed yet", str(caught.exception))
        self.assertTrue(crisis.review_required)
        review = self._approved_review(crisis)
        self.assertEqual(crisis.review_state, "approved")
        crisis.with_user(self.user_crisis).stage_id = self.stage_closed
        self.assertTrue(crisis.is_closed)
        self.assertEqual(review.crisis_id, crisis)

    def test_close_rule_follows_the_company_setting(self):
        low = self._crisis(severity="low")
        self.assertFalse(low.review_required)
        low.with_user(self.user_crisis).stage_id = self.stage_closed
        drill = self._crisis(severity="critical", is_drill=True)
        self.assertFalse(drill.review_required)
        drill.with_user(self.user_crisis).stage_id = self.stage_closed
        self.company.crisis_review_required_severity = "low"
        every = self._crisis(severity="low")
        with self.assertRaises(ValidationError), self.cr.savepoint():
            every.with_user(self.user_crisis).stage_id = self.stage_closed
        self.company.crisis_review_required_severity = "none"
        critical = self._crisis(severity="critical")
        critical.with_user(self.user_crisis).stage_id = self.stage_closed
        self.assertTrue(critical.is_closed)

    def test_settings_dialog_sets_the_rule(self):
        settings = (
            self.env["crisis.config.settings"]
            .with_user(self.user_manager)
            .create({"crisis_review_required_severity": "critical"})
        )
        settings.action_save()
        self.assertEqual(self.company.crisis_review_required_severity, "critical")
        with self.assertRaises(AccessError):
            self.env["crisis.config.settings"].with_user(self.user_crisis).create(
                {"crisis_review_required_severity": "none"}
            )

    # ------------------------------------------------------------------
    # Corrective actions
    # ------------------------------------------------------------------

    def test_corrective_actions_outlive_the_crisis(self):
        crisis = self._crisis()
        review = self.env["crisis.review"].browse(
            crisis.with_user(self.user_crisis).action_open_review()["res_id"]
        )
        review.with_user(self.user_crisis).write(
            {
                "corrective_action_ids": [
                    Command.create(
                        {
                            "name": "Monitor certificate expiry",
                            "kind": "prevent",
                            "user_id": self.user_crisis_2.id,
                            "date_deadline": datetime.now() - timedelta(days=1),
                        }
                    ),
                    Command.create({"name": "Runbook for renewals", "kind": "process"}),
                ]
            }
        )
        actions = review.corrective_action_ids
        self.assertEqual(len(actions), 2)
        self.assertTrue(all(actions.mapped("is_corrective")))
        self.assertEqual(actions.crisis_id, crisis)
        self.assertEqual(crisis.corrective_open_count, 2)
        self.assertEqual(review.corrective_open_count, 2)
        # the response plan does not wait for them, nor does closing
        self.assertEqual(crisis.action_open_count, 0)
        self.assertEqual(crisis.steps_outside_team_count, 0)
        review.with_user(self.user_crisis).action_submit()
        review.with_user(self.user_manager).action_approve()
        crisis.with_user(self.user_crisis).stage_id = self.stage_closed
        self.assertTrue(crisis.is_closed)
        # ... they go on after the close, and are reminded like any step
        self.env["crisis.action"]._cron_remind_steps()
        monitor = actions.filtered(lambda a: a.kind == "prevent")
        self.assertEqual(monitor.activity_ids.user_id, self.user_crisis_2)
        monitor.with_user(self.user_crisis_2).action_done()
        self.assertEqual(crisis.corrective_open_count, 1)
        self.assertEqual(review.corrective_progress, 50.0)
        # Cancel Open Steps leaves them
        crisis.with_user(self.user_manager).action_cancel_open_steps()
        self.assertEqual(actions.filtered(lambda a: a.kind == "process").state, "todo")

    def test_corrective_action_needs_a_kind(self):
        crisis = self._crisis()
        review = self.env["crisis.review"].browse(
            crisis.with_user(self.user_crisis).action_open_review()["res_id"]
        )
        with self.assertRaisesRegex(ValidationError, "say what it is for"):
            review.with_user(self.user_crisis).write(
                {"corrective_action_ids": [Command.create({"name": "Something"})]}
            )

    def test_a_plan_is_not_made_corrective_by_hand(self):
        crisis = self._crisis()
        with self.assertRaises(UserError):
            self.env["crisis.action.plan"].with_user(self.user_crisis).create(
                {"name": "Sneaky", "crisis_id": crisis.id, "is_corrective": True}
            )
        plan = (
            self.env["crisis.action.plan"]
            .with_user(self.user_crisis)
            .create({"name": "Response", "crisis_id": crisis.id})
        )
        with self.assertRaises(UserError):
            plan.with_user(self.user_crisis).is_corrective = True

    # ------------------------------------------------------------------
    # Access
    # ------------------------------------------------------------------

    def test_access(self):
        crisis = self._crisis()
        # not on the crisis: reads, does not start or change the review
        with self.assertRaisesRegex(AccessError, "has no post-incident review yet"):
            crisis.with_user(self.user_crisis_2).action_open_review()
        with self.assertRaises(AccessError):
            self.env["crisis.review"].with_user(self.user_crisis_2).create(
                {"crisis_id": crisis.id}
            )
        review = self.env["crisis.review"].browse(
            crisis.with_user(self.user_crisis).action_open_review()["res_id"]
        )
        self.assertEqual(
            crisis.with_user(self.user_crisis_2).action_open_review()["res_id"], review.id
        )
        self.assertTrue(review.with_user(self.user_crisis_2).summary is not None)
        with self.assertRaises(AccessError):
            review.with_user(self.user_crisis_2).write({"summary": "<p>Mine now</p>"})
        # other companies see nothing
        with self.assertRaises(AccessError):
            review.with_user(self.user_manager_2).read(["summary"])
        # one review per crisis
        with (
            self.assertRaises(psycopg2.errors.UniqueViolation),
            mute_logger("odoo.sql_db"),
            self.cr.savepoint(),
        ):
            self.env["crisis.review"].create({"crisis_id": crisis.id})

    # ------------------------------------------------------------------
    # The printed review
    # ------------------------------------------------------------------

    def test_report_renders_sections_timeline_and_actions(self):
        crisis = self._crisis()
        review = self.env["crisis.review"].browse(
            crisis.with_user(self.user_crisis).action_open_review()["res_id"]
        )
        review.with_user(self.user_crisis).write(
            {
                "summary": "<p>Checkout was down for two hours.</p>",
                "went_wrong": "<p>Alerts went to an old mailbox.</p>",
                "corrective_action_ids": [
                    Command.create({"name": "Route alerts to on-call", "kind": "mitigate"})
                ],
            }
        )
        html, report_type = self.env["ir.actions.report"]._render_qweb_html(
            "crisis_management_review.action_report_crisis_review", review.ids
        )
        self.assertEqual(report_type, "html")
        html = html.decode()
        for text in (
            crisis.reference,
            "Checkout was down for two hours.",
            "Alerts went to an old mailbox.",
            "What Went Wrong",
            "Timeline",
            "Declared",
            "Key Figures",
            "Customers affected",
            "Time to acknowledge",
            "Longest wait between customer updates",
            "Route alerts to on-call",
            "Mitigate",
        ):
            self.assertIn(text, html)
        # empty sections are left out
        self.assertNotIn("Where We Were Lucky", html)


@tagged("post_install", "-at_install")
class TestPostIncidentReviewApi(HttpCase, CrisisCase):
    def _call(self, user, model, method, *args, **kwargs):
        """``execute_kw`` over XML-RPC as ``user`` (test users' password is their login)."""
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, user.id, user.login, model, method, list(args), kwargs
        )

    def test_review_flow_over_xmlrpc(self):
        crisis = self._create_crisis(user=self.user_crisis, severity="high")
        action = self._call(self.user_crisis, "crisis.crisis", "action_open_review", [crisis.id])
        self.assertEqual(action["res_model"], "crisis.review")
        review_id = action["res_id"]
        self._call(
            self.user_crisis,
            "crisis.review",
            "write",
            [review_id],
            {
                "summary": "<p>Down for an hour.</p>",
                # one2many commands as an integrator sends them
                "corrective_action_ids": [(0, 0, {"name": "Alert on expiry", "kind": "prevent"})],
            },
        )
        # the approval is the workflow's, not a value to write
        with self.assertRaisesRegex(Fault, "cannot be set directly"):
            self._call(
                self.user_crisis, "crisis.review", "write", [review_id], {"state": "approved"}
            )
        self.assertTrue(
            self._call(self.user_crisis, "crisis.review", "action_submit", [review_id])
        )
        with self.assertRaisesRegex(Fault, "Only a Crisis Manager approves"):
            self._call(self.user_crisis, "crisis.review", "action_approve", [review_id])
        self.assertTrue(
            self._call(self.user_manager, "crisis.review", "action_approve", [review_id])
        )
        review = self.env["crisis.review"].browse(review_id)
        self.assertEqual(review.state, "approved")
        self.assertEqual(review.corrective_action_ids.name, "Alert on expiry")
