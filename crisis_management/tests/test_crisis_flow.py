from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged, users

from .common import CrisisCase


@tagged("post_install", "-at_install")
class TestCrisisFlow(CrisisCase):
    @users("crisis_user")
    @freeze_time("2026-03-10 08:00:00")
    def test_declare_with_form(self):
        form = Form(self.env["crisis.crisis"])
        form.name = "Checkout fails for every payment"
        form.type_id = self.type_outage
        self.assertEqual(form.severity, "high", "the type proposes its default severity")
        form.severity = "critical"
        crisis = form.save()
        self.assertRegex(crisis.reference, r"^CRI/2026/\d{4}$")
        self.assertEqual(crisis.stage_id, self.stage_new)
        self.assertEqual(crisis.user_id, self.env.user)
        self.assertEqual(crisis.company_id, self.env.company)
        self.assertEqual(crisis.date_declared, fields.Datetime.now())
        self.assertEqual(crisis.sla_deadline, fields.Datetime.to_datetime("2026-03-10 09:00:00"))
        self.assertEqual(crisis.sla_status, "on_track")

    def test_references_follow_each_other_per_company(self):
        first = self._create_crisis()
        second = self._create_crisis()
        number = int(first.reference.rsplit("/", 1)[1])
        self.assertEqual(second.reference, f"{first.reference[:-4]}{number + 1:04d}")
        other = self._create_crisis(user=self.user_manager_2, company_id=self.company_2.id)
        self.assertTrue(other.reference.endswith("/0001"), "each company counts on its own")
        self.assertEqual(other.company_id, self.company_2)

    @freeze_time("2026-03-10 08:00:00")
    def test_acknowledge(self):
        crisis = self._create_crisis(user=self.user_crisis)
        with freeze_time("2026-03-10 08:20:00"):
            crisis.with_user(self.user_crisis).action_acknowledge()
        self.assertEqual(
            crisis.date_acknowledged, fields.Datetime.to_datetime("2026-03-10 08:20:00")
        )
        self.assertEqual(crisis.sla_status, "met")
        with self.assertRaises(UserError):
            crisis.with_user(self.user_crisis).action_acknowledge()

    def test_stages_set_and_clear_dates(self):
        crisis = self._create_crisis()
        with Form(crisis.with_user(self.user_manager)) as form:
            form.stage_id = self.stage_resolved
        self.assertTrue(crisis.date_resolved)
        self.assertFalse(crisis.date_closed)
        resolved_on = crisis.date_resolved

        with Form(crisis.with_user(self.user_manager)) as form:
            form.stage_id = self.stage_responding
        self.assertFalse(crisis.date_resolved, "moving back clears the resolved date")

        with self.assertRaises(ValidationError) as error:
            crisis.with_user(self.user_manager).stage_id = self.stage_closed
        self.assertIn("without a root cause", str(error.exception))
        self.assertEqual(crisis.stage_id, self.stage_responding)

        with Form(crisis.with_user(self.user_manager)) as form:
            form.root_cause = "<p>Expired TLS certificate on the payment gateway.</p>"
            form.stage_id = self.stage_closed
        self.assertTrue(crisis.date_closed)
        self.assertTrue(crisis.date_resolved, "a closed stage is a resolved one too")
        self.assertGreaterEqual(crisis.date_resolved, resolved_on)

    def test_bad_dates_are_refused(self):
        with freeze_time("2026-03-10 08:00:00"):
            crisis = self._create_crisis()
        with self.assertRaises(ValidationError) as error:
            crisis.date_detected = "2026-03-11 08:00:00"
        self.assertIn("cannot be detected after it was declared", str(error.exception))
        with freeze_time("2026-03-09 08:00:00"), self.assertRaises(ValidationError) as error:
            crisis.action_acknowledge()
        self.assertIn("cannot be acknowledged before it was declared", str(error.exception))
        with self.assertRaises(ValidationError) as error:
            self.company.crisis_sla_high_hours = -2
        self.assertIn("longer than zero", str(error.exception))

    @users("crisis_user")
    def test_kanban_shows_every_stage(self):
        groups = self.env["crisis.crisis"].read_group([], ["stage_id"], ["stage_id"])
        self.assertEqual(
            [group["stage_id"][0] for group in groups],
            self.env["crisis.stage"].search([]).ids,
            "empty stages are columns too",
        )
