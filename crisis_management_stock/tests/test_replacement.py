"""Replacement compensations shipped from the warehouse: the delivery and the
return, linked both ways, and the compensation delivered when the delivery is
done."""

from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.base.controllers.rpc import dumps

from .common import CrisisStockCase


@tagged("post_install", "-at_install")
class TestReplacement(CrisisStockCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bob = cls.env["res.partner"].create({"name": "Bob", "email": "bob@example.com"})
        cls.delivery = cls._deliver(
            cls.bob, cls.kettle, 3, cls.lot_bad, when=cls.began - timedelta(days=3)
        )
        cls.env["crisis.impact.wizard"].with_user(cls.user_crisis).create(
            {
                "crisis_id": cls.crisis.id,
                "selection_mode": "received",
                "received_lot_ids": [Command.set(cls.lot_bad.ids)],
            }
        ).action_add()
        cls.impact = cls.crisis.impact_ids
        cls.spare = cls.env["product.product"].create(
            {"name": "Electric Kettle K3", "is_storable": True}
        )
        cls.env["stock.quant"]._update_available_quantity(cls.spare, cls.stock, 10)
        cls.crisis.team_id = cls._create_crisis_user_team()
        cls.crisis.team_id.member_ids = [
            Command.create({"user_id": cls.user_warehouse.id, "role": "customer_service"})
        ]

    def _approved(self, **values):
        compensation = (
            self.env["crisis.compensation"]
            .with_user(self.user_crisis)
            .create({"impact_id": self.impact.id, "type": "replacement", **values})
        )
        compensation.action_submit()
        compensation.with_user(self.user_manager).action_approve()
        return compensation

    def test_defaults_from_what_the_customer_received(self):
        compensation = self._approved()
        self.assertEqual(compensation.replacement_product_id, self.kettle)
        self.assertEqual(compensation.replacement_quantity, 3.0)
        self.assertTrue(compensation.replacement_return)

    def test_ship_return_and_deliver(self):
        compensation = self._approved(replacement_product_id=self.spare.id)
        self.assertEqual(compensation.replacement_quantity, 1.0, "nothing received of it")
        compensation.replacement_quantity = 3
        result = compensation.with_user(self.user_warehouse).action_deliver()
        self.assertIs(result, True)
        dumps((result,))
        self.assertEqual(compensation.state, "approved", "delivered once the delivery is done")
        pickings = compensation.sudo().picking_ids
        delivery = pickings.filtered(lambda p: p.picking_type_code == "outgoing")
        back = pickings - delivery
        self.assertEqual(delivery.partner_id, self.bob)
        self.assertEqual(delivery.origin, compensation.reference)
        self.assertEqual(delivery.move_ids.product_id, self.spare)
        self.assertEqual(delivery.move_ids.product_uom_qty, 3.0)
        self.assertEqual(delivery.state, "assigned", "reserved from the stock")
        self.assertEqual(delivery.crisis_compensation_id, compensation)
        # the return of the three affected units, Odoo's return of Bob's delivery
        self.assertEqual(back.picking_type_code, "incoming")
        self.assertEqual(back.return_id, self.delivery)
        self.assertEqual(back.move_ids.origin_returned_move_id, self.delivery.move_ids)
        self.assertEqual(back.move_ids.product_uom_qty, 3.0)
        self.assertTrue(compensation.has_replacement_delivery)
        with self.assertRaisesRegex(UserError, "already has the delivery"):
            compensation.with_user(self.user_warehouse).action_deliver()
        with self.assertRaisesRegex(UserError, "can change only until"):
            compensation.with_user(self.user_warehouse).replacement_quantity = 1
        with self.assertRaisesRegex(UserError, "cancel the delivery first"):
            compensation.with_user(self.user_manager).action_cancel()
        # the warehouse ships it
        delivery.move_ids.picked = True
        delivery.with_user(self.user_stock_manager).button_validate()
        self.assertEqual(delivery.state, "done")
        self.assertEqual(compensation.state, "delivered")
        self.assertIn(delivery.name, compensation.delivery_details)
        self.assertIn("Electric Kettle K3", compensation.delivery_details)
        self.assertIn(
            f"Delivered: the delivery {delivery.name} is done.",
            compensation.sudo().message_ids.mapped("preview"),
        )

    def test_a_cancelled_delivery_leaves_it_approved(self):
        compensation = self._approved(replacement_return=False)
        compensation.with_user(self.user_warehouse).action_deliver()
        delivery = compensation.sudo().picking_ids
        self.assertEqual(len(delivery), 1, "no return asked")
        delivery.with_user(self.user_stock_manager).action_cancel()
        self.assertEqual(compensation.state, "approved")
        self.assertFalse(compensation.has_replacement_delivery)
        self.assertIn("Deliver it again", compensation.sudo().message_ids[0].preview)
        compensation.with_user(self.user_warehouse).action_deliver()
        self.assertEqual(len(compensation.sudo().picking_ids), 2, "a new delivery")

    def test_who_may_ship(self):
        compensation = self._approved()
        with self.assertRaisesRegex(AccessError, "inventory rights"):
            compensation.with_user(self.user_crisis).action_deliver()
        compensation.replacement_product_id = False
        with self.assertRaisesRegex(UserError, "choose the replacement product"):
            compensation.with_user(self.user_warehouse).action_deliver()

    def test_transfers_are_linked_by_delivering_only(self):
        compensation = self._approved()
        Picking = self.env["stock.picking"].with_user(self.user_warehouse)
        with self.assertRaisesRegex(UserError, "not by hand"):
            Picking.create(
                {
                    "picking_type_id": self.out_type.id,
                    "partner_id": self.bob.id,
                    "crisis_compensation_id": compensation.id,
                }
            )
        with self.assertRaisesRegex(UserError, "not by hand"):
            self.delivery.with_user(self.user_warehouse).write(
                {"crisis_compensation_id": compensation.id}
            )
        with self.assertRaisesRegex(UserError, "cannot be set directly"):
            compensation.with_user(self.user_manager).write({"picking_ids": [Command.clear()]})

    def test_a_drill_ships_nothing(self):
        self.crisis.sudo().is_drill = True
        compensation = self._approved()
        compensation.with_user(self.user_warehouse).action_deliver()
        self.assertEqual(compensation.state, "delivered")
        self.assertFalse(compensation.sudo().picking_ids)
