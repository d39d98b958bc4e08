"""Who sees the customers' ratings, what deleting a crisis leaves behind, who
asks for the call-back of an unhappy customer, and crisis references by year
of declaration."""

import importlib.util

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import file_path

from odoo.addons.mail.tests.common import MockEmail

from .common import CrisisCase


class RatingCase(CrisisCase):
    """A crisis of each company with one rated and one asked customer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Impact = cls.env["crisis.impact"]
        cls.crisis = cls._create_crisis()
        cls.impact, cls.impact_asked = Impact.create(
            [
                {"crisis_id": cls.crisis.id, "partner_id": cls.customers[0].id},
                {"crisis_id": cls.crisis.id, "partner_id": cls.customers[1].id},
            ]
        )
        cls.crisis_2 = cls._create_crisis(
            user=cls.user_manager_2, company_id=cls.company_2.id, name="Other company's crisis"
        )
        cls.impact_2 = Impact.create(
            {"crisis_id": cls.crisis_2.id, "partner_id": cls.customers[2].id}
        )
        # what the satisfaction email does: a token per customer
        for impact in cls.impact | cls.impact_asked | cls.impact_2:
            impact._rating_get_access_token()
        cls.impact.rating_apply(5, rating=cls.impact.rating_ids, feedback="Kept informed.")
        cls.impact_2.rating_apply(4, rating=cls.impact_2.rating_ids, feedback="Fine.")
        cls.rating = cls.impact.rating_ids
        cls.rating_asked = cls.impact_asked.rating_ids
        cls.rating_2 = cls.impact_2.rating_ids
        # a rating of another document, as other apps make them
        cls.other_rating = cls.env["rating.rating"].create(
            {
                "res_model_id": cls.env["ir.model"]._get_id("res.partner"),
                "res_id": cls.customers[3].id,
                "partner_id": cls.customers[3].id,
                "rating": 3,
                "consumed": True,
            }
        )


@tagged("post_install", "-at_install")
class TestRatingAccess(RatingCase):
    def test_employee_sees_no_crisis_rating(self):
        Rating = self.env["rating.rating"].with_user(self.user_internal)
        self.assertFalse(Rating.search([("res_model", "=", "crisis.impact")]))
        self.assertFalse(Rating.search([("access_token", "=", self.rating_asked.access_token)]))
        with self.assertRaises(AccessError):
            self.rating.with_user(self.user_internal).read(["feedback", "access_token"])
        with self.assertRaises(AccessError):
            self.rating_asked.with_user(self.user_internal).write({"rating": 1, "consumed": True})
        self.assertFalse(self.rating_asked.consumed)
        # the ratings of other documents stay as Odoo has them
        self.assertIn(self.other_rating, Rating.search([]))
        self.other_rating.with_user(self.user_internal).write({"feedback": "Edited"})
        self.assertEqual(self.other_rating.feedback, "Edited")

    def test_crisis_user_reads_the_ratings_of_their_companies(self):
        Rating = self.env["rating.rating"].with_user(self.user_crisis)
        crisis_ratings = Rating.search([("res_model", "=", "crisis.impact")])
        self.assertIn(self.rating, crisis_ratings)
        self.assertIn(self.rating_asked, crisis_ratings)
        self.assertNotIn(self.rating_2, crisis_ratings, "another company's customer")
        self.assertEqual(self.rating.with_user(self.user_crisis).feedback, "Kept informed.")
        self.assertEqual(self.impact.with_user(self.user_crisis).rating_ids, self.rating)
        with self.assertRaises(AccessError):
            self.rating_2.with_user(self.user_crisis).read(["feedback"])
        # a customer's rating is theirs: crisis users do not rewrite it
        with self.assertRaises(AccessError):
            self.rating.with_user(self.user_crisis).write({"rating": 1})
        with self.assertRaises(AccessError):
            self.rating_asked.with_user(self.user_crisis).write({"rating": 5, "consumed": True})
        self.assertEqual(self.rating.rating, 5)

    def test_managers_change_the_ratings_of_their_companies(self):
        self.rating.with_user(self.user_manager).write({"is_internal": True})
        self.assertTrue(self.rating.is_internal)
        self.assertFalse(
            self.env["rating.rating"]
            .with_user(self.user_manager)
            .search([("id", "=", self.rating_2.id)])
        )
        with self.assertRaises(AccessError):
            self.rating_2.with_user(self.user_manager).write({"rating": 1})
        self.assertEqual(self.rating_2.with_user(self.user_manager_2).feedback, "Fine.")

    def test_crisis_company_of_ratings(self):
        self.assertEqual(self.rating.crisis_company_id, self.company)
        self.assertEqual(self.rating_2.crisis_company_id, self.company_2)
        self.assertFalse(self.other_rating.crisis_company_id)
        Rating = self.env["rating.rating"]
        ratings = self.rating | self.rating_asked | self.rating_2 | self.other_rating
        self.assertEqual(
            Rating.search(
                [("id", "in", ratings.ids), ("crisis_company_id", "=", self.company_2.id)]
            ),
            self.rating_2,
        )
        self.assertEqual(
            Rating.search([("id", "in", ratings.ids), ("crisis_company_id", "=", False)]),
            self.other_rating,
        )
        self.assertEqual(
            Rating.search(
                [("id", "in", ratings.ids), ("crisis_company_id", "!=", self.company.id)]
            ),
            self.rating_2 | self.other_rating,
        )


@tagged("post_install", "-at_install")
class TestCrisisDeletion(RatingCase):
    def _left_of(self, model, ids):
        return self.env[model].search([("res_model", "=", "crisis.impact"), ("res_id", "in", ids)])

    def test_deleting_a_crisis_deletes_what_its_lines_had(self):
        impacts = self.crisis.impact_ids
        ids = impacts.ids
        self.impact.message_post(body="Called the customer back.")
        self.impact_asked.message_subscribe(partner_ids=self.user_crisis.partner_id.ids)
        self.impact_asked.activity_schedule(
            "mail.mail_activity_data_todo", user_id=self.user_crisis.id, summary="Call back"
        )
        self.assertEqual(len(self._left_of("rating.rating", ids)), 2)
        self.assertTrue(self._left_of("mail.followers", ids))
        self.assertTrue(self._left_of("mail.activity", ids))
        messages = self.env["mail.message"].search(
            [("model", "=", "crisis.impact"), ("res_id", "in", ids)]
        )
        self.assertTrue(messages)

        self.crisis.with_user(self.user_manager).unlink()
        self.assertFalse(impacts.exists())
        self.assertFalse((self.rating | self.rating_asked).exists())
        self.assertFalse(self._left_of("rating.rating", ids))
        self.assertFalse(self._left_of("mail.followers", ids))
        self.assertFalse(self._left_of("mail.activity", ids))
        self.assertFalse(messages.exists())
        # the other company's crisis keeps its own
        self.assertTrue(self.rating_2.exists())

    def test_deleting_a_crisis_deletes_what_its_steps_and_plans_had(self):
        plan = self.env["crisis.action.plan"].create({"name": "Plan", "crisis_id": self.crisis.id})
        step = self.env["crisis.action"].create({"name": "Call", "plan_id": plan.id})
        step.activity_schedule(
            "mail.mail_activity_data_todo", user_id=self.user_crisis.id, summary="Call"
        )
        step.message_post(body="Started.")
        plan.message_post(body="Plan drafted.")
        domain = [
            "|",
            "&",
            ("model", "=", "crisis.action"),
            ("res_id", "=", step.id),
            "&",
            ("model", "=", "crisis.action.plan"),
            ("res_id", "=", plan.id),
        ]
        messages = self.env["mail.message"].search(domain)
        self.assertEqual(set(messages.mapped("model")), {"crisis.action", "crisis.action.plan"})
        self.crisis.with_user(self.user_manager).unlink()
        self.assertFalse(step.exists() or plan.exists())
        self.assertFalse(self.env["mail.message"].search(domain))
        self.assertFalse(
            self.env["mail.activity"].search(
                [("res_model", "=", "crisis.action"), ("res_id", "=", step.id)]
            )
        )

    def test_crisis_user_still_cannot_delete_a_crisis_with_customers(self):
        crisis = self._create_crisis(user=self.user_crisis)
        self.env["crisis.impact"].create(
            {"crisis_id": crisis.id, "partner_id": self.customers[0].id}
        )
        with self.assertRaises(UserError):
            crisis.with_user(self.user_crisis).unlink()
        self.assertEqual(len(crisis.impact_ids), 1, "nothing deleted")

    def test_crisis_with_compensations_is_kept(self):
        compensation = self.env["crisis.compensation"].create(
            {"impact_id": self.impact_asked.id, "type": "voucher", "amount": 20}
        )
        with self.assertRaises(UserError) as error:
            self.crisis.with_user(self.user_manager).unlink()
        self.assertEqual(
            str(error.exception),
            f"Crisis {self.crisis.reference} has compensations: archive the crisis instead of "
            "deleting it, or delete its compensations first.",
        )
        self.assertTrue(self.crisis.exists())
        self.assertEqual(self.crisis.impact_ids, self.impact | self.impact_asked)
        self.assertTrue(self.rating.exists())

        # its draft compensation deleted, the crisis goes
        compensation.with_user(self.user_manager).unlink()
        self.crisis.with_user(self.user_manager).unlink()
        self.assertFalse(self.crisis.exists())
        self.assertFalse(self.rating.exists())


@tagged("post_install", "-at_install")
class TestUnhappyCustomerCallBack(HttpCase, CrisisCase, MockEmail):
    """The customer clicks "dissatisfied" in the survey email, as anybody on the web."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.crisis = cls._create_crisis(user=cls.user_crisis)

    def _rate_dissatisfied(self, impact):
        token = impact._rating_get_access_token()
        self.authenticate(None, None)
        with self.mock_mail_gateway():
            response = self.url_open(f"/rate/{token}/1")
            self.assertEqual(response.status_code, 200)
            activity = self.env["mail.activity"].search(
                [("res_model", "=", "crisis.impact"), ("res_id", "=", impact.id)]
            )
            self.assertEqual(len(activity), 1)
            # the "assigned to you" email, sent as the mail queue would
            self.env["mail.mail"].sudo().search([("model", "=", "crisis.impact")]).send()
        return activity

    def _assigned_email(self, impact, user):
        """The "assigned to you" email of the call-back activity (the last one:
        an agent set at creation got one for the line before)."""
        return self.env["mail.message"].search(
            [
                ("model", "=", "crisis.impact"),
                ("res_id", "=", impact.id),
                ("message_type", "=", "user_notification"),
                ("partner_ids", "in", user.partner_id.ids),
            ],
            order="id desc",
            limit=1,
        )

    def test_the_crisis_lead_asks_the_agent(self):
        impact = self.env["crisis.impact"].create(
            {
                "crisis_id": self.crisis.id,
                "partner_id": self.customers[0].id,
                "user_id": self.user_crisis_2.id,
            }
        )
        activity = self._rate_dissatisfied(impact)
        self.assertTrue(impact.churn_risk)
        self.assertEqual(activity.user_id, self.user_crisis_2)
        self.assertEqual(activity.create_uid, self.user_crisis, "the crisis lead")
        self.assertNotEqual(activity.create_uid, self.env.ref("base.public_user"))
        message = self._assigned_email(impact, self.user_crisis_2)
        self.assertEqual(message.author_id, self.user_crisis.partner_id)
        self.assertSentEmail(self.user_crisis.partner_id, self.user_crisis_2.partner_id)

    def test_odoobot_asks_the_lead(self):
        """The call is the lead's own: OdooBot asks them, nobody is told of their own tasks."""
        impact = self.env["crisis.impact"].create(
            {"crisis_id": self.crisis.id, "partner_id": self.customers[1].id}
        )
        activity = self._rate_dissatisfied(impact)
        odoobot = self.env.ref("base.user_root")
        self.assertEqual(activity.user_id, self.user_crisis)
        self.assertEqual(activity.create_uid, odoobot)
        self.assertEqual(
            self._assigned_email(impact, self.user_crisis).author_id, odoobot.partner_id
        )
        self.assertSentEmail(odoobot.partner_id, self.user_crisis.partner_id)

    def test_odoobot_asks_the_agent_of_a_crisis_without_lead(self):
        self.crisis.user_id = False
        impact = self.env["crisis.impact"].create(
            {
                "crisis_id": self.crisis.id,
                "partner_id": self.customers[2].id,
                "user_id": self.user_crisis_2.id,
            }
        )
        activity = self._rate_dissatisfied(impact)
        odoobot = self.env.ref("base.user_root")
        self.assertEqual(activity.user_id, self.user_crisis_2)
        self.assertEqual(activity.create_uid, odoobot)
        self.assertSentEmail(odoobot.partner_id, self.user_crisis_2.partner_id)


