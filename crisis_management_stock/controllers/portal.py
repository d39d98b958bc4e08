from odoo.http import request
from odoo.tools import format_date

from odoo.addons.crisis_management.controllers.portal import CrisisPortal


class CrisisPortalStock(CrisisPortal):
    def _crisis_page_values(self, impact_sudo, access_token, **kw):
        """The page shows what the customer received that the crisis is about."""
        values = super()._crisis_page_values(impact_sudo, access_token, **kw)
        env = request.env
        # sudo: the customer's own line, after the access check of the page
        values["received"] = [
            dict(
                item,
                quantity=f"{item['quantity']:g}",
                date=format_date(env, item["date"]) if item["date"] else "",
            )
            for item in impact_sudo.with_context(lang=env.lang)._crisis_received_lines()
        ]
        return values
