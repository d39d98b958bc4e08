from collections import defaultdict

from odoo import api, models
from odoo.tools import html2plaintext

from .crisis_crisis import single_line


class CrisisUpdate(models.Model):
    """Customer updates in the reader's language.

    Each customer is emailed in their own language (the template's ``lang``);
    the update records the send once. Its subject is rendered from the
    template once per installed language at the send, whatever the number of
    customers, and stored translated (``name``): the customer's page, the
    status page and the backend show it in the reader's language. An update
    that is the public statement keeps the statement's translations of the
    moment as its text (``body``), as each customer was sent it.
    """

    _inherit = "crisis.update"

    @api.model
    def _crisis_render_subjects(self, template, impact):
        """{language code: subject} of ``template`` rendered for the line
        ``impact`` in each installed language (the template's name when the
        subject is empty)."""
        subjects = {}
        current = self.env.lang or "en_US"
        for lang, _name in self.env["res.lang"].get_installed():
            # the current language as the caller reads it (its cache, no query)
            localized = template if lang == current else template.with_context(lang=lang)
            rendered = localized._render_field("subject", impact.ids).get(impact.id)
            subjects[lang] = single_line(rendered) or localized.name
        return subjects

    def _crisis_store_translations(self, subjects=None):
        """Store the subject of this update in each language of ``subjects``
        ({language code: subject}) and, when its text is the statement, the
        statement's translations as its text."""
        self.ensure_one()
        # sudo: updates are written only by the sends and the workflow buttons
        update = self.sudo()
        installed = {code for code, _name in self.env["res.lang"].get_installed()}
        # the update was created in the sender's language (its value is also
        # the English one): nothing more to write in a database of one language
        created = self.env.lang or "en_US"
        names = {
            lang: text
            for lang, text in (subjects or {}).items()
            if lang in installed and (lang != created or created not in subjects)
        }
        if names:
            update.update_field_translations("name", names)
        if self.body_is_statement and len(installed) > 1:
            update._crisis_translate_statement_body(installed)
        return True

    def _crisis_translate_statement_body(self, installed):
        """The text of this update, the statement in one of its languages,
        gets the statement's translations: as Odoo copies the translations of
        a record (``copy_translations``), term by term."""
        crisis = self.crisis_id
        field = crisis._fields["public_statement"]
        stored = {
            lang: text
            for lang, text in (field._get_stored_translations(crisis) or {}).items()
            if lang in installed and text
        }
        # the language in which the text was written (the sender's, most often)
        words = html2plaintext(self.body or "").split()
        source_lang = next(
            (lang for lang, text in stored.items() if html2plaintext(text).split() == words), None
        )
        if not source_lang:
            return
        # {term of the text: {language: its translation}}
        dictionary = field.get_translation_dictionary(stored.pop(source_lang), stored)
        translations = defaultdict(dict)
        for term, translated in dictionary.items():
            for lang, text in translated.items():
                translations[lang][term] = text
        if translations:
            self.update_field_translations("body", dict(translations))
