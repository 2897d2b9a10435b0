// Review console: select an assertion to light up its evidence spans; keyboard shortcuts;
// pick an evidence span by selecting text. Plain DOM, no dependencies.
(function () {
  "use strict";

  const cards = () => Array.from(document.querySelectorAll(".assertion"));
  let current = null;

  function select(card, scroll, remember) {
    if (!card) return;
    cards().forEach((c) => c.classList.toggle("selected", c === card));
    current = card;
    const id = card.dataset.id;
    let first = null;
    document.querySelectorAll(".seg").forEach((seg) => {
      const lit = seg.dataset.a.split(" ").includes(id);
      seg.classList.toggle("lit", lit);
      if (lit && !first) first = seg;
    });
    if (scroll) {
      card.scrollIntoView({ block: "nearest" });
      if (first) first.scrollIntoView({ block: "nearest" });
    }
    if (remember) {  // a reload shows the same assertion
      const url = new URL(window.location.href);
      url.searchParams.set("selected", id);
      history.replaceState(null, "", url);
    }
  }

  function move(step) {
    const all = cards();
    if (!all.length) return;
    const i = all.indexOf(current);
    select(all[Math.max(0, Math.min(all.length - 1, i + step))], true, true);
  }

  function toggleCorrect(card) {
    const fields = card.querySelector("fieldset.correct");
    fields.hidden = !fields.hidden;
    if (!fields.hidden) fields.querySelector("input[name=skill]").focus();
  }

  // The offset of (node, offset) within a source text: the source element holds only its text.
  function offsetIn(container, node, offset) {
    const range = document.createRange();
    range.setStart(container, 0);
    range.setEnd(node, offset);
    return range.toString().length;
  }

  function useSelection(picker) {
    const preview = picker.querySelector("[data-span-preview]");
    const selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) {
      preview.textContent = "Select words in the experience first.";
      return;
    }
    const range = selection.getRangeAt(0);
    const start = range.startContainer.parentElement && range.startContainer.parentElement.closest("[data-source]");
    const end = range.endContainer.parentElement && range.endContainer.parentElement.closest("[data-source]");
    if (!start || start !== end) {
      preview.textContent = "Select words within one text (the narrative or one evidence item).";
      return;
    }
    const from = offsetIn(start, range.startContainer, range.startOffset);
    const to = offsetIn(start, range.endContainer, range.endOffset);
    picker.querySelector("[data-span-source]").value = start.dataset.source;
    picker.querySelector("[data-span-start]").value = String(from);
    picker.querySelector("[data-span-end]").value = String(to);
    preview.textContent = start.dataset.source + ": “" + start.textContent.slice(from, to) + "”";
  }

  document.addEventListener("DOMContentLoaded", () => {
    cards().forEach((card) => {
      card.addEventListener("click", (event) => {
        if (event.target.closest("button, input, select, textarea, summary, a")) return;
        select(card, false, true);
      });
      card.addEventListener("focus", () => { if (current !== card) select(card, false, true); });
      card.querySelector(".correct-toggle").addEventListener("click", () => { select(card, false, true); toggleCorrect(card); });
    });
    document.querySelectorAll("[data-use-selection]").forEach((button) => {
      // Keep the text selection when the button is pressed.
      button.addEventListener("mousedown", (event) => event.preventDefault());
      button.addEventListener("click", () => useSelection(button.closest("[data-span-picker]")));
    });

    const wanted = new URL(window.location.href).searchParams.get("selected");
    const initial = cards().find((c) => c.dataset.id === wanted) || cards().find((c) => c.classList.contains("status-undecided")) || cards()[0];
    select(initial, Boolean(wanted), false);

    document.addEventListener("keydown", (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.target.closest("input, textarea, select")) {
        if (event.key === "Escape") event.target.blur();
        return;
      }
      if (!current) return;
      const key = event.key.toLowerCase();
      if (key === "j" || event.key === "ArrowDown") { move(1); event.preventDefault(); }
      else if (key === "k" || event.key === "ArrowUp") { move(-1); event.preventDefault(); }
      else if (key === "a" || key === "r") {
        const form = current.querySelector("form.decide");
        form.requestSubmit(form.querySelector(key === "a" ? "button.accept" : "button.reject"));
        event.preventDefault();
      } else if (key === "c") { toggleCorrect(current); event.preventDefault(); }
      else if (key === "h") { const d = current.querySelector("details.history"); d.open = !d.open; event.preventDefault(); }
    });
  });
})();
