/** @odoo-module **/

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

registry.category("web_tour.tours").add("crisis_management_stage_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("crisis_management.crisis_menu_root", "Open the Crisis app"),
        {
            content: "The app opens on the crisis board",
            trigger: ".o_kanban_renderer .o_kanban_group",
        },
        {
            content: "Open the Configuration menu",
            trigger: '.o_main_navbar button[data-menu-xmlid="crisis_management.crisis_menu_config"]',
            run: "click",
        },
        {
            content: "Go to the stages",
            trigger: '.dropdown-item[data-menu-xmlid="crisis_management.crisis_stage_menu"]',
            run: "click",
        },
        {
            content: "The default stages are listed",
            trigger: '.o_list_renderer .o_data_row td[name="name"]:contains("Monitoring")',
        },
        {
            content: "Create a stage",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            content: "Name it",
            trigger: '.o_form_view .o_field_widget[name="name"] input',
            run: "edit Escalated",
        },
        {
            content: "Save it",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "The stage is saved under its name",
            trigger: '.o_breadcrumb .o_last_breadcrumb_item:contains("Escalated")',
        },
        {
            content: "Back to the list",
            trigger: '.o_breadcrumb .breadcrumb-item a:contains("Crisis Stages")',
            run: "click",
        },
        {
            content: "The new stage is listed",
            trigger: '.o_list_renderer .o_data_row td[name="name"]:contains("Escalated")',
        },
    ],
});
