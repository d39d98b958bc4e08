import { onMounted } from "@odoo/owl";
import { patch } from "@web/core/utils/patch";
import { KanbanRenderer } from "@web/views/kanban/kanban_renderer";

/**
 * On a phone, Odoo shows a grouped kanban board one column at a time (the
 * columns side by side, swiped horizontally) and opens it on the first
 * column. The first stage of the crisis board ("New") is often empty while
 * the crises sit in later stages: the crisis board (class o_crisis_kanban)
 * opens on its first column that has crises instead.
 *
 * Folding empty stages would not do it: on small screens folded columns are
 * still shown at full width (only their cards are left out), and the server
 * (group_expand) cannot tell a phone from a desktop, whose board shows every
 * stage. So the renderer scrolls, once, when the board is first shown; the
 * user's own swipes and later searches are left alone.
 */
patch(KanbanRenderer.prototype, {
    setup() {
        super.setup(...arguments);
        onMounted(() => this.crisisOpenOnFirstNonEmptyGroup());
    },

    crisisOpenOnFirstNonEmptyGroup() {
        const classNames = (this.props.archInfo.className || "").split(/\s+/);
        const list = this.props.list;
        if (!this.env.isSmall || !classNames.includes("o_crisis_kanban") || !list.isGrouped) {
            return;
        }
        const group = list.groups.find((group) => group.count);
        const root = this.rootRef.el;
        if (!group || group === list.groups[0] || !root) {
            return;
        }
        const column = root.querySelector(`.o_kanban_group[data-id="${group.id}"]`);
        if (!column) {
            return;
        }
        // centred, as the board's scroll snapping places a column
        const offset =
            column.getBoundingClientRect().left - root.getBoundingClientRect().left;
        root.scrollLeft += offset - (root.clientWidth - column.offsetWidth) / 2;
    },
});
