from odoo import models


class StockMove(models.Model):
    _inherit = "stock.move"

    def _action_done(self, cancel_backorder=False):
        moves = super()._action_done(cancel_backorder=cancel_backorder)
        (self | moves).picking_id._crisis_sync_compensations()
        return moves

    def _action_cancel(self):
        result = super()._action_cancel()
        self.picking_id._crisis_sync_compensations()
        return result