@tagged("post_install", "-at_install")
@freeze_time("2026-06-15 10:00:00")
class TestCrisisReferences(CrisisCase):
    """References count per year of declaration and show that year."""

    def _declare(self, declared, **values):
        return self._create_crisis(date_declared=declared, **values)

    def _number(self, crisis):
        return int(crisis.reference.rsplit("/", 1)[1])

    def test_backdated_and_new_year_crises(self):
        crises = {
            declared: self._declare(declared)
            for declared in (
                "2025-12-31 23:30:00",
                "2026-01-01 00:30:00",
                "2024-06-01 09:00:00",
                "2027-01-01 08:00:00",
                "2025-12-31 10:00:00",
                "2025-12-31 23:59:59",
                "2026-06-15 10:00:00",
            )
        }
        for declared, crisis in crises.items():
            self.assertRegex(crisis.reference, rf"^CRI/{declared[:4]}/\d{{4}}$")
        self.assertEqual(len({crisis.reference for crisis in crises.values()}), len(crises))
        # each year counts on, to the last second of the year
        first = self._number(crises["2025-12-31 23:30:00"])
        self.assertEqual(
            [self._number(crises[f"2025-12-31 {time}"]) for time in ("10:00:00", "23:59:59")],
            [first + 1, first + 2],
        )
        self.assertEqual(
            self._number(crises["2026-06-15 10:00:00"]),
            self._number(crises["2026-01-01 00:30:00"]) + 1,
        )

    def test_first_crisis_of_a_company_is_backdated(self):
        def declare(declared):
            return self._declare(declared, user=self.user_manager_2, company_id=self.company_2.id)

        backdated = declare("2024-06-01 09:00:00")
        current = declare("2026-06-15 10:00:00")
        last_year = declare("2025-12-31 23:30:00")
        next_current = declare("2026-06-15 10:00:00")
        self.assertEqual(
            [c.reference for c in (backdated, current, last_year, next_current)],
            ["CRI/2024/0001", "CRI/2026/0001", "CRI/2025/0001", "CRI/2026/0002"],
        )

    def test_migration_of_the_sequence_prefix(self):
        sequence = self.company._crisis_sequence()
        compensations = self.company._crisis_sequence("crisis.compensation")
        sequence.prefix = "CRI/%(year)s/"
        self.env.flush_all()
        spec = importlib.util.spec_from_file_location(
            "post_migrate",
            file_path("crisis_management/migrations/18.0.1.1.0/post-migrate.py"),
        )
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(self.env.cr, "18.0.1.0.0")
        self.env.invalidate_all()
        self.assertEqual(sequence.prefix, "CRI/%(range_year)s/")
        self.assertEqual(compensations.prefix, "CMP/%(range_year)s/", "untouched")
        self.assertEqual(self._declare("2024-06-01 09:00:00").reference[:9], "CRI/2024/")
