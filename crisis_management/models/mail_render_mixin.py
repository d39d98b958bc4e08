"""One QWeb compilation for a template rendered on many affected customers.

Odoo's mail renderer parses and compiles a QWeb template again for every
record (a template given as source is not cached), which is most of the cost
of a mass email. When the context says ``crisis_render_once`` (the customer
emails of a crisis, see ``crisis.mail.batch``), the template is compiled once
and each record is rendered with it, as ``_render_template_qweb`` does: the
same evaluation context, the same restrictions, the same options. On any
error Odoo's renderer takes over and reports the error itself.
"""

import logging

from lxml import html
from markupsafe import Markup

from odoo import api, models
from odoo.tools import safe_eval

_logger = logging.getLogger(__name__)


class MailRenderMixin(models.AbstractModel):
    _inherit = "mail.render.mixin"

    @api.model
    def _render_template_qweb(self, template_src, model, res_ids, add_context=None, options=None):
        if not (
            self.env.context.get("crisis_render_once")
            and template_src
            and len(res_ids) > 1
            and self._has_unsafe_expression_template_qweb(template_src, model)
        ):
            return super()._render_template_qweb(
                template_src, model, res_ids, add_context=add_context, options=options
            )
        given_options = options
        options = dict(options or {})
        if not (
            self._unrestricted_rendering
            or self.env.is_admin()
            or self.env.user.has_group("mail.group_mail_template_editor")
        ):
            options["raise_on_forbidden_code_for_model"] = model
        variables = self._render_eval_context()
        if add_context:
            variables.update(**add_context)
        qweb = self.env["ir.qweb"].with_context(**options)
        try:
            functions, name = qweb._prepare_environment(dict(variables))._compile(
                html.fragment_fromstring(template_src, create_parent="div")
            )
            render = functions[name]
            results = {}
            for record in self.env[model].browse(res_ids):
                values = dict(variables, object=record)
                env_qweb = qweb._prepare_environment(values)
                safe_eval.check_values(values)
                # drop the <div> wrapping the template's nodes, as Odoo does
                results[record.id] = Markup("".join(render(env_qweb, values))[5:-6])
        except Exception:  # Odoo's renderer reports the error itself
            _logger.info("Rendering once failed, using Odoo's renderer", exc_info=True)
            return super()._render_template_qweb(
                template_src, model, res_ids, add_context=add_context, options=given_options
            )
        return results
