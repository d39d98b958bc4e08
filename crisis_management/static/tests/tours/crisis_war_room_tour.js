/** @odoo-module **/

import { registry } from "@web/core/registry";

// the shortcut of the crisis' approved statement, read on its form
let shortcut = null;

registry.category("web_tour.tours").add("crisis_management_war_room_tour", {
    steps: () => [
        {
            content: "The approved words are on the Communication tab",
            trigger: '.o_form_view .o_notebook a[name="communication"]',
            run: "click",
        },
        {
            content: "Read the shortcut of the approved statement",
            trigger: '.o_form_view .o_field_widget[name="canned_response_codes"]:contains(":cri")',
            run() {
                const codes = document
                    .querySelector('.o_form_view .o_field_widget[name="canned_response_codes"]')
                    .textContent.trim();
                shortcut = codes.split(" ")[0].slice(1);
            },
        },
        {
            content: "Open the war room",
            trigger: '.o_form_view button[name="action_open_war_room"]',
            run: "click",
        },
        {
            content: "The war room tells the crisis' events",
            trigger: '.o-mail-Discuss .o-mail-Message-body:contains("War room of")',
        },
        {
            content: "Type the shortcut of the approved statement",
            trigger: ".o-mail-Discuss .o-mail-Composer-input",
            async run(helpers) {
                await helpers.edit(`:${shortcut}`);
            },
        },
        {
            content: "Odoo suggests the canned response",
            trigger: ".o-mail-Composer-suggestion:contains(may leak)",
            run: "click",
        },
        {
            content: "The approved words replace the shortcut",
            trigger: '.o-mail-Discuss .o-mail-Composer-input:value("may leak")',
        },
        {
            content: "Send them",
            trigger: ".o-mail-Discuss .o-mail-Composer-send:enabled",
            run: "click",
        },
        {
            content: "The approved words are in the war room",
            trigger: '.o-mail-Discuss .o-mail-Message-body:contains("Stop using them")',
        },
    ],
});
