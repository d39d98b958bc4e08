/** @odoo-module **/

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crisis_management_inbox_tour", {
    steps: () => [
        {
            content: "Its inbox is on the Communication tab",
            trigger: '.o_form_view .o_notebook a[name="communication"]',
            run: "click",
        },
        {
            content: "The crisis has its inbox",
            trigger: '.o_form_view .o_field_widget[name="alias_email"]:contains("@crisis-tour.example.com")',
        },
        {
            content: "Open its affected customers",
            trigger: '.o_form_view button[name="action_view_impacts"]',
            run: "click",
        },
        {
            content: "The customer who wrote to the inbox is there, self-reported",
            trigger: '.o_data_row:contains("Jane Newcomer") td[name="partner_id"]',
            run: "click",
        },
        {
            content: "The line says so",
            trigger: ".o_form_view .o_crisis_self_reported_badge",
        },
        {
            content: "Show the chatter: it loads its messages once visible",
            trigger: ".o-mail-Chatter",
            run() {
                document.querySelector(".o-mail-Chatter").scrollIntoView();
            },
        },
        {
            content: "Their email is in the chatter (emails are shown in a shadow root)",
            trigger: '.o-mail-Message:contains("Jane Newcomer") .o-mail-Message-body div:shadow pre:contains("Please call me")',
        },
        {
            content: "The agent checked: verify them",
            trigger: '.o_form_view button[name="action_verify_self_reported"]',
            run: "click",
        },
        {
            content: "Verified: the badge is gone",
            trigger: ".o_form_view:not(:has(.o_crisis_self_reported_badge:visible))",
        },
    ],
});
