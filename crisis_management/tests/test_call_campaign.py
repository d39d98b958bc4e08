from datetime import timedelta

from freezegun import freeze_time
from lxml import etree

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged, users

from .common import CrisisCase


@tagged("post_install", "-at_install")
class TestCallCampaign(CrisisCase):
    """Call Customers: call activities for the chosen customers, their outcomes,
    the progress on the crisis."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.call_type = cls.env.ref("mail.mail_activity_data_call")
        cls.agent_a = new_test_user(
            cls.env,
            login="cs_agent_a",
            name="Alice Service",
            groups="crisis_management.group_crisis_user",
        )
        cls.agent_b = new_test_user(
            cls.env,
            login="cs_agent_b",
            name="Bob Service",
            groups="crisis_management.group_crisis_user",
        )
        cls.team = cls._create_team(
            "Response",
            cls.user_manager,
            [
                (cls.agent_a, "customer_service"),
                (cls.agent_b, "customer_service"),
                (cls.user_crisis_2, "legal"),
            ],
        )
        cls.crisis = cls._create_crisis(
            user=cls.user_crisis,
            severity="high",
            team_id=cls.team.id,
            talking_points="<p>Say sorry, offer the voucher.</p>",
        )
        Partner = cls.env["res.partner"]
        # priority with email; without email; blacklisted; plain (not in the
        # default audience); without phone; unsubscribed (not priority)
        cls.p_priority = Partner.create(
            {"name": "Pia Priority", "email": "pia@example.com", "phone": "+32 2 555 01 01"}
        )
        cls.p_no_email = Partner.create({"name": "Nora No-Email", "mobile": "+32 470 00 00 02"})
        cls.p_blacklisted = Partner.create(
            {"name": "Bea Blacklisted", "email": "bea@example.com", "phone": "+32 2 555 01 03"}
        )
        cls.p_plain = Partner.create(
            {"name": "Paul Plain", "email": "paul@example.com", "phone": "+32 2 555 01 04"}
        )
        cls.p_no_phone = Partner.create({"name": "Nick No-Phone"})
        cls.p_unsubscribed = Partner.create(
            {"name": "Uma Unsubscribed", "email": "uma@example.com", "phone": "+32 2 555 01 06"}
        )
        cls.env["mail.blacklist"]._add("bea@example.com")
        Impact = cls.env["crisis.impact"]
        link = Impact._link_partners
        cls.l_priority = link(cls.crisis, cls.p_priority.ids, is_priority=True)
        cls.l_no_email = link(cls.crisis, cls.p_no_email.ids)
        cls.l_blacklisted = link(cls.crisis, cls.p_blacklisted.ids)
        cls.l_plain = link(cls.crisis, cls.p_plain.ids)
        cls.l_no_phone = link(cls.crisis, cls.p_no_phone.ids)
        cls.l_unsubscribed = link(cls.crisis, cls.p_unsubscribed.ids)
        cls.l_unsubscribed._crisis_unsubscribe()

    def _wizard(self, user=None, impacts=None, audience=None):
        model = self.env["crisis.call.wizard"].with_user(user or self.user_crisis)
        if impacts:
            model = model.with_context(active_model="crisis.impact", active_ids=impacts.ids)
        else:
            model = model.with_context(default_crisis_id=self.crisis.id)
        form = Form(model)
        if audience:
            form.audience = audience
        return form.save()

    def _calls(self, lines=None):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "crisis.impact"),
                ("res_id", "in", (lines or self.crisis.impact_ids).ids),
                ("activity_type_id", "=", self.call_type.id),
            ]
        )

    # ------------------------------------------------------------------
    # The campaign
    # ------------------------------------------------------------------

    def test_default_audience_and_counts(self):
        wizard = self._wizard()
        self.assertEqual(wizard.audience, "priority")
        # priority, no email, blacklisted; the customer without email nor phone
        # is counted, not called; the plain and unsubscribed ones are not in it
        self.assertEqual((wizard.call_count, wizard.no_phone_count), (3, 1))
        self.l_unsubscribed.is_priority = True
        wizard = self._wizard()
        self.assertEqual(wizard.call_count, 4, "an unsubscribed priority customer is called")
        self.l_unsubscribed.is_priority = False
        wizard = self._wizard(audience="all")
        # every customer, the unsubscribed one too; not the one without phone
        self.assertEqual((wizard.call_count, wizard.no_phone_count), (5, 1))
        result = self._wizard().action_schedule()
        self.assertEqual(result["params"]["type"], "success")
        self.assertIn("Skipped: 0 already scheduled, 1 without phone", result["params"]["message"])
        called = self._calls().mapped("res_id")
        self.assertEqual(
            set(called), set((self.l_priority | self.l_no_email | self.l_blacklisted).ids)
        )
        self.assertIn("3 calls scheduled", self.crisis.message_ids[0].body)

    def test_lines_without_priority_value_are_not_priority(self):
        """Lines made by SQL (or before the flag) hold NULL, not False: they are
        not priority customers, and the plain one stays out of the campaign."""
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE crisis_impact SET is_priority = NULL WHERE id IN %s",
            [tuple((self.l_plain | self.l_no_email).ids)],
        )
        self.env.invalidate_all()
        self.assertEqual(self._wizard().call_count, 3)

    def test_button_opens_the_wizard(self):
        action = self.crisis.with_user(self.user_crisis).action_call_customers()
        self.assertEqual(
            (action["res_model"], action["context"]),
            ("crisis.call.wizard", {"default_crisis_id": self.crisis.id}),
        )
        binding = self.env.ref("crisis_management.crisis_call_wizard_action_impacts")
        self.assertEqual(binding.binding_model_id.model, "crisis.impact")

    def test_selection_calls_the_selected_lines(self):
        wizard = self._wizard(impacts=self.l_plain | self.l_no_phone)
        self.assertEqual(wizard.audience, "all")
        self.assertEqual(wizard.crisis_id, self.crisis)
        self.assertEqual((wizard.call_count, wizard.no_phone_count), (1, 1))
        wizard.action_schedule()
        self.assertEqual(self._calls().mapped("res_id"), self.l_plain.ids)

    def test_already_scheduled_are_skipped(self):
        self._wizard().action_schedule()
        wizard = self._wizard(audience="all")
        self.assertEqual((wizard.call_count, wizard.scheduled_count), (2, 3))
        wizard.action_schedule()
        self.assertEqual(len(self._calls()), 5, "one open call per customer")
        with self.assertRaisesRegex(UserError, "Nobody to call"):
            self._wizard(audience="all").action_schedule()

    def test_assignment_agent_round_robin_lead(self):
        self.l_priority.user_id = self.user_crisis_2
        self._wizard(audience="all").action_schedule()
        by_line = {call.res_id: call.user_id for call in self._calls()}
        self.assertEqual(by_line[self.l_priority.id], self.user_crisis_2, "the line's agent")
        # the others share the customer-service members in turn, in line order
        others = (
            self.l_no_email | self.l_blacklisted | self.l_plain | self.l_unsubscribed
        ).sorted("id")
        self.assertEqual(
            [by_line[line.id] for line in others],
            [self.agent_a, self.agent_b, self.agent_a, self.agent_b],
        )
        self.assertFalse(others.user_id, "the agent of the lines is not changed")
        self.assertIn(self.agent_a.partner_id, self.l_no_email.message_partner_ids)
        # no customer service in the team: the crisis lead
        crisis = self._create_crisis(user=self.user_crisis)
        line = self.env["crisis.impact"]._link_partners(crisis, self.p_plain.ids)
        wizard = self._wizard()
        wizard.crisis_id = crisis
        self.assertIn("Carol Crisis-User", wizard.assignment)
        wizard.audience = "all"
        wizard.action_schedule()
        self.assertEqual(self._calls(line).user_id, self.user_crisis)

    def test_due_date_per_severity(self):
        self.company.crisis_sla_critical_hours = 1
        self.company.crisis_sla_low_hours = 72
        with freeze_time("2025-03-10 08:00:00"):
            self.crisis.severity = "critical"
            self.assertEqual(self._wizard().date_deadline, fields.Date.to_date("2025-03-10"))
            self.crisis.severity = "low"
            wizard = self._wizard()
            self.assertEqual(wizard.date_deadline, fields.Date.to_date("2025-03-13"))
            wizard.action_schedule()
            self.assertEqual(
                set(self._calls().mapped("date_deadline")), {fields.Date.to_date("2025-03-13")}
            )

    def test_note_has_phones_and_talking_points(self):
        self._wizard().action_schedule()
        call = self._calls(self.l_priority)
        self.assertEqual(call.summary, "Call Pia Priority")
        self.assertIn('href="tel:+3225550101"', str(call.note))
        self.assertIn("+32 2 555 01 01", str(call.note))
        self.assertIn("Say sorry, offer the voucher.", str(call.note))
        mobile_call = self._calls(self.l_no_email)
        self.assertIn('href="tel:+32470000002"', str(mobile_call.note))

    def test_drill_calls_are_a_rehearsal(self):
        drill = self._create_crisis(user=self.user_crisis, is_drill=True, team_id=self.team.id)
        line = self.env["crisis.impact"]._link_partners(drill, self.p_plain.ids)
        wizard = self._wizard()
        wizard.crisis_id = drill
        wizard.audience = "all"
        wizard.action_schedule()
        call = self._calls(line)
        self.assertEqual(call.summary, "Drill: call Paul Plain")
        self.assertIn("do not call the customer", str(call.note))

    def test_closed_crisis_refused(self):
        self.company.crisis_auto_apply_playbook = False
        crisis = self._create_crisis(user=self.user_crisis, severity="low")
        self.env["crisis.impact"]._link_partners(crisis, self.p_plain.ids)
        wizard = self._wizard(user=self.user_manager)
        wizard.crisis_id = crisis
        wizard.audience = "all"
        crisis.write({"stage_id": self.stage_closed.id, "root_cause": "<p>Bad deploy</p>"})
        self.assertTrue(crisis.is_closed)
        with self.assertRaisesRegex(UserError, "closed"):
            wizard.action_schedule()
        self.assertFalse(self._calls(crisis.impact_ids))

    # ------------------------------------------------------------------
    # Outcomes
    # ------------------------------------------------------------------

    def _line_as(self, line, user=None):
        return line.with_user(user or self.agent_a)

    def test_reached(self):
        self._wizard().action_schedule()
        line = self.l_no_email
        with freeze_time(fields.Datetime.now() + timedelta(minutes=1)):
            self.assertIs(self._line_as(line).action_call_reached(), True)
        # XML-RPC carries no None: every outcome button returns True
        for method in ("action_call_voicemail", "action_call_no_answer", "action_call_back_later"):
            self.assertIs(getattr(self._line_as(self.l_priority), method)(), True)
        self.assertIs(self._line_as(self.l_blacklisted).action_call_wrong_number(), True)
        self.assertEqual(
            (line.call_count, line.call_outcome, line.contact_status),
            (1, "reached", "in_discussion"),
        )
        self.assertTrue(line.date_last_call and line.date_last_contact)
        self.assertFalse(self._calls(line), "the call is done")
        self.assertFalse(line.call_open)
        done = line.message_ids.filtered(lambda m: m.mail_activity_type_id == self.call_type)
        self.assertIn("Call 1: Reached.", done[0].body)
        self.assertEqual(done[0].author_id, self.agent_a.partner_id)

    def test_voicemail_and_wrong_number(self):
        self._wizard().action_schedule()
        self._line_as(self.l_no_email).action_call_voicemail()
        self.assertEqual(
            (self.l_no_email.call_outcome, self.l_no_email.contact_status),
            ("voicemail", "notified"),
        )
        self.assertTrue(self.l_no_email.date_last_contact)
        self._line_as(self.l_blacklisted, self.agent_b).action_call_wrong_number()
        self.assertEqual(
            (self.l_blacklisted.call_outcome, self.l_blacklisted.contact_status),
            ("wrong_number", "to_contact"),
        )
        self.assertFalse(self.l_blacklisted.date_last_contact)
        self.assertFalse(self._calls(self.l_blacklisted), "no next try on a wrong number")
        self.assertIn(
            self.l_blacklisted,
            self.env["crisis.impact"].search([("call_outcome", "=", "wrong_number")]),
        )

    def test_no_answer_tries_up_to_the_max(self):
        self.company.crisis_call_max_tries = 3
        self._wizard().action_schedule()
        line = self.l_no_email
        caller = self._calls(line).user_id
        # the caller's day: the next try is due the day after it, in their time zone
        today = fields.Date.context_today(self._line_as(line, caller))
        for attempt in (1, 2):
            self._line_as(line, caller).action_call_no_answer()
            call = self._calls(line)
            self.assertEqual(len(call), 1, f"try {attempt + 1} scheduled")
            self.assertEqual(call.user_id, caller, "same caller")
            self.assertEqual(call.date_deadline, today + timedelta(days=1))
        self._line_as(line, caller).action_call_no_answer()
        self.assertEqual((line.call_count, line.call_outcome), (3, "no_answer"))
        self.assertFalse(self._calls(line), "tries exhausted: no fourth call")
        self.assertIn("3 tries made", line.message_ids[0].body)
        self.assertEqual(line.contact_status, "to_contact")

    def test_call_back_later_on_the_chosen_day(self):
        self._wizard().action_schedule()
        line = self.l_no_email
        day = fields.Date.context_today(line) + timedelta(days=5)
        wizard = Form(
            self.env["crisis.call.back.wizard"]
            .with_user(self.agent_a)
            .with_context(active_model="crisis.impact", active_ids=line.ids)
        )
        wizard.date = day
        wizard.save().action_confirm()
        self.assertEqual(line.call_outcome, "call_back")
        self.assertEqual(self._calls(line).date_deadline, day)
        with self.assertRaisesRegex(UserError, "past"):
            self._line_as(line).action_call_back_later(
                date=fields.Date.to_string(day - timedelta(days=10))
            )

    def test_mark_done_counts_as_reached(self):
        self._wizard().action_schedule()
        line = self.l_no_email
        call = self._calls(line)
        call.with_user(call.user_id).action_feedback(feedback="Spoke with her")
        self.assertEqual(
            (line.call_count, line.call_outcome, line.contact_status),
            (1, "reached", "in_discussion"),
        )

    def test_call_without_campaign_is_logged(self):
        self._line_as(self.l_plain, self.user_crisis).action_call_reached()
        self.assertEqual(self.l_plain.call_count, 1)
        self.assertIn("Call 1: Reached.", self.l_plain.message_ids[0].body)

    # ------------------------------------------------------------------
    # Progress
    # ------------------------------------------------------------------

    def test_progress_counts(self):
        self.assertEqual((self.crisis.call_todo_count, self.crisis.call_done_count), (0, 0))
        self._wizard().action_schedule()
        self.crisis.invalidate_recordset()
        self.assertEqual(
            (
                self.crisis.call_todo_count,
                self.crisis.call_done_count,
                self.crisis.call_reached_count,
            ),
            (3, 0, 0),
        )
        self._line_as(self.l_priority, self.agent_a).action_call_reached()
        self._line_as(self.l_blacklisted, self.agent_a).action_call_wrong_number()
        self.crisis.invalidate_recordset()
        self.assertEqual(
            (
                self.crisis.call_todo_count,
                self.crisis.call_done_count,
                self.crisis.call_reached_count,
            ),
            (1, 2, 1),
        )
        self.assertAlmostEqual(self.crisis.call_progress, 100.0 * 2 / 3)
        action = self.crisis.action_view_calls()
        self.assertEqual(
            self.env["crisis.impact"].search(action["domain"]),
            self.l_priority | self.l_blacklisted | self.l_no_email,
        )
        self.assertEqual(
            self.env["crisis.impact"].search([("call_open", "=", True)]), self.l_no_email
        )

    def test_call_list_to_work_from(self):
        """The call list: each customer's full name and numbers to click, the
        outcomes as labelled buttons, rows in a fixed order that keep their
        place once a call is logged."""
        self._wizard().action_schedule()
        action = self.crisis.action_view_calls()
        view = self.env.ref("crisis_management.crisis_impact_view_list_calls")
        self.assertEqual(action["views"][0], (view.id, "list"))
        arch = etree.fromstring(
            self.env["crisis.impact"]
            .with_user(self.agent_a)
            .get_views([(view.id, "list")])["views"]["list"]["arch"]
        )
        self.assertEqual(arch.get("default_order"), "id")
        for name in ("partner_phone", "partner_mobile"):
            self.assertEqual(arch.xpath(f"//field[@name='{name}']")[0].get("widget"), "phone")
        self.assertEqual(arch.xpath("//field[@name='is_priority']")[0].get("widget"), "boolean")
        labels = [button.get("string") for button in arch.xpath("//button")]
        self.assertEqual(
            labels, ["Reached", "Voicemail", "No answer", "Call back", "Wrong number"]
        )
        before = self.env["crisis.impact"].search(action["domain"], order="id")
        self._line_as(self.l_priority).action_call_reached()
        self.assertEqual(
            self.env["crisis.impact"].search(action["domain"], order="id"),
            before,
            "the logged customer stays in its row",
        )

    # ------------------------------------------------------------------
    # Rights
    # ------------------------------------------------------------------

    def test_crisis_user_not_on_the_crisis_refused(self):
        with self.assertRaises(AccessError):
            self._wizard(user=self.user_outsider).action_schedule()
        self.assertFalse(self._calls())
        self._wizard().action_schedule()
        with self.assertRaises(AccessError):
            self.l_no_email.with_user(self.user_outsider).action_call_reached()
        self.assertEqual(self.l_no_email.call_count, 0)

    def test_plain_employee_refused(self):
        with self.assertRaises(AccessError):
            self._wizard(user=self.user_internal)
        with self.assertRaises(AccessError):
            self.l_plain.with_user(self.user_internal).action_call_reached()

    @users("crisis_user")
    def test_guarded_fields_refused(self):
        line = self.l_plain.with_env(self.env)
        for values in (
            {"call_count": 5},
            {"call_outcome": "reached"},
            {"date_last_call": fields.Datetime.now()},
        ):
            with self.assertRaisesRegex(UserError, "cannot be set directly"):
                line.write(values)
        with self.assertRaisesRegex(UserError, "cannot be set directly"):
            self.env["crisis.impact"].create(
                {
                    "crisis_id": self.crisis.id,
                    "partner_id": self.customers[0].id,
                    "call_outcome": "reached",
                }
            )

    # ------------------------------------------------------------------
    # Many lines
    # ------------------------------------------------------------------

    def _many_lines(self, count, crisis):
        partners = self.env["res.partner"].create(
            [
                {"name": f"Bulk {crisis.id}-{i}", "phone": f"+32 2 600 {i:04d}"}
                for i in range(count)
            ]
        )
        return self.env["crisis.impact"]._link_partners(crisis, partners.ids)

    def test_background_above_the_threshold(self):
        self.company.crisis_call_background_threshold = 4
        lines = self._many_lines(6, self.crisis)
        result = self._wizard(audience="all").action_schedule()
        self.assertEqual(result["params"]["type"], "info")
        self.assertFalse(self._calls(), "nothing is scheduled in the click")
        job = self.crisis.impact_job_ids.filtered(lambda job: job.job_type == "call")
        self.assertEqual((job.state, job.total_count), ("queued", 12))
        self.assertEqual(self.crisis.calling_count, 12)
        self.assertEqual(self.crisis.adding_count, 0, "not customers being added")
        Job = self.env["crisis.impact.job"].sudo()
        Job._cron_add_customers(batch_size=5)
        self.assertEqual((job.state, job.processed_count), ("running", 5))
        Job._cron_add_customers(batch_size=5)
        Job._cron_add_customers(batch_size=5)
        self.assertEqual(job.state, "done")
        calls = self._calls()
        self.assertEqual(len(calls), 11, "all but the one without phone")
        self.assertEqual(set(calls.mapped("res_id")) >= set(lines.ids), True)
        self.assertEqual(calls.create_uid, self.user_crisis, "as the user who clicked")
        # the turn goes on from batch to batch: the members share evenly
        shares = [
            len(calls.filtered(lambda c, u=u: c.user_id == u)) for u in self.agent_a | self.agent_b
        ]
        self.assertLessEqual(abs(shares[0] - shares[1]), 1)
        self.assertIn("Call campaign scheduled: 11 calls", self.crisis.message_ids[0].body)
        self.assertEqual(self.crisis.calling_count, 0)

    def test_query_budget_does_not_grow_per_line(self):
        def run(count):
            crisis = self._create_crisis(user=self.user_crisis, team_id=self.team.id)
            self._many_lines(count, crisis)
            wizard = self._wizard(audience="all")
            wizard.crisis_id = crisis
            self.env.flush_all()
            self.env.invalidate_all()
            start = self.env.cr.sql_log_count
            wizard.action_schedule()
            self.env.flush_all()
            self.assertEqual(len(self._calls(crisis.impact_ids)), count)
            return self.env.cr.sql_log_count - start

        self.company.crisis_call_background_threshold = 1000
        run(5)  # warm the caches (activity type, models, access rules)
        small, large = run(10), run(100)
        self.assertLessEqual(large, small + 5, f"10 lines: {small} queries, 100: {large}")
