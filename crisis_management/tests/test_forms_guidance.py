"""A crisis manager in a hurry: the forms say what is missing, who may act,
and what comes next.

A refused move to a closed stage gives one message with everything missing
and leaves the form on its stage (nothing dirty left behind); a crisis the
user may not change is read-only, without its buttons, and says who may; a
requester waits for someone else's approval, which the approvers are
reminded of with an activity.
"""

from datetime import timedelta

from freezegun import freeze_time
from lxml import etree

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, HttpCase, tagged

from odoo.addons.mail.tests.common import MockEmail

from .common import CrisisCase

STATEMENT = "<p>A faulty update stopped our checkout; it is rolled back.</p>"
TO_APPROVE = "crisis_management.mail_act_crisis_compensation_to_approve"


@tagged("post_install", "-at_install")
class TestRefusedStageMove(CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.crisis = cls._create_crisis(user=cls.user_crisis)
        plan = cls.env["crisis.action.plan"].create(
            {"name": "Restore checkout", "crisis_id": cls.crisis.id}
        )
        cls.steps = cls.env["crisis.action"].create(
            [{"name": f"Step {i}", "plan_id": plan.id} for i in range(2)]
        )
        cls.crisis.stage_id = cls.stage_responding

    def test_one_message_lists_everything_missing(self):
        crisis = self.crisis.with_user(self.user_crisis)
        with self.assertRaises(ValidationError) as error:
            crisis.stage_id = self.stage_closed
        message = str(error.exception)
        self.assertIn("cannot be closed yet", message)
        self.assertIn("2 open action step", message)
        self.assertIn("without a root cause", message)
        self.assertEqual(self.crisis.stage_id, self.stage_responding)

        # only what is still missing
        crisis.root_cause = "<p>Expired certificate.</p>"
        with self.assertRaises(ValidationError) as error:
            crisis.stage_id = self.stage_closed
        self.assertIn("2 open action step", str(error.exception))
        self.assertNotIn("root cause", str(error.exception))

        self.steps.with_user(self.user_crisis).action_done()
        crisis.stage_id = self.stage_closed
        self.assertTrue(self.crisis.date_closed)

    def test_onchange_puts_the_stage_back_and_warns(self):
        """What the status bar does: the change (an onchange), then a save."""
        crisis = self.crisis.with_user(self.user_crisis)
        result = crisis.onchange(
            {"stage_id": self.stage_closed.id},
            ["stage_id"],
            {"stage_id": {"fields": {"display_name": {}}}, "root_cause": {}},
        )
        self.assertEqual(result["value"]["stage_id"]["id"], self.stage_responding.id)
        warning = result["warning"]
        self.assertEqual(warning["type"], "dialog")
        self.assertIn("2 open action step", warning["message"])
        self.assertIn("without a root cause", warning["message"])

        # in the form: the text just typed is saved, the crisis stays in its stage
        form = Form(crisis)
        form.root_cause = "<p>Expired certificate.</p>"
        with self.assertLogs("odoo.tests.form.onchange", "WARNING") as logs:
            form.stage_id = self.stage_closed
        self.assertIn("2 open action step", logs.output[0])
        self.assertNotIn("root cause", logs.output[0], "the typed root cause counts")
        self.assertEqual(form.stage_id, self.stage_responding)
        form.save()
        self.assertEqual(self.crisis.stage_id, self.stage_responding)
        self.assertIn("Expired certificate", self.crisis.root_cause)

    def test_allowed_move_is_left_alone(self):
        self.steps.action_cancel()
        form = Form(self.crisis.with_user(self.user_crisis))
        form.root_cause = "<p>Expired certificate.</p>"
        form.stage_id = self.stage_closed
        form.save()
        self.assertEqual(self.crisis.stage_id, self.stage_closed)


@tagged("post_install", "-at_install")
class TestCloseTour(HttpCase):
    def test_refused_close_keeps_the_form_clean(self):
        """admin closes a crisis from its status bar with a step still open and
        the root cause just typed: one message, the crisis stays Responding and
        the root cause is saved; resolving it offers the resolution notice."""
        crisis = self.env["crisis.crisis"].create(
            {
                "name": "Tour: leaking valve",
                "public_statement": "<p>A valve leaked; it is being replaced.</p>",
                "stage_id": self.env.ref("crisis_management.crisis_stage_responding").id,
            }
        )
        crisis.action_approve_statement()
        plan = self.env["crisis.action.plan"].create({"name": "Fix", "crisis_id": crisis.id})
        self.env["crisis.action"].create({"name": "Replace the valve", "plan_id": plan.id})
        customer = self.env["res.partner"].create(
            {"name": "Tour valve buyer", "email": "valve@example.com"}
        )
        self.env["crisis.impact"]._link_partners(crisis, customer.ids)
        self.start_tour(
            f"/odoo/action-crisis_management.crisis_crisis_action/{crisis.id}",
            "crisis_management_close_tour",
            login="admin",
        )
        self.env.invalidate_all()
        self.assertEqual(crisis.stage_id, self.env.ref("crisis_management.crisis_stage_resolved"))
        self.assertIn("Worn gasket on valve 3", crisis.root_cause)
        self.assertFalse(crisis.update_ids, "the notice was offered, not sent")


@tagged("post_install", "-at_install")
class TestReadOnlyCrisis(CrisisCase, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team = cls._create_team("Recall team", members=[(cls.user_crisis_2, "sales")])
        cls.crisis = cls._create_crisis(
            user=cls.user_crisis, team_id=cls.team.id, public_statement=STATEMENT
        )

    def _close(self, crisis):
        crisis.root_cause = "<p>Expired certificate.</p>"
        crisis.stage_id = self.stage_closed

    def _form_arch(self, user):
        views = self.env["crisis.crisis"].with_user(user).get_views([(False, "form")])
        return etree.fromstring(views["views"]["form"]["arch"])

    def test_members_and_managers_edit_outsiders_read(self):
        self.assertTrue(self.crisis.with_user(self.user_crisis).can_edit, "the lead")
        self.assertTrue(self.crisis.with_user(self.user_crisis_2).can_edit, "a team member")
        self.assertTrue(self.crisis.with_user(self.user_manager).can_edit)
        outsider_crisis = self.crisis.with_user(self.user_outsider)
        self.assertFalse(outsider_crisis.can_edit)
        self.assertFalse(outsider_crisis.can_reopen)
        # the form lets them read, not type text that would be lost on save
        form = Form(outsider_crisis)
        self.assertEqual(form.name, "Checkout down")
        with self.assertRaises(AssertionError):
            form.name = "Checkout still down"
        with self.assertRaises(AssertionError):
            form.stage_id = self.stage_responding
        # joining the team gives the right
        self.team.member_ids = [(0, 0, {"user_id": self.user_outsider.id, "role": "technical"})]
        self.assertTrue(outsider_crisis.can_edit)

    def test_closed_crisis_is_read_only_but_a_manager_reopens_it(self):
        self._close(self.crisis)
        for user in (self.user_crisis, self.user_crisis_2, self.user_outsider):
            crisis = self.crisis.with_user(user)
            self.assertFalse(crisis.can_edit, user.name)
            self.assertFalse(crisis.can_reopen, user.name)
        manager_crisis = self.crisis.with_user(self.user_manager)
        self.assertFalse(manager_crisis.can_edit)
        self.assertTrue(manager_crisis.can_reopen)
        with self.assertRaises(AssertionError):
            Form(self.crisis.with_user(self.user_crisis)).stage_id = self.stage_responding
        # nor through the API: the model refuses it too
        with self.assertRaisesRegex(UserError, "is closed"):
            self.crisis.with_user(self.user_crisis).write({"name": "Checkout down again"})
        with self.assertRaisesRegex(UserError, "is closed"):
            self.crisis.with_user(self.user_crisis).stage_id = self.stage_responding
        form = Form(manager_crisis)
        with self.assertRaises(AssertionError):
            form.name = "Checkout down again"
        form.stage_id = self.stage_responding
        form.save()
        self.assertEqual(self.crisis.stage_id, self.stage_responding)
        self.assertTrue(self.crisis.with_user(self.user_crisis).can_edit, "reopened")

    def test_form_follows_can_edit(self):
        arch = self._form_arch(self.user_outsider)

        def field(name):
            return arch.xpath(f"//field[@name='{name}'][not(ancestor::field)]")

        self.assertTrue(field("can_edit"))
        # the form's own fields, also those the view leaves editable under a condition
        self.assertEqual(field("name")[0].get("readonly"), "not can_edit")
        self.assertEqual(field("root_cause")[0].get("readonly"), "not can_edit")
        self.assertEqual(field("impact_ids")[0].get("readonly"), "not can_edit")
        self.assertEqual(field("stage_id")[0].get("readonly"), "not can_edit and not can_reopen")
        # read-only ones stay read-only; the embedded lists follow their field
        self.assertEqual(field("reference")[0].get("readonly"), "1")
        self.assertIsNone(field("sla_deadline")[0].get("readonly"))
        partner = arch.xpath("//field[@name='impact_ids']//field[@name='partner_id']")[0]
        self.assertNotIn("can_edit", partner.get("readonly") or "")
        # the buttons that change the crisis hide
        for name in (
            "action_acknowledge",
            "action_add_customers",
            "action_notify_customers",
            "action_apply_playbook",
        ):
            button = arch.xpath(f"//header/button[@name='{name}']")[0]
            self.assertIn("not can_edit", button.get("invisible"), name)
        propose = arch.xpath("//header/button[@string='Propose Compensation']")[0]
        self.assertIn("not can_edit", propose.get("invisible"))
        # and the form says who can change it
        banner = arch.xpath("//div[contains(@class, 'alert')][contains(., 'not change it')]")[0]
        self.assertIn("can_edit", banner.get("invisible"))
        self.assertIn("Crisis Managers", "".join(banner.itertext()))
        # the quick creation form is left alone
        views = self.env["crisis.crisis"].get_views(
            [(self.env.ref("crisis_management.crisis_crisis_view_form_quick_create").id, "form")]
        )
        self.assertNotIn("can_edit", views["views"]["form"]["arch"])

    def test_resolution_notice_offered_after_resolution(self):
        crisis = self.crisis.with_user(self.user_crisis)
        self.env["crisis.impact"]._link_partners(self.crisis, self.customers[:2].ids)
        crisis.stage_id = self.stage_resolved
        self.assertFalse(crisis.resolution_notice_due, "the statement is not approved")
        self.crisis.with_user(self.user_manager).action_approve_statement()
        self.assertTrue(crisis.resolution_notice_due)

        action = crisis.action_send_resolution_notice()
        self.assertEqual(action["res_model"], "crisis.notify.wizard")
        wizard = Form(
            self.env["crisis.notify.wizard"]
            .with_user(self.user_crisis)
            .with_context(**action["context"])
        ).save()
        self.assertEqual(wizard.crisis_id, self.crisis)
        self.assertEqual(wizard.kind, "resolution")
        self.assertEqual(
            wizard.template_id,
            self.env.ref("crisis_management.mail_template_impact_resolution"),
        )
        with self.mock_mail_gateway():
            wizard.action_send()
        self.assertFalse(crisis.resolution_notice_due, "sent")

        # reopened, resolved again: a new notice is due; never for drills
        crisis.stage_id = self.stage_responding
        self.assertFalse(crisis.resolution_notice_due)
        with freeze_time(fields.Datetime.now() + timedelta(hours=2)):
            crisis.stage_id = self.stage_resolved
            self.assertTrue(crisis.resolution_notice_due)
        crisis.is_drill = True
        self.assertFalse(crisis.resolution_notice_due)


@tagged("post_install", "-at_install")
class TestCompensationGuidance(CrisisCase, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # chatter as users see it: tracking on
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False))
        cls.crisis = cls._create_crisis(user=cls.user_crisis)
        cls.impacts = cls.env["crisis.impact"].create(
            [{"crisis_id": cls.crisis.id, "partner_id": p.id} for p in cls.customers[:2]]
        )
        cls.user_manager_b = cls._create_second_manager()
        cls.approvers = (
            cls.env.ref("crisis_management.group_crisis_manager")
            .users.filtered(lambda user: user.active and not user.share)
            .filtered(lambda user: cls.company in user.company_ids)
        )

    def _flush_tracking(self):
        """Post the tracking messages, as the end of the transaction does."""
        self.env.flush_all()
        self.env.cr.precommit.run()

    def _request(self, user=None, amount=20.0, **values):
        form = Form(self.env["crisis.compensation"].with_user(user or self.user_crisis))
        form.impact_id = self.impacts[0]
        form.amount = amount
        for name, value in values.items():
            setattr(form, name, value)
        return form.save()

    def _activities(self, compensation):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "crisis.compensation"),
                ("res_id", "=", compensation.id),
                ("activity_type_id", "=", self.env.ref(TO_APPROVE).id),
            ]
        )

    def _messages(self, record, xmlid):
        subtype = self.env.ref(xmlid)
        return record.message_ids.filtered(lambda message: message.subtype_id == subtype)

    def test_creation_is_logged(self):
        compensation = self._request()
        self._flush_tracking()
        creation = compensation.message_ids.sorted("id")[:1]
        self.assertIn("created", creation.body)
        self.assertEqual(creation.author_id, self.user_crisis.partner_id)
        self.assertIn(self.user_crisis.partner_id, compensation.message_partner_ids)

    def test_approve_button_for_approvers_only(self):
        compensation = self._request(amount=30)
        self.assertFalse(compensation.with_user(self.user_manager).can_approve, "a draft")
        compensation.with_user(self.user_crisis).action_submit()

        requester = compensation.with_user(self.user_crisis)
        self.assertFalse(requester.can_approve)
        self.assertEqual(requester.approval_waiting_for, "manager")
        manager = compensation.with_user(self.user_manager)
        self.assertTrue(manager.can_approve)
        self.assertFalse(manager.approval_waiting_for)
        other_user = compensation.with_user(self.user_crisis_2)
        self.assertFalse(other_user.can_approve, "no limit for users")
        self.assertEqual(other_user.approval_waiting_for, "manager")

        # users approve others' requests under the company limit, never their own
        self.company.crisis_compensation_user_limit = 50
        self.assertTrue(other_user.can_approve)
        self.assertFalse(requester.can_approve)
        self.assertEqual(requester.approval_waiting_for, "other")
        self.company.crisis_compensation_user_limit = 25
        self.assertFalse(other_user.can_approve, "above the limit")
        self.assertEqual(requester.approval_waiting_for, "manager")

        # a manager's own request waits for another approver
        own = self._request(user=self.user_manager)
        own.with_user(self.user_manager).action_submit()
        self.assertFalse(own.with_user(self.user_manager).can_approve)
        self.assertEqual(own.with_user(self.user_manager).approval_waiting_for, "other")

        # the form shows the buttons and the waiting note by these fields
        arch = etree.fromstring(
            self.env["crisis.compensation"]
            .with_user(self.user_crisis)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        for name in ("action_approve", "action_reject"):
            button = arch.xpath(f"//header/button[@name='{name}']")[0]
            self.assertIn("not can_approve", button.get("invisible"))
        notes = arch.xpath("//div[contains(@class, 'alert')][contains(., 'Waiting for')]")
        self.assertEqual(len(notes), 2)

    def test_approvers_get_an_activity_done_on_approval(self):
        compensation = self._request()
        self.assertFalse(self._activities(compensation), "a draft waits for nobody")
        compensation.with_user(self.user_crisis).action_submit()
        activities = self._activities(compensation)
        self.assertIn(self.user_manager, activities.user_id)
        self.assertEqual(activities.user_id, self.approvers)
        self.assertNotIn(self.user_crisis, activities.user_id, "the requester")
        self.assertNotIn(self.user_manager_2, activities.user_id, "another company")
        self.assertTrue(all(activities.mapped("automated")))
        self.assertEqual(set(activities.mapped("summary")), {"Compensation to approve"})

        compensation.with_user(self.user_manager).action_approve()
        self.assertFalse(self._activities(compensation))
        done = compensation.message_ids.filtered(
            lambda message: message.mail_activity_type_id == self.env.ref(TO_APPROVE)
        )
        self.assertEqual(len(done), 1, "the approver's activity is done, the others go")
        self.assertEqual(done.author_id, self.user_manager.partner_id)

    def test_activities_closed_on_rejection_and_cancellation(self):
        rejected = self._request()
        cancelled = self._request()
        # one at a time: an activity per request (many at once: one per crisis)
        rejected.with_user(self.user_crisis).action_submit()
        cancelled.with_user(self.user_crisis).action_submit()
        self.assertTrue(self._activities(rejected))
        rejected.with_user(self.user_manager).action_reject()
        self.assertFalse(self._activities(rejected))
        self.assertTrue(self._activities(cancelled))
        cancelled.with_user(self.user_crisis).action_cancel()
        self.assertFalse(self._activities(cancelled))
        self.assertFalse(cancelled.message_ids.filtered("mail_activity_type_id"), "nobody decided")

    def test_own_request_of_a_manager_goes_to_the_others(self):
        compensation = self._request(user=self.user_manager)
        compensation.with_user(self.user_manager).action_submit()
        activities = self._activities(compensation)
        self.assertNotIn(self.user_manager, activities.user_id)
        self.assertEqual(activities.user_id, self.approvers - self.user_manager)

    def test_requester_hears_of_the_decision(self):
        approved = self._request()
        # requested for someone else: the requester follows it too
        rejected = self._request(user=self.user_manager, user_id=self.user_crisis_2)
        self.assertIn(self.user_crisis_2.partner_id, rejected.message_partner_ids)
        approved.with_user(self.user_crisis).action_submit()
        rejected.with_user(self.user_manager).action_submit()
        self._flush_tracking()
        with self.mock_mail_gateway():
            approved.with_user(self.user_manager).action_approve()
            rejected.with_user(self.user_manager_b).action_reject()
            self._flush_tracking()
        approval = self._messages(approved, "crisis_management.mt_compensation_approved")
        self.assertEqual(len(approval), 1)
        self.assertIn(self.user_crisis.partner_id, approval.notified_partner_ids)
        rejection = self._messages(rejected, "crisis_management.mt_compensation_rejected")
        self.assertEqual(len(rejection), 1)
        self.assertIn(self.user_crisis_2.partner_id, rejection.notified_partner_ids)
