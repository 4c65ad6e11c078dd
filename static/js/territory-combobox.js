/* Territory suggestions: progressive enhancement of `<input data-suggest-url="…">`.
 *
 * Without this script the input is a plain text field and the server resolves what was
 * typed. With it, each such input becomes a WAI-ARIA 1.2 combobox ("list autocomplete
 * with manual selection"): suggestions from `GET <data-suggest-url>?q=<text>` (JSON
 * `{"results": [{"value", "label", "kind"}]}`) show in a listbox under the field.
 *
 * Keyboard: Down/Up move through the suggestions (and open the list), Enter chooses,
 * Escape closes, Tab leaves (closing the list, choosing nothing). DOM focus stays on the
 * input; the highlighted option is conveyed by `aria-activedescendant` and
 * `aria-selected`. A polite live region announces how many suggestions there are.
 *
 * How the chosen value is submitted: the visible input gives its `name` to a hidden input
 * inserted next to it, so the visible input can show the human label ("Meurthe-et-Moselle
 * (54)") while the form submits the slug (`territoire=departement-54`). The hidden input
 * holds the slug while the visible text is still the chosen label, and the typed text as
 * soon as the visitor edits it (or when nothing was chosen), so the server receives
 * exactly what it would without JavaScript. The visible input keeps its id, label,
 * `aria-describedby` and error styling; `autocomplete="off"` also stops browsers from
 * restoring a stale label on history navigation.
 *
 * Optional: `data-suggest-label="<label>"` on an input whose value is already a slug shows
 * that label instead of the slug (the slug is still what gets submitted).
 *
 * Strict CSP friendly (script-src/style-src 'self'): no eval, no inline handlers, no
 * inline styles; the look comes from css/combobox.css through the classes below.
 */
