from odoo.tests import TransactionCase, new_test_user


class CrisisCase(TransactionCase):
    """Users of every kind the addon cares about, shared by the tests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.user_crisis = new_test_user(
            cls.env,
            login="crisis_user",
            name="Carol Crisis-User",
            groups="crisis_management.group_crisis_user",
        )
        cls.user_manager = new_test_user(
            cls.env,
            login="crisis_manager",
            name="Marc Crisis-Manager",
            groups="crisis_management.group_crisis_manager",
        )
        cls.user_internal = new_test_user(
            cls.env,
            login="plain_employee",
            name="Ivan Internal",
            groups="base.group_user",
        )
        cls.user_portal = new_test_user(
            cls.env,
            login="portal_customer",
            name="Paula Portal",
            groups="base.group_portal",
        )
