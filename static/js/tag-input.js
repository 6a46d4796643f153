/* Tag inputs: turns each input.tag-input (a comma-separated list, as the server reads
 * it) into chips with an entry field that keeps the input's datalist of suggestions.
 * Enter, a comma or picking a suggestion adds a chip; x removes it; the original input,
 * now hidden, always holds the list, so the form posts what the chips show.  Text left
 * in the entry when the form is submitted is added too. */
(function () {
  "use strict";

  function split(value) {
    return value.split(/[,;\n]+/).map(function (s) { return s.trim(); }).filter(Boolean);
  }

  function enhance(input) {
    if (input.dataset.tagInputReady) { return; }
    input.dataset.tagInputReady = "1";
    var upper = input.dataset.upper === "1";
    var values = split(input.value);
    var box = document.createElement("span");
    box.className = "tag-input-box";
    var entry = document.createElement("input");
    entry.type = "text";
    entry.className = "tag-entry";
    entry.autocomplete = "off";
    // The entry takes the input's id, so that its label focuses it (and a test or a
    // screen reader finds the field by its label); the list itself moves to "-value".
    entry.id = input.id;
    input.id = input.id + "-value";
    entry.setAttribute("aria-describedby", input.getAttribute("aria-describedby") || "");
    if (input.getAttribute("list")) { entry.setAttribute("list", input.getAttribute("list")); }
    input.removeAttribute("list");
    input.type = "hidden";
    input.parentNode.insertBefore(box, input);
    box.appendChild(entry);
    box.addEventListener("click", function (e) { if (e.target === box) { entry.focus(); } });

    function sync() { input.value = values.join(", "); }

    function render() {
      Array.prototype.slice.call(box.querySelectorAll(".tag-chip")).forEach(function (chip) { chip.remove(); });
      values.forEach(function (value, index) {
        var chip = document.createElement("span");
        chip.className = "tag-chip";
        chip.dataset.value = value;
        chip.appendChild(document.createTextNode(value));
        var remove = document.createElement("button");
        remove.type = "button";
        remove.textContent = "\u00d7";
        remove.setAttribute("aria-label", "Remove " + value);
        remove.addEventListener("click", function () {
          values.splice(index, 1);
          sync();
          render();
          entry.focus();
        });
        chip.appendChild(remove);
        box.insertBefore(chip, entry);
      });
    }

    function commit() {
      split(entry.value).forEach(function (raw) {
        var value = upper ? raw.toUpperCase() : raw;
        if (values.indexOf(value) === -1) { values.push(value); }
      });
      entry.value = "";
      sync();
      render();
    }

    entry.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === ",") {
        e.preventDefault();  // Enter must not submit the whole form
        commit();
      } else if (e.key === "Backspace" && entry.value === "" && values.length) {
        values.pop();
        sync();
        render();
      }
    });
    // Picking a suggestion from the datalist fires "input" without a key press.
    entry.addEventListener("input", function (e) {
      if (e.inputType === "insertReplacementText") { commit(); }
    });
    entry.addEventListener("blur", commit);
    if (input.form) { input.form.addEventListener("submit", commit); }
    render();
  }

  function enhanceAll() {
    Array.prototype.forEach.call(document.querySelectorAll("input.tag-input"), enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", enhanceAll);
  } else {
    enhanceAll();
  }
})();
