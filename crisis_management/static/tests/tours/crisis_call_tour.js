/** @odoo-module **/

import { registry } from "@web/core/registry";

const row = (name) => `.o_data_row:contains("${name}")`;

registry.category("web_tour.tours").add("crisis_management_call_tour", {
    steps: () => [
        {
            content: "Call the customers of the crisis",
            trigger: '.o_form_view button[name="action_call_customers"]',
            run: "click",
        },
        {
            content: "By default: the priority customer and the one without email",
            trigger: '.modal .o_field_widget[name="call_count"]:contains("2")',
        },
        {
            content: "Schedule the calls",
            trigger: '.modal button[name="action_schedule"]',
            run: "click",
        },
        {
            content: "The crisis shows the campaign: two to call",
            trigger: '.o_crisis_call_progress .o_field_widget[name="call_todo_count"]:contains("2")',
        },
        {
            content: "Open the calls",
            trigger: '.o_form_view button[name="action_view_calls"]',
            run: "click",
        },
        {
            content: "Nobody answered the first customer",
            trigger: `${row("Tour caller Anna")} button[name="action_call_no_answer"]`,
            run: "click",
        },
        {
            content: "The line shows the outcome, and the next try stays open",
            trigger: `${row("Tour caller Anna")} .o_field_widget[name="call_outcome"]:contains("No Answer")`,
        },
        {
            content: "The second customer was reached",
            trigger: `${row("Tour caller Bert")} button[name="action_call_reached"]`,
            run: "click",
        },
        {
            content: "Reached: no more buttons on that line",
            trigger: `${row("Tour caller Bert")} .o_field_widget[name="call_outcome"]:contains("Reached")`,
        },
        {
            trigger: `${row("Tour caller Bert")}:not(:has(button[name="action_call_reached"]))`,
        },
    ],
});
