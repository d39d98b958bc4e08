/** @odoo-module **/

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const TITLE = "Tour: cheese recall";

registry.category("web_tour.tours").add("crisis_management_notify_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("crisis_management.crisis_menu_root", "Open the Crisis app"),
        {
            content: "Open the crisis from the board",
            trigger: `.o_kanban_record:contains("${TITLE}")`,
            run: "click",
        },
        {
            content: "Notify its affected customers",
            trigger: '.o_form_view button[name="action_notify_customers"]',
            run: "click",
        },
        {
            content: "The first update is the initial notice",
            trigger: '.modal .o_field_widget[name="kind"] select:has(option:selected:contains("Initial Notice"))',
        },
        {
            content: "Two customers get the email",
            trigger: '.modal .o_field_widget[name="recipient_count"]:contains("2")',
        },
        {
            content: "One customer has no email address and is skipped",
            trigger: '.modal .o_field_widget[name="no_email_count"]:contains("1")',
        },
        {
            content: "The message is the approved statement",
            trigger: '.modal .o_field_widget[name="body"]:contains("spoiled batch")',
        },
        {
            content: "Look at the preview",
            trigger: '.modal .nav-link:contains("Preview")',
            run: "click",
        },
        {
            content: "The preview is the email of one customer",
            trigger: '.modal .o_field_widget[name="preview_body"]:contains("Dear Tour cheese shop")',
        },
        {
            content: "Send",
            trigger: '.modal button[name="action_send"]',
            run: "click",
        },
        {
            content: "The wizard closes and says how many emails were queued",
            trigger: 'body:not(:has(.modal)) .o_notification:contains("2 email(s) queued")',
        },
        {
            content: "Open the customer updates of the crisis",
            trigger: '.o_form_view .nav-link:contains("Customer Updates")',
            run: "click",
        },
        {
            content: "The update is on the timeline",
            trigger: '.o_form_view .o_field_widget[name="update_ids"] .o_data_row:contains("Initial Notice")',
        },
    ],
});
