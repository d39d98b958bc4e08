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
            content: "The message has the focus, not the email template",
            // document.activeElement: a headless browser's window never has the focus (:focus)
            trigger: '.modal .o_field_widget[name="body"] [contenteditable="true"]',
            run() {
                const editable = document.querySelector(
                    '.modal .o_field_widget[name="body"] [contenteditable="true"]'
                );
                if (document.activeElement !== editable) {
                    throw new Error(`The focus is on ${document.activeElement.outerHTML}`);
                }
            },
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
            content: "Send a test to me first",
            trigger: '.modal button[name="action_send_test"]',
            run: "click",
        },
        {
            content: "The test went to me only; the wizard stays open",
            trigger: '.o_notification:contains("was sent to you")',
        },
        {
            content: "Send",
            trigger: '.modal button[name="action_review_send"]',
            run: "click",
        },
        {
            content: "Confirm first: how many emails go out",
            trigger: '.modal h2:contains("Send 2 emails?")',
        },
        {
            content: "Confirm and send",
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
