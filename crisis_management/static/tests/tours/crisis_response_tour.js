/** @odoo-module **/

import { registry } from "@web/core/registry";

// The records below are created by TestTour.test_crisis_response, which starts
// the tour on the form of the crisis. No `url` here: the tour service would
// redirect to it and leave the start URL given by the test.
const CRISIS = "Tour: spoiled yoghurt";
const PLAYBOOK = "Tour: dairy recall";
const FIRST_STEP = "Tour: stop the shipments";
const SECOND_STEP = "Tour: call the shops";
const CUSTOMER = "Tour yoghurt shop";
const REQUESTER = "Rita Requester";
const STEPS = '.o_form_view .o_field_widget[name="action_ids"]';

registry.category("web_tour.tours").add("crisis_management_response_tour", {
    steps: () => [
        // 1. apply a playbook to the crisis
        {
            content: "The form of the crisis is open",
            trigger: `.o_form_view .o_field_widget[name="name"] input:value("${CRISIS}")`,
        },
        {
            content: "No playbook yet: nothing to apply",
            trigger:
                '.o_form_view .o_statusbar_buttons:not(:has(button[name="action_apply_playbook"]))',
        },
        {
            content: "Search the playbook",
            trigger: '.o_form_view .o_field_widget[name="playbook_id"] input',
            run: "edit Tour: dairy",
        },
        {
            content: "Pick the playbook",
            trigger: `.o-autocomplete--dropdown-item a:contains("${PLAYBOOK}")`,
            run: "click",
        },
        {
            content: "The playbook is set",
            trigger: `.o_form_view .o_field_widget[name="playbook_id"] input:value("${PLAYBOOK}")`,
        },
        {
            content: "Apply the playbook",
            trigger: '.o_form_view .o_statusbar_buttons button[name="action_apply_playbook"]',
            run: "click",
        },
        // 2. work the action plan
        {
            content: "Open the Action Plan tab",
            trigger: '.o_form_view .o_notebook .nav-link[name="action_plan"]',
            run: "click",
        },
        {
            content: "The plan has the second step of the playbook",
            trigger: `${STEPS} .o_data_row td[name="name"]:contains("${SECOND_STEP}")`,
        },
        {
            content: "Open the first step",
            trigger: `${STEPS} .o_data_row td[name="name"]:contains("${FIRST_STEP}")`,
            run: "click",
        },
        {
            content: "The step opens in a dialog",
            trigger: `.modal .o_form_view .o_field_widget[name="name"]:contains("${FIRST_STEP}")`,
        },
        {
            content: "Mark it as done",
            trigger: '.modal .o_form_view .o_statusbar_buttons button[name="action_done"]',
            run: "click",
        },
        {
            content: "The step is done",
            trigger:
                '.modal .o_form_view .o_statusbar_status button.o_arrow_button_current:contains("Done")',
        },
        {
            content: "Close the dialog",
            trigger: ".modal .modal-footer .o_form_button_cancel",
            run: "click",
        },
        {
            content: "Back on the crisis",
            trigger: `body:not(:has(.modal)) .o_form_view .o_field_widget[name="name"] input:value("${CRISIS}")`,
        },
        // 3. approve the compensation another user requested
        {
            content: "Open the Compensations menu",
            trigger:
                '.o_main_navbar button[data-menu-xmlid="crisis_management.crisis_menu_compensations"]',
            run: "click",
        },
        {
            content: "Go to the compensations to approve",
            trigger:
                '.dropdown-item[data-menu-xmlid="crisis_management.crisis_compensation_menu_to_approve"]',
            run: "click",
        },
        {
            content: "Open the compensation of the customer",
            trigger: `.o_list_renderer .o_data_row td[name="partner_id"]:contains("${CUSTOMER}")`,
            run: "click",
        },
        {
            content: "It was requested by another user",
            trigger: `.o_form_view .o_field_widget[name="user_id"]:contains("${REQUESTER}")`,
        },
        {
            content: "Approve it",
            trigger: '.o_form_view .o_statusbar_buttons button[name="action_approve"]',
            run: "click",
        },
        {
            content: "The compensation is approved, by the current user",
            trigger:
                '.o_form_view:has(.o_statusbar_status button.o_arrow_button_current:contains("Approved")) .o_field_widget[name="approved_by_id"]',
        },
    ],
});
