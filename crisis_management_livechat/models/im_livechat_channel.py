from odoo import models

# the published crises a live chat names at most, newest first
BANNER_CRISES = 2


class ImLivechatChannel(models.Model):
    """During a published crisis, the live chat's welcome message starts
    with a short banner: the crisis' customer-facing title and the link to
    its status page, in the visitor's language, so that a visitor who comes
    about it reads the approved words before anyone types."""

    _inherit = "im_livechat.channel"

    def _get_channel_infos(self):
        infos = super()._get_channel_infos()
        banner = self._crisis_banner()
        if banner:
            infos["default_message"] = "\n".join(
                part for part in (banner, infos.get("default_message")) if part
            )
            infos["crisis_banner"] = banner
        return infos

    def _crisis_banner(self):
        """The banner of the open published crises (of the status page's
        main company, as ``/status`` shows them), or ''."""
        self.ensure_one()
        Crisis = self.env["crisis.crisis"].sudo()
        company = self.env.ref("base.main_company", raise_if_not_found=False) or self.env.company
        crises = Crisis.search(
            [
                *Crisis._crisis_status_domain(),
                ("company_id", "=", company.id),
                ("date_resolved", "=", False),
            ],
            order="date_declared desc, id desc",
            limit=BANNER_CRISES,
        )
        if not crises:
            return ""
        base = self.get_base_url()
        lang = self.env.lang
        lines = []
        for crisis in crises.with_context(lang=lang):
            # made first: the term extractor evaluates the call's arguments
            url = f"{base}/status/{crisis.id}"
            lines.append(
                self.env._(
                    "Known issue: %(title)s. Follow it on %(url)s",
                    title=crisis.public_title,
                    url=url,
                )
            )
        return "\n".join(lines)
