"""Four eyes: nobody approves what they prepared, and what customers read is
what a second person approved (issue #22, items 4 and 10).

Each test plays the person who would get around the rule, through the model
layer (``with_user``, ``@users``) or the external API.
"""

import xmlrpc.client
from xmlrpc.client import Fault

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, HttpCase, tagged, users

from odoo.addons.mail.tests.common import MockEmail

from .common import FourEyesCase

STATEMENT = "<p>A faulty update stopped our checkout; it is rolled back.</p>"
EDITED = "<p>Refunds of the double charges start tomorrow.</p>"
TO_APPROVE = "crisis_management.mail_act_crisis_compensation_to_approve"
MESSAGE_TO_APPROVE = "crisis_management.mail_act_crisis_message_to_approve"


@tagged("post_install", "-at_install")
class TestFourEyesCompensation(FourEyesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.crisis = cls._create_crisis(user=cls.user_crisis, team_id=cls.team.id)
        cls.impacts = cls.env["crisis.impact"].create(
            [{"crisis_id": cls.crisis.id, "partner_id": p.id} for p in cls.customers]
        )

    def _request(self, user=None, amount=20.0, **values):
        user = user or self.user_crisis
        return (
            self.env["crisis.compensation"]
            .with_user(user)
            .create(
                {"impact_id": self.impacts[0].id, "type": "voucher", "amount": amount, **values}
            )
        )

    def test_reassigned_requester_does_not_approve(self):
        """Made for A, A hands it to B, B submits: A does not approve it."""
        first, second = self.user_manager, self.user_crisis_2
        compensation = self._request(user_id=first.id)
        compensation.with_user(first).user_id = second
        compensation.with_user(second).action_submit()
        self.assertEqual(compensation.user_id, second)
        self.assertEqual(compensation.involved_user_ids, first | second)
        self.assertEqual(
            compensation._crisis_involved_users(),
            self.user_crisis | first | second,
            "and its creator",
        )
        self.assertFalse(compensation.with_user(first).can_approve)
        self.assertEqual(compensation.with_user(first).approval_waiting_for, "other")
        with self.assertRaisesRegex(UserError, "whose requester, customer, type or amount"):
            compensation.with_user(first).action_approve()
        with self.assertRaisesRegex(UserError, "their own request"):
            compensation.with_user(first).action_reject()
        self.assertEqual(compensation.state, "to_approve")
        # the approvers' reminder is not theirs either
        activities = compensation.activity_ids.filtered(
            lambda activity: activity.activity_type_id == self.env.ref(TO_APPROVE)
        )
        self.assertNotIn(first, activities.user_id)
        self.assertIn(self.user_manager_b, activities.user_id)
        # someone who had no part in it does
        self.assertTrue(compensation.with_user(self.user_manager_b).can_approve)
        compensation.with_user(self.user_manager_b).action_approve()
        self.assertEqual(compensation.approved_by_id, self.user_manager_b)

    def test_manager_who_changed_the_amount_does_not_approve(self):
        compensation = self._request(amount=20.0)
        with Form(compensation.with_user(self.user_manager)) as form:
            form.amount = 200.0
        compensation.with_user(self.user_crisis).action_submit()
        with self.assertRaisesRegex(UserError, "their own request"):
            compensation.with_user(self.user_manager).action_approve()
        self.assertEqual(compensation.state, "to_approve")
        compensation.with_user(self.user_manager_b).action_approve()
        self.assertEqual(compensation.state, "approved")

    def test_nobody_leaves_the_involved_users(self):
        compensation = self._request(user_id=self.user_manager.id)
        compensation.with_user(self.user_manager).type = "refund"
        for values in ({"involved_user_ids": [(5, 0, 0)]}, {"involved_user_ids": [(6, 0, [])]}):
            with self.assertRaisesRegex(UserError, "cannot be set directly"):
                compensation.with_user(self.user_manager).write(values)
        with self.assertRaisesRegex(UserError, "cannot be set directly"):
            self._request(involved_user_ids=[(6, 0, [])])
        self.assertIn(self.user_manager, compensation.involved_user_ids)

    def test_requester_frozen_once_submitted(self):
        compensation = self._request(user_id=self.user_crisis_2.id)
        compensation.with_user(self.user_crisis_2).action_submit()
        for user in (self.user_crisis, self.user_manager):
            with self.assertRaisesRegex(UserError, "only a draft compensation"):
                compensation.with_user(user).user_id = self.user_manager_b
        self.assertEqual(compensation.user_id, self.user_crisis_2)

    def test_bulk_approval_checks_everyone_at_once(self):
        """The list's *Approve* on a selection: all or nothing, and no query per request."""
        mine = self._request()
        mine.with_user(self.user_manager).amount = 25.0
        others = self._request() | self._request(amount=30.0)
        (mine | others).with_user(self.user_crisis).action_submit()
        with self.assertRaisesRegex(UserError, mine.reference):
            (others | mine).with_user(self.user_manager).action_approve()
        self.assertEqual(set((mine | others).mapped("state")), {"to_approve"})
        (others | mine).with_user(self.user_manager_b).action_approve()
        self.assertEqual(set((mine | others).mapped("state")), {"approved"})

        def checking_cost(count):
            requests = self.env["crisis.compensation"].concat(
                *(self._request(user_id=self.user_crisis_2.id) for _i in range(count))
            )
            requests.with_user(self.user_crisis).action_submit()
            requests = requests.with_user(self.user_manager)
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            requests._check_approval_rights()
            return self.env.cr.sql_log_count - before

        checking_cost(3)  # the caches of the user's groups and the company
        self.assertEqual(checking_cost(3), checking_cost(30), "a flat cost, whatever the count")


@tagged("post_install", "-at_install")
class TestFourEyesStatement(FourEyesCase):
    def _crisis(self, severity, writer):
        crisis = self._create_crisis(user=self.user_crisis, severity=severity)
        crisis.with_user(writer).public_statement = STATEMENT
        return crisis

    def test_last_editor_does_not_approve_a_high_crisis(self):
        for severity in ("high", "critical"):
            crisis = self._crisis(severity, self.user_manager)
            self.assertTrue(crisis.second_approver_required)
            self.assertEqual(crisis.statement_editor_ids, self.user_manager)
            self.assertFalse(crisis.with_user(self.user_manager).can_approve_statement)
            with self.assertRaisesRegex(UserError, "you wrote or changed its public statement"):
                crisis.with_user(self.user_manager).action_approve_statement()
            self.assertEqual(crisis.statement_state, "draft")
            self.assertTrue(crisis.with_user(self.user_manager_b).can_approve_statement)
            crisis.with_user(self.user_manager_b).action_approve_statement()
            self.assertEqual(crisis.statement_approved_by_id, self.user_manager_b)

    def test_low_crisis_self_approval_follows_the_company_setting(self):
        self.assertEqual(self.company.crisis_statement_four_eyes_severity, "high")
        low = self._crisis("low", self.user_manager)
        medium = self._crisis("medium", self.user_manager)
        self.assertFalse(low.second_approver_required)
        self.assertTrue(low.with_user(self.user_manager).can_approve_statement)
        (low | medium).with_user(self.user_manager).action_approve_statement()
        self.assertEqual(low.statement_approved_by_id, self.user_manager)

        # a Crisis Manager sets it through the crisis settings
        settings = self.env["crisis.config.settings"].with_user(self.user_manager_b).create({})
        settings.crisis_statement_four_eyes_severity = "medium"
        settings.action_save()
        self.assertEqual(self.company.crisis_statement_four_eyes_severity, "medium")
        self.assertFalse(low.second_approver_required)
        self.assertTrue(medium.second_approver_required)
        medium.with_user(self.user_manager).public_statement = "<p>Checkout is back.</p>"
        with self.assertRaisesRegex(UserError, "you wrote or changed"):
            medium.with_user(self.user_manager).action_approve_statement()
        self.company.crisis_statement_four_eyes_severity = "low"
        low.with_user(self.user_manager).public_statement = "<p>Checkout is back.</p>"
        with self.assertRaisesRegex(UserError, "you wrote or changed"):
            low.with_user(self.user_manager).action_approve_statement()
        low.with_user(self.user_manager_b).action_approve_statement()
        self.assertEqual(low.statement_state, "approved")

    def test_every_writer_since_the_last_approval_counts(self):
        crisis = self._crisis("high", self.user_crisis)
        crisis.with_user(self.user_manager).public_title = "Checkout outage"
        self.assertEqual(crisis.statement_editor_ids, self.user_crisis | self.user_manager)
        with self.assertRaisesRegex(UserError, "you wrote or changed"):
            crisis.with_user(self.user_manager).action_approve_statement()
        crisis.with_user(self.user_manager_b).action_approve_statement()
        # a change after the approval: its writer only; the others may approve again
        self.env["res.lang"]._activate_lang("zh_CN")
        crisis.with_user(self.user_manager_b).update_field_translations(
            "public_title", {"zh_CN": "结账故障"}
        )
        self.assertEqual(crisis.statement_state, "draft")
        self.assertEqual(crisis.statement_editor_ids, self.user_manager_b)
        with self.assertRaisesRegex(UserError, "you wrote or changed"):
            crisis.with_user(self.user_manager_b).action_approve_statement()
        crisis.with_user(self.user_manager).action_approve_statement()
        self.assertEqual(crisis.statement_approved_by_id, self.user_manager)
        # nobody clears the writers
        with self.assertRaisesRegex(UserError, "cannot be set directly"):
            crisis.with_user(self.user_manager).write({"statement_editor_ids": [(5, 0, 0)]})

    @users("crisis_manager")
    def test_declared_with_its_statement(self):
        crisis = self.env["crisis.crisis"].create(
            {"name": "Checkout down", "severity": "critical", "public_statement": STATEMENT}
        )
        self.assertEqual(crisis.statement_editor_ids, self.user_manager)
        with self.assertRaisesRegex(UserError, "you wrote or changed"):
            crisis.action_approve_statement()
        crisis.with_user(self.user_manager_b).action_approve_statement()
        self.assertEqual(crisis.statement_state, "approved")


@tagged("post_install", "-at_install")
class TestFourEyesMessage(FourEyesCase, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.crisis = cls._create_crisis(
            user=cls.user_crisis, team_id=cls.team.id, severity="high", public_statement=STATEMENT
        )
        cls.crisis.with_user(cls.user_manager).action_approve_statement()
        cls.env["crisis.impact"]._link_partners(cls.crisis, cls.customers.ids)

    def _wizard(self, user, crisis=None, **values):
        return (
            self.env["crisis.notify.wizard"]
            .with_user(user)
            .with_context(default_crisis_id=(crisis or self.crisis).id)
            .create({"kind": "progress", **values})
        )

    def _customer_mails(self, crisis=None):
        return self.env["mail.mail"].search(
            [
                ("model", "=", "crisis.impact"),
                ("res_id", "in", (crisis or self.crisis).impact_ids.ids),
            ]
        )

    def test_edited_message_waits_for_a_second_person(self):
        # the statement, as approved (in its markup or another): sent at once
        self.assertFalse(self._wizard(self.user_crisis).needs_approval)
        # changed at send time: not sent, whoever sends it
        for sender in (self.user_crisis, self.user_manager):
            wizard = self._wizard(sender, body=EDITED)
            self.assertTrue(wizard.needs_approval)
            with self.assertRaisesRegex(UserError, "not the approved public statement"):
                wizard.action_review_send()
            with self.assertRaisesRegex(UserError, "not the approved public statement"):
                wizard.action_send()
            with self.assertRaisesRegex(UserError, "not the approved public statement"):
                self.crisis.impact_ids.with_user(sender)._crisis_send(
                    self.env.ref("crisis_management.mail_template_impact_progress"), body=EDITED
                )
        self.assertFalse(self.crisis.update_ids)
        self.assertFalse(self._customer_mails())

        # its writer asks for its approval: kept on the crisis, nothing sent
        wizard = self._wizard(self.user_manager, body=EDITED)
        result = wizard.action_request_approval()
        xmlrpc.client.dumps((result,), allow_none=False)
        self.assertEqual(result["params"]["next"], {"type": "ir.actions.act_window_close"})
        self.assertEqual(self.crisis.edited_message_user_id, self.user_manager)
        self.assertFalse(self.crisis.edited_message_approved_by_id)
        self.assertFalse(self.crisis.update_ids)
        activities = self.crisis.activity_ids.filtered(
            lambda activity: activity.activity_type_id == self.env.ref(MESSAGE_TO_APPROVE)
        )
        self.assertIn(self.user_manager_b, activities.user_id)
        self.assertNotIn(self.user_manager, activities.user_id, "not its writer")
        # neither its writer nor a Crisis User approves it
        with self.assertRaisesRegex(UserError, "you wrote this message"):
            self.crisis.with_user(self.user_manager).action_approve_edited_message()
        with self.assertRaises(AccessError):
            self.crisis.with_user(self.user_crisis).action_approve_edited_message()
        with self.assertRaisesRegex(UserError, "cannot be set directly"):
            self.crisis.with_user(self.user_manager).write(
                {"edited_message_approved_by_id": self.user_manager_b.id}
            )
        self.assertTrue(self.crisis.with_user(self.user_manager_b).can_approve_edited_message)
        self.assertIs(
            self.crisis.with_user(self.user_manager_b).action_approve_edited_message(), True
        )
        self.assertFalse(
            self.crisis.activity_ids.filtered(
                lambda activity: activity.activity_type_id == self.env.ref(MESSAGE_TO_APPROVE)
            )
        )

        # approved: the crisis offers it in the notify window, and it goes
        action = self.crisis.with_user(self.user_crisis).action_send_edited_message()
        wizard = (
            self.env["crisis.notify.wizard"]
            .with_user(self.user_crisis)
            .with_context(**action["context"])
            .create({"kind": "progress"})
        )
        self.assertIn("Refunds of the double charges", wizard.body)
        self.assertFalse(wizard.needs_approval)
        wizard.action_review_send()
        wizard.action_send()
        self.assertEqual(self.crisis.update_ids.queued_count, 5)
        self.assertIn("Refunds of the double charges", self._customer_mails()[0].body_html)
        # another change is another message to approve
        wizard = self._wizard(self.user_crisis, body=EDITED + "<p>And a voucher.</p>")
        self.assertTrue(wizard.needs_approval)
        with self.assertRaisesRegex(UserError, "not the approved public statement"):
            wizard.action_send()
        self.assertEqual(len(self.crisis.update_ids), 1)

    def test_only_a_crisis_member_requests_and_the_writer_discards(self):
        with self.assertRaises(AccessError):
            self.crisis.with_user(self.user_outsider)._crisis_request_message_approval(EDITED)
        self.crisis.with_user(self.user_crisis)._crisis_request_message_approval(EDITED)
        with self.assertRaises(AccessError):
            self.crisis.with_user(self.user_crisis_2).action_discard_edited_message()
        self.assertIs(
            self.crisis.with_user(self.user_crisis).action_discard_edited_message(), True
        )
        self.assertFalse(self.crisis.edited_message)
        self.assertFalse(self.crisis.activity_ids)

    def test_low_crisis_manager_approves_their_own_message(self):
        low = self._create_crisis(
            user=self.user_crisis, team_id=self.team.id, severity="low", public_statement=STATEMENT
        )
        low.with_user(self.user_manager).action_approve_statement()
        self.env["crisis.impact"]._link_partners(low, self.customers[:2].ids)
        # a Crisis User's change waits for a Crisis Manager
        wizard = self._wizard(self.user_crisis, crisis=low, body=EDITED)
        self.assertTrue(wizard.needs_approval)
        with self.assertRaisesRegex(UserError, "not the approved public statement"):
            wizard.action_send()
        # a Crisis Manager may approve their own text here, as the statement
        wizard = self._wizard(self.user_manager, crisis=low, body=EDITED)
        self.assertFalse(wizard.needs_approval)
        wizard.action_send()
        self.assertEqual(low.update_ids.queued_count, 2)
        # unless the company wants a second person for low crises too
        self.company.crisis_statement_four_eyes_severity = "low"
        wizard = self._wizard(self.user_manager, crisis=low, body=EDITED + "<p>More.</p>")
        self.assertTrue(wizard.needs_approval)
        with self.assertRaisesRegex(UserError, "not the approved public statement"):
            wizard.action_send()
        self.assertEqual(len(low.update_ids), 1)


@tagged("post_install", "-at_install")
class TestFourEyesExternalApi(HttpCase, FourEyesCase):
    """The same rules through XML-RPC, as an integrator would call them."""

    def _call(self, user, model, method, *args, **kwargs):
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, user.id, user.login, model, method, list(args), kwargs
        )

    def test_reassign_then_approve_over_xmlrpc(self):
        crisis = self._create_crisis(user=self.user_crisis, team_id=self.team.id)
        impact = self.env["crisis.impact"].create(
            {"crisis_id": crisis.id, "partner_id": self.customers[0].id}
        )
        first, second = self.user_manager, self.user_crisis_2
        [compensation_id] = self._call(
            self.user_crisis,
            "crisis.compensation",
            "create",
            [{"impact_id": impact.id, "amount": 50, "user_id": first.id}],
        )
        self.assertIs(
            self._call(
                first, "crisis.compensation", "write", [compensation_id], {"user_id": second.id}
            ),
            True,
        )
        self.assertIs(
            self._call(second, "crisis.compensation", "action_submit", [compensation_id]), True
        )
        with self.assertRaisesRegex(Fault, "their own request"):
            self._call(first, "crisis.compensation", "action_approve", [compensation_id])
        with self.assertRaisesRegex(Fault, "only a draft compensation"):
            self._call(
                second, "crisis.compensation", "write", [compensation_id], {"user_id": first.id}
            )
        self.assertIs(
            self._call(
                self.user_manager_b, "crisis.compensation", "action_approve", [compensation_id]
            ),
            True,
        )

    def test_edited_message_over_xmlrpc(self):
        crisis = self._create_crisis(
            user=self.user_crisis, team_id=self.team.id, severity="critical"
        )
        crisis.with_user(self.user_manager).public_statement = STATEMENT
        with self.assertRaisesRegex(Fault, "you wrote or changed"):
            self._call(self.user_manager, "crisis.crisis", "action_approve_statement", [crisis.id])
        self.assertIs(
            self._call(
                self.user_manager_b, "crisis.crisis", "action_approve_statement", [crisis.id]
            ),
            True,
        )
        self.env["crisis.impact"]._link_partners(crisis, self.customers.ids)
        wizard_id = self._call(
            self.user_crisis,
            "crisis.notify.wizard",
            "create",
            {"crisis_id": crisis.id, "kind": "progress", "body": EDITED},
        )
        with self.assertRaisesRegex(Fault, "not the approved public statement"):
            self._call(self.user_crisis, "crisis.notify.wizard", "action_send", [wizard_id])
        result = self._call(
            self.user_crisis, "crisis.notify.wizard", "action_request_approval", [wizard_id]
        )
        self.assertEqual(result["tag"], "display_notification")
        self.assertIs(
            self._call(
                self.user_manager, "crisis.crisis", "action_approve_edited_message", [crisis.id]
            ),
            True,
        )
        result = self._call(self.user_crisis, "crisis.notify.wizard", "action_send", [wizard_id])
        self.assertEqual(result["params"]["type"], "success")
        self.assertEqual(crisis.update_ids.queued_count, 5)