(function () {
  "use strict";

  const MIN_CHARS = 2; // the server answers an empty list below that
  const DEBOUNCE_MS = 150; // one request per pause in typing, not per key
  const CACHE_MAX = 100; // queries kept per field, oldest dropped first

  let counter = 0;

  // The live region speaks the page's language (<html lang>): French, or English under /en/.
  const MESSAGES = {
    fr: { none: "Aucune suggestion", keys: "utilisez les flèches haut et bas" },
    en: { none: "No suggestions", keys: "use the up and down arrows" },
  };

  function announcement(count) {
    const messages = MESSAGES[document.documentElement.lang] || MESSAGES.fr;
    if (count === 0) return messages.none;
    const noun = count > 1 ? "suggestions" : "suggestion";
    return `${count} ${noun}, ${messages.keys}`;
  }

  function enhance(input) {
    if (!input.name || input.closest(".combobox")) return; // nothing to submit, or done
    counter += 1;
    const id = input.id || `combobox-${counter}`;
    input.id = id;
    const endpoint = new URL(input.dataset.suggestUrl, document.baseURI);

    // The wrapper is the positioning context of the listbox, right under the input.
    const wrapper = document.createElement("div");
    wrapper.className = "combobox";

    const hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = input.name;
    if (input.hasAttribute("form")) hidden.setAttribute("form", input.getAttribute("form"));

    const listbox = document.createElement("ul");
    listbox.id = `${id}-listbox`;
    listbox.className = "combobox-listbox";
    listbox.setAttribute("role", "listbox");
    listbox.hidden = true;
    const label = input.labels && input.labels[0];
    if (label) {
      if (!label.id) label.id = `${id}-label`;
      listbox.setAttribute("aria-labelledby", label.id);
    }

    // Created empty now: live regions only speak about changes made after they exist.
    const status = document.createElement("div");
    status.className = "combobox-status";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");

    const hadFocus = document.activeElement === input; // moving an element blurs it
    input.before(wrapper);
    wrapper.append(input, hidden, listbox, status);
    if (hadFocus) input.focus();

    input.removeAttribute("name");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listbox.id);
    input.setAttribute("autocomplete", "off");

    let results = []; // suggestions currently rendered in the listbox
    let resultsQuery = null; // the query they answer
    let active = -1; // index of the highlighted option, -1 for none
    let chosen = null; // {value, label} of the last suggestion chosen
    let timer = 0;
    let controller = null;
    const cache = new Map();

    if (input.dataset.suggestLabel && input.value) {
      chosen = { value: input.value, label: input.dataset.suggestLabel };
      input.value = chosen.label;
    }

    const query = () => input.value.trim();

    // The slug while the chosen label is untouched, otherwise the text as typed.
    function sync() {
      hidden.value = chosen && input.value === chosen.label ? chosen.value : input.value;
    }

    function setActive(index) {
      const previous = listbox.children[active];
      if (previous) previous.setAttribute("aria-selected", "false");
      active = index;
      const option = listbox.children[index];
      if (option) {
        option.setAttribute("aria-selected", "true");
        input.setAttribute("aria-activedescendant", option.id);
        option.scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function open() {
      listbox.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function close() {
      setActive(-1);
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
    }

    function render(list, forQuery) {
      results = list;
      resultsQuery = forQuery;
      active = -1;
      input.removeAttribute("aria-activedescendant");
      listbox.textContent = "";
      list.forEach((item, index) => {
        const option = document.createElement("li");
        option.id = `${id}-option-${index}`;
        option.className = "combobox-option";
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        const text = document.createElement("span");
        text.className = "combobox-option-label";
        text.textContent = item.label; // textContent, never HTML: labels are data
        option.append(text);
        if (item.kind) {
          const kind = document.createElement("span");
          kind.className = "combobox-option-kind";
          kind.textContent = item.kind;
          option.append(" ", kind); // the space keeps the words apart for screen readers
        }
        listbox.append(option);
      });
      if (list.length) open();
      else close();
      status.textContent = announcement(list.length);
    }

    function remember(key, list) {
      cache.set(key, list);
      if (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value);
    }

    async function update() {
      clearTimeout(timer);
      if (controller) controller.abort(); // an answer to an older query is no longer wanted
      controller = null;
      const q = query();
      if (q.length < MIN_CHARS) {
        close();
        status.textContent = "";
        return;
      }
      let list = cache.get(q);
      if (!list) {
        const current = new AbortController();
        controller = current;
        const url = new URL(endpoint);
        url.searchParams.set("q", q);
        try {
          const response = await fetch(url, {
            signal: current.signal,
            headers: { Accept: "application/json" },
          });
          if (!response.ok) throw new Error(`HTTP ${response.status}`);
          const data = await response.json();
          list = Array.isArray(data.results) ? data.results : [];
        } catch (error) {
          // Aborted: a newer request took over. Failed: the plain field still works.
          if (error.name !== "AbortError") close();
          return;
        } finally {
          if (controller === current) controller = null;
        }
        remember(q, list);
      }
      // Typing or leaving the field since the request makes its answer moot.
      if (q === query() && document.activeElement === input) render(list, q);
    }

    function choose(index) {
      const item = results[index];
      if (!item) return;
      chosen = { value: item.value, label: item.label };
      input.value = item.label;
      sync();
      close();
      // Scripts listening on the field (auto-submitting filters…) learn of the choice.
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }

    input.addEventListener("input", () => {
      chosen = null; // an edited label no longer stands for its slug
      sync();
      setActive(-1); // typing returns the visual focus to the text
      clearTimeout(timer);
      timer = setTimeout(update, DEBOUNCE_MS);
    });

    input.addEventListener("keydown", (event) => {
      if (event.isComposing) return; // keys that belong to an input method
      const isOpen = !listbox.hidden;
      switch (event.key) {
        case "ArrowDown":
        case "ArrowUp": {
          event.preventDefault(); // the caret stays where it is
          if (!isOpen) {
            if (!results.length || resultsQuery !== query()) {
              update(); // no list for this text yet: fetch it now, without the debounce
              return;
            }
            open();
            if (event.altKey) return; // Alt+Down opens without moving (APG)
          }
          const count = results.length;
          const step = event.key === "ArrowDown" ? 1 : -1;
          if (active < 0) setActive(step > 0 ? 0 : count - 1);
          else setActive((active + step + count) % count);
          break;
        }
        case "Enter":
          // With an option highlighted Enter chooses it; otherwise the form submits.
          if (isOpen && active >= 0) {
            event.preventDefault();
            choose(active);
          }
          break;
        case "Escape":
          if (isOpen) {
            event.preventDefault(); // do not also close an enclosing dialog
            close();
          }
          break;
        default:
      }
    });

    // Tab, or a click elsewhere: the list closes and nothing is chosen.
    input.addEventListener("blur", () => {
      clearTimeout(timer);
      if (controller) controller.abort();
      close();
    });

    // Keeps the focus (and the caret) in the input when an option is clicked.
    listbox.addEventListener("mousedown", (event) => event.preventDefault());
    listbox.addEventListener("click", (event) => {
      const option = event.target.closest('[role="option"]');
      if (option) choose(Array.prototype.indexOf.call(listbox.children, option));
    });

    if (hidden.form) hidden.form.addEventListener("submit", sync);
    sync();
  }

  function init() {
    // Browsers without these keep the plain field, which works on its own.
    if (!window.fetch || !window.AbortController) return;
    document.querySelectorAll("input[data-suggest-url]").forEach(enhance);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
