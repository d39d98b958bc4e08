/** @odoo-module **/

import { registry } from "@web/core/registry";

// The crisis is created by TestCloseTour.test_refused_close_keeps_the_form_clean,
// which starts the tour on its form: still an open step, no root cause yet, an
// approved statement and one affected customer. No `url` here: the tour service
// would redirect to it and leave the start URL given by the test.
const CRISIS = "Tour: leaking valve";
const FOLDED_STAGES = ".o_form_view .o_statusbar_status .o_arrow_button.o_first.dropdown-toggle";
const CLEAN_FORM = ".o_form_view .o_form_status_indicator_buttons.invisible:not(:visible)";

registry.category("web_tour.tours").add("crisis_management_close_tour", {
    steps: () => [
        {
            content: "The form of the crisis is open",
            trigger: `.o_form_view .o_field_widget[name="name"] input:value("${CRISIS}")`,
        },
        {
            content: "Open the Analysis tab",
            trigger: '.o_form_view .o_notebook .nav-link[name="analysis"]',
            run: "click",
        },
        {
            content: "Type the root cause",
            trigger: '.o_form_view .o_field_html[name="root_cause"] p',
            run: "editor Worn gasket on valve 3",
        },
        {
            content: "The cursor stays in the root cause, as after typing",
            trigger: '.o_form_view .o_field_html[name="root_cause"] .odoo-editor-editable',
            run: "click",
        },
        {
            content: "Open the folded stages",
            trigger: FOLDED_STAGES,
            run: "click",
        },
        {
            content: "Close the crisis, one step still open",
            trigger: '.o-dropdown--menu .dropdown-item:contains("Closed")',
            run: "click",
        },
        {
            content: "One message says what is missing",
            trigger: '.modal .modal-body:contains("open action step")',
        },
        {
            content: "The typed root cause is not missing",
            trigger: '.modal .modal-body:not(:contains("root cause"))',
        },
        {
            content: "Acknowledge the message",
            trigger: ".modal .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The crisis stays in its stage, nothing left unsaved",
            trigger: `body:not(:has(.modal)) ${CLEAN_FORM}`,
        },
        {
            content: "Still Responding",
            trigger:
                '.o_form_view .o_statusbar_status button.o_arrow_button_current:contains("Responding")',
        },
        {
            content: "Open the folded stages again",
            trigger: FOLDED_STAGES,
            run: "click",
        },
        {
            content: "Resolve the crisis",
            trigger: '.o-dropdown--menu .dropdown-item:contains("Resolved")',
            run: "click",
        },
        {
            content: "The form offers to send the resolution notice",
            trigger: '.o_form_view button[name="action_send_resolution_notice"]',
            run: "click",
        },
        {
            content: "The notify dialog proposes the resolution notice",
            trigger:
                '.modal .o_field_widget[name="kind"] select:has(option:selected:contains("Resolution Notice"))',
        },
        {
            content: "Not now",
            trigger: '.modal .modal-footer button:contains("Cancel")',
            run: "click",
        },
        {
            content: "Back on the resolved crisis, saved",
            trigger: `body:not(:has(.modal)) ${CLEAN_FORM}`,
        },
    ],
});
