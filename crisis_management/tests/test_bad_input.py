from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged, users

from .common import CrisisCase

NOW = datetime(2026, 6, 1, 12, 0, 0)


@tagged("post_install", "-at_install")
class TestBadInput(CrisisCase):
    """Out of range or malformed input gets a clear error, never a traceback."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.playbook = cls.env["crisis.playbook"].create(
            {
                "name": "Outage response",
                "step_ids": [(0, 0, {"name": "Open the bridge", "role": "lead"})],
            }
        )
        cls.crisis = cls._create_crisis(user=cls.user_crisis)
        cls.inactive_currency = (
            cls.env["res.currency"]
            .with_context(active_test=False)
            .search([("active", "=", False)], limit=1)
        )

    # ------------------------------------------------------------------
    # Company settings
    # ------------------------------------------------------------------

    def test_company_sla_hours_bounds(self):
        for fname in ("crisis_sla_critical_hours", "crisis_sla_low_hours"):
            for value in (8761, 1e12, 0, -1):
                with self.subTest(fname=fname, value=value), self.assertRaises(ValidationError):
                    self.company.write({fname: value})
        self.company.crisis_sla_low_hours = 8760
        with freeze_time(NOW):
            crisis = self._create_crisis(severity="low")
        self.assertEqual(crisis.sla_deadline, NOW + timedelta(hours=8760))

    def test_company_update_interval_bounds(self):
        with self.assertRaises(ValidationError) as error:
            self.company.crisis_update_high_hours = 1e12
        self.assertIn("8760 hours", str(error.exception))
        with self.assertRaises(ValidationError):
            self.company.crisis_update_medium_hours = 8761
        self.company.crisis_update_medium_hours = 8760
        with freeze_time(NOW):
            crisis = self._create_crisis(severity="medium")
        self.assertEqual(crisis.update_interval_hours, 8760)
        self.assertEqual(crisis.date_next_update, NOW + timedelta(hours=8760))

    def test_company_reminder_and_satisfaction_bounds(self):
        for fname, bad, good in (
            ("crisis_step_reminder_hours", (8761, 10**9, -1), (0, 8760)),
            ("crisis_satisfaction_days", (366, 10**9, -1), (0, 365)),
        ):
            for value in bad:
                with self.subTest(fname=fname, value=value), self.assertRaises(ValidationError):
                    self.company.write({fname: value})
            for value in good:
                self.company.write({fname: value})
                self.assertEqual(self.company[fname], value)

    def test_settings_wizard_surfaces_bounds(self):
        # the dialog's fields are the company's: a bad value is refused as typed
        settings = self.env["crisis.config.settings"].with_user(self.user_manager).create({})
        with self.assertRaises(ValidationError) as error:
            settings.crisis_sla_high_hours = 1e12
        self.assertIn("8760 hours", str(error.exception))
        self.assertEqual(self.company.crisis_sla_high_hours, 4.0, "unchanged")
        settings.crisis_sla_high_hours = 8760
        with self.assertRaises(ValidationError):
            settings.crisis_satisfaction_days = 366
        settings.crisis_satisfaction_days = 365
        self.assertEqual(settings.action_save(), {"type": "ir.actions.act_window_close"})
        self.assertEqual(self.company.crisis_sla_high_hours, 8760)
        self.assertEqual(self.company.crisis_satisfaction_days, 365)

    # ------------------------------------------------------------------
    # Crisis
    # ------------------------------------------------------------------

    @users("crisis_user")
    def test_crisis_update_interval_bounds(self):
        crisis = self.crisis.with_env(self.env)
        for value in (8761, 1e12, -1):
            with self.subTest(value=value), self.assertRaises(ValidationError) as error:
                crisis.update_interval_hours = value
            self.assertIn("between 0 (no cadence) and 8760 hours", str(error.exception))
        crisis.update_interval_hours = 8760
        self.assertEqual(crisis.date_next_update, crisis.date_declared + timedelta(hours=8760))
        crisis.update_interval_hours = 0
        self.assertFalse(crisis.date_next_update, "0: no cadence")

    @users("crisis_user")
    def test_crisis_declared_far_ahead_is_refused(self):
        Crisis = self.env["crisis.crisis"]
        far = datetime(9999, 12, 31, 23, 0, 0)
        # the computes never overflow, even before the record is saved
        draft = Crisis.new({"name": "Far", "date_declared": far, "severity": "low"})
        self.assertFalse(draft.sla_deadline)
        self.assertFalse(draft.sla_risk_date)
        self.assertFalse(draft.date_next_update)
        with freeze_time(NOW):
            with self.assertRaises(ValidationError) as error:
                Crisis.create({"name": "Far", "date_declared": far})
            self.assertIn("more than one year ahead", str(error.exception))
            with self.assertRaises(ValidationError):
                Crisis.create({"name": "Soon", "date_declared": NOW + timedelta(days=366)})
            crisis = Crisis.create({"name": "Planned", "date_declared": NOW + timedelta(days=365)})
            with self.assertRaises(ValidationError):
                crisis.date_declared = far
        self.assertEqual(crisis.date_declared, NOW + timedelta(days=365))

    @users("crisis_user")
    def test_backdated_crises_work(self):
        for declared in (datetime(1900, 1, 1), datetime(2025, 12, 31, 23, 59)):
            with self.subTest(declared=declared):
                crisis = self.env["crisis.crisis"].create(
                    {"name": "Old", "date_declared": declared, "severity": "high"}
                )
                self.assertEqual(crisis.sla_deadline, declared + timedelta(hours=4))
                self.assertEqual(crisis.date_next_update, declared + timedelta(hours=12))
                self.assertEqual(crisis.sla_status, "breached")

    @users("crisis_user")
    def test_crisis_title_is_single_line(self):
        Crisis = self.env["crisis.crisis"]
        with self.assertRaises(ValidationError) as error:
            Crisis.create({"name": "Checkout down\nsince 9:00"})
        self.assertIn("one line", str(error.exception))
        crisis = self.crisis.with_env(self.env)
        with self.assertRaises(ValidationError):
            crisis.name = "Checkout down\r"
        crisis.name = "Checkout down since 9:00"
        self.assertEqual(crisis.name, "Checkout down since 9:00")

    # ------------------------------------------------------------------
    # Playbooks
    # ------------------------------------------------------------------

    def test_apply_playbook_by_id(self):
        crisis = self.crisis.with_user(self.user_crisis)
        self.assertTrue(crisis.action_apply_playbook(self.playbook.id))
        self.assertEqual(crisis.action_plan_ids.playbook_id, self.playbook)
        self.assertEqual(crisis.action_ids.mapped("name"), ["Open the bridge"])
        self.assertTrue(crisis.action_apply_playbook(self.playbook), "a record works too")
        self.assertEqual(len(crisis.action_ids), 1)

        missing = self.playbook.copy()
        missing_id = missing.id
        missing.unlink()
        with self.assertRaises(UserError) as error:
            crisis.action_apply_playbook(missing_id)
        self.assertIn(f"no playbook {missing_id}", str(error.exception))
        two = self.playbook | self.playbook.copy()
        for wrong in ("abc", [self.playbook.id], 1.5, self.customers[0], two):
            with self.subTest(wrong=wrong), self.assertRaises(UserError):
                crisis.action_apply_playbook(wrong)

        foreign = self.env["crisis.playbook"].create(
            {"name": "Company two's plan", "company_id": self.company_2.id}
        )
        with self.assertRaises(UserError) as error:
            self.crisis.action_apply_playbook(foreign.id)
        self.assertIn("another company", str(error.exception))
        with self.assertRaises(UserError):  # not even visible to the crisis user
            crisis.action_apply_playbook(foreign.id)

    def test_playbook_step_deadline_bounds(self):
        step = self.playbook.step_ids
        for value in (8761, 1e12):
            with self.subTest(value=value), self.assertRaises(ValidationError) as error:
                step.deadline_hours = value
            self.assertIn("8760 hours", str(error.exception))
        step.deadline_hours = 8760
        self.crisis.action_apply_playbook(self.playbook)
        self.assertEqual(
            self.crisis.action_ids.date_deadline,
            self.crisis.date_declared + timedelta(hours=8760),
        )

    def test_playbook_review_interval_bounds(self):
        Playbook = self.env["crisis.playbook"].with_user(self.user_manager)
        for value in (121, 10**6, -1):
            with self.subTest(value=value), self.assertRaises(ValidationError) as error:
                Playbook.create({"name": "Reviewed", "review_interval": value})
            self.assertIn("between 0", str(error.exception))
        playbook = Playbook.create({"name": "Reviewed", "review_interval": 120})
        with self.assertRaises(ValidationError):
            playbook.review_interval = 121
        with Form(playbook) as form:
            form.date_last_review = "2026-01-15"
        self.assertEqual(str(playbook.date_next_review), "2036-01-15")
        playbook.review_interval = 0
        self.assertFalse(playbook.date_next_review)

    # ------------------------------------------------------------------
    # Wizards
    # ------------------------------------------------------------------

    def _impact_wizard(self, domain):
        form = Form(
            self.env["crisis.impact.wizard"].with_context(default_crisis_id=self.crisis.id)
        )
        form.selection_mode = "domain"
        form.partner_domain = domain
        return form

    @users("crisis_user")
    def test_impact_wizard_malformed_filters(self):
        for domain in (
            "[('name', '=')]",
            "[('nonexistent_field','=',1)]",
            "[1,2]",
            "'abc'",
            "[('name','ilike','x'), '|']",
            "[('name', 'is like', 'x')]",
            "[('name.id', '=', 1)]",
            "[('parent_id', 'any', 'x')]",
            "not a domain(",
            # values PostgreSQL refuses
            "[('id', '=', 'abc')]",
            "[('create_date', '>', 'not a date')]",
        ):
            with self.subTest(domain=domain):
                form = self._impact_wizard(domain)
                self.assertEqual(form.match_count, 0)
                self.assertIn("The customer filter is not valid:", form.filter_error)
                wizard = form.save()
                with self.assertRaises(UserError) as error:
                    wizard.action_add()
                self.assertIn("The customer filter is not valid:", str(error.exception))
        self.assertFalse(self.crisis.impact_ids)

        form = self._impact_wizard(repr([("id", "in", self.customers[:2].ids)]))
        self.assertEqual(form.match_count, 2)
        self.assertFalse(form.filter_error)

    @users("crisis_user")
    def test_impact_wizard_refuses_unsearchable_fields(self):
        # Odoo would ignore these conditions and add every contact
        for domain in (
            "[('contact_address', 'ilike', 'Nowhere')]",
            "[('parent_id.contact_address', 'ilike', 'Nowhere')]",
            "['|', ('name', '=', 'x'), ('child_ids', 'any', [('contact_address', '=', 'x')])]",
        ):
            with self.subTest(domain=domain):
                form = self._impact_wizard(domain)
                self.assertEqual(form.match_count, 0)
                self.assertIn("contact_address", form.filter_error)
                self.assertIn("cannot be used in a filter", form.filter_error)
                with self.assertRaises(UserError):
                    form.save().action_add()
        self.assertFalse(self.crisis.impact_ids)

        # searchable computed fields and dotted paths are fine
        self.customers[:2].parent_id = self.customers[4]
        form = self._impact_wizard(
            repr(
                [
                    "|",
                    ("display_name", "ilike", "Customer 3"),
                    ("parent_id.name", "=", "Customer 4"),
                ]
            )
        )
        self.assertFalse(form.filter_error)
        self.assertEqual(form.match_count, 3)
        form.save().action_add()
        self.assertEqual(self.crisis.impact_ids.partner_id, self.customers[:2] | self.customers[3])

    @users("crisis_user")
    def test_compensation_wizard_filter_is_validated(self):
        crisis = self.crisis.with_env(self.env)
        self.env["crisis.impact"]._link_partners(crisis, self.customers[:2].ids, "high")
        self.env["crisis.impact"]._link_partners(crisis, self.customers[2:].ids, "low")
        wizard = self.env["crisis.compensation.wizard"].create(
            {"crisis_id": crisis.id, "impact_domain": "[('nonexistent', '=', 1)]", "amount": 5}
        )
        self.assertEqual(wizard.target_count, 0)
        with self.assertRaises(UserError) as error:
            wizard.action_propose()
        self.assertIn("The customer filter is not valid:", str(error.exception))
        wizard.impact_domain = "[('partner_id.contact_address', '=', 'x')]"
        with self.assertRaises(UserError) as error:
            wizard.action_propose()
        self.assertIn("contact_address", str(error.exception))
        self.assertFalse(crisis.compensation_ids)
        wizard.impact_domain = "[('impact_level', '=', 'high')]"
        self.assertEqual(wizard.target_count, 2)
        wizard.action_propose()
        compensations = self.env["crisis.compensation"].search([("crisis_id", "=", crisis.id)])
        self.assertEqual(compensations.partner_id, self.customers[:2])

    @users("crisis_user")
    def test_notify_wizard_refuses_satisfaction_kind(self):
        Wizard = self.env["crisis.notify.wizard"].with_context(default_crisis_id=self.crisis.id)
        with self.assertRaises(UserError) as error:
            Wizard.create({"kind": "satisfaction"})
        self.assertIn("satisfaction surveys go out automatically", str(error.exception))
        wizard = Wizard.create({"kind": "resolution"})
        self.assertEqual(
            wizard.template_id, self.env.ref("crisis_management.mail_template_impact_resolution")
        )
        with self.assertRaises(UserError):
            wizard.kind = "satisfaction"

    # ------------------------------------------------------------------
    # Compensations
    # ------------------------------------------------------------------

    @users("crisis_user")
    def test_compensation_inactive_currency_is_refused(self):
        self.assertTrue(self.inactive_currency)
        crisis = self.crisis.with_env(self.env)
        impacts = self.env["crisis.impact"]._link_partners(crisis, self.customers[:2].ids)
        Compensation = self.env["crisis.compensation"]
        with self.assertRaises(ValidationError) as error:
            Compensation.create(
                {
                    "impact_id": impacts[0].id,
                    "amount": 10,
                    "currency_id": self.inactive_currency.id,
                }
            )
        self.assertIn(self.inactive_currency.name, str(error.exception))
        self.assertIn("not active", str(error.exception))
        compensation = Compensation.create({"impact_id": impacts[0].id, "amount": 10})
        with self.assertRaises(ValidationError):
            compensation.currency_id = self.inactive_currency

        wizard = self.env["crisis.compensation.wizard"].create(
            {
                "crisis_id": crisis.id,
                "impact_ids": [(6, 0, impacts.ids)],
                "amount": 10,
                "currency_id": self.inactive_currency.id,
            }
        )
        with self.assertRaises(ValidationError):
            wizard.action_propose()
        Compensation = Compensation.with_context(active_test=False)
        self.assertEqual(Compensation.search([("crisis_id", "=", crisis.id)]), compensation)
        wizard.currency_id = self.company.currency_id
        wizard.action_propose()
        self.assertEqual(Compensation.search_count([("crisis_id", "=", crisis.id)]), 3)

    # ------------------------------------------------------------------
    # Bounds of what is stored
    # ------------------------------------------------------------------

    @users("crisis_user")
    def test_crisis_unknown_severity(self):
        Crisis = self.env["crisis.crisis"]
        for severity in ("foo", "HIGH", 3):
            with self.subTest(severity=severity), self.assertRaises(ValidationError) as error:
                Crisis.create({"name": "Bad severity", "severity": severity})
            self.assertIn("low, medium, high or critical", str(error.exception))
        crisis = self.crisis.with_env(self.env)
        with self.assertRaises(ValidationError):
            crisis.severity = "foo"
        crisis.severity = "critical"
        self.assertEqual(crisis.severity, "critical")

    @users("crisis_user")
    def test_crisis_title_length(self):
        Crisis = self.env["crisis.crisis"]
        for values in (
            {"name": "x" * 257},
            {"name": "x" * (1024 * 1024)},
            {"name": "Checkout down", "public_title": "y" * 257},
        ):
            with self.subTest(field=list(values)[-1]), self.assertRaises(ValidationError) as e:
                Crisis.create(values)
            self.assertIn("256 characters", str(e.exception))
        crisis = Crisis.create({"name": "x" * 256, "public_title": "y" * 256})
        self.assertEqual(len(crisis.public_title), 256)
        with self.assertRaises(ValidationError):
            crisis.name = "x" * 257
        with self.assertRaises(ValidationError):
            crisis.public_title = "y" * 257

    @users("crisis_user")
    def test_crisis_detected_date_bounds(self):
        Crisis = self.env["crisis.crisis"]
        with freeze_time(NOW):
            for detected in (datetime(1900, 1, 1), datetime(1999, 12, 31, 23, 59)):
                with self.subTest(detected=detected), self.assertRaises(ValidationError) as e:
                    Crisis.create({"name": "Old", "date_detected": detected, "date_declared": NOW})
                self.assertIn("2000", str(e.exception))
            # a little ahead is a clock out of step; a day ahead is a typo
            future = NOW + timedelta(days=1, minutes=1)
            with self.assertRaises(ValidationError) as e:
                Crisis.create({"name": "Ahead", "date_detected": future, "date_declared": future})
            self.assertIn("in the future", str(e.exception))
            crisis = Crisis.create(
                {"name": "Fine", "date_detected": datetime(2000, 1, 1), "date_declared": NOW}
            )
            with self.assertRaises(ValidationError):
                crisis.date_detected = datetime(1900, 1, 1)
            crisis.date_detected = NOW - timedelta(hours=2)
        self.assertEqual(crisis.date_detected, NOW - timedelta(hours=2))

    @users("crisis_user")
    def test_compensation_amount_bound(self):
        crisis = self.crisis.with_env(self.env)
        impact = self.env["crisis.impact"]._link_partners(crisis, self.customers[:1].ids)
        Compensation = self.env["crisis.compensation"]
        for amount in (1e20, 1e12 + 1):
            with self.subTest(amount=amount), self.assertRaises(ValidationError) as error:
                Compensation.create({"impact_id": impact.id, "amount": amount})
            self.assertIn("1,000,000,000,000", str(error.exception))
        compensation = Compensation.create({"impact_id": impact.id, "amount": 1e12})
        with self.assertRaises(ValidationError):
            compensation.amount = 1e20
        wizard = self.env["crisis.compensation.wizard"].create(
            {"crisis_id": crisis.id, "impact_ids": [(6, 0, impact.ids)], "amount": 1e20}
        )
        with self.assertRaises(ValidationError):
            wizard.action_propose()
        self.assertEqual(Compensation.search([("crisis_id", "=", crisis.id)]), compensation)

    def test_signer_name_and_decline_reason_bounds(self):
        crisis = self._create_crisis(user=self.user_crisis)
        impact = self.env["crisis.impact"]._link_partners(crisis, self.customers[:1].ids)
        compensation = (
            self.env["crisis.compensation"]
            .with_user(self.user_crisis)
            .create({"impact_id": impact.id, "type": "voucher", "amount": 20.0})
        )
        compensation.action_submit()
        compensation.with_user(self.user_manager).action_approve()
        for name in ("x" * 257, "x" * (5 * 1024 * 1024), "Alice\x00", ["Alice"], {"a": 1}, 12):
            with self.subTest(name=repr(name)[:40]), self.assertRaises(UserError):
                compensation._crisis_portal_accept(name)
        for reason in ("x" * 5001, "No\x00thanks", ["No"]):
            with self.subTest(reason=repr(reason)[:40]), self.assertRaises(UserError):
                compensation._crisis_portal_decline(reason)
        self.assertEqual(compensation.customer_response, "none")
        compensation._crisis_portal_accept("x" * 256)
        self.assertEqual(compensation.customer_signed_by, "x" * 256)
