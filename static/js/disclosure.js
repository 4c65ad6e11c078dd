/* The header's "Menu" disclosure (<details class="menu">): a nicety on narrow screens.
 *
 * The menu works without this script (a <details> opens and closes by itself). With it,
 * Escape closes the open menu and puts the focus back on its button (<summary>), as a
 * menu button would. On wide screens the CSS shows the links and hides the button: there
 * is nothing to close. Strict CSP friendly: no inline handler, no inline style.
 */
(function () {
  "use strict";

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || event.defaultPrevented) {
      return;
    }
    var menu = document.querySelector("details.menu[open]");
    var summary = menu && menu.querySelector(":scope > summary");
    if (!summary || summary.offsetParent === null) {
      return;
    }
    menu.open = false;
    summary.focus();
  });
})();
