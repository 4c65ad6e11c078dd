/* "Copier le code" beside each snippet of the widget's code page (widget/code.html).
 *
 * Progressive enhancement: without this script the snippets are plain text to select and
 * copy by hand. With it, each `<pre data-copy-label="…">` (or textarea) gets a button after
 * it that copies the snippet with the asynchronous clipboard API; where that API is missing
 * or refused (no secure context, no permission), the button selects the snippet instead so
 * that Ctrl+C (⌘+C) copies it. A polite live region announces what happened, in the page's
 * language (the messages come from the element's data-copied-message and
 * data-select-message attributes). Strict CSP friendly: no inline handler or style.
 */
(function () {
  "use strict";

  var status;

  function announce(message) {
    // Emptied first, so that the same message twice is announced twice.
    status.textContent = "";
    window.setTimeout(function () {
      status.textContent = message;
    }, 50);
  }

  function select(snippet) {
    if (typeof snippet.select === "function") {
      snippet.focus();
      snippet.select();
      return;
    }
    var range = document.createRange();
    range.selectNodeContents(snippet);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function text(snippet) {
    return typeof snippet.value === "string" ? snippet.value : snippet.textContent;
  }

  function fallBack(snippet) {
    select(snippet);
    announce(snippet.getAttribute("data-select-message"));
  }

  function enhance(snippet) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy-button";
    button.textContent = snippet.getAttribute("data-copy-label");
    button.addEventListener("click", function () {
      if (!navigator.clipboard || !window.isSecureContext) {
        fallBack(snippet);
        return;
      }
      navigator.clipboard.writeText(text(snippet)).then(
        function () {
          announce(snippet.getAttribute("data-copied-message"));
        },
        function () {
          fallBack(snippet);
        }
      );
    });
    snippet.insertAdjacentElement("afterend", button);
  }

  function init() {
    var snippets = document.querySelectorAll("[data-copy-label]");
    if (!snippets.length) {
      return;
    }
    status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    document.body.appendChild(status);
    Array.prototype.forEach.call(snippets, enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
