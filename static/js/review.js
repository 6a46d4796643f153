// Review page: keyboard shortcuts and redaction by text selection. No dependencies.
(function () {
  "use strict";

  function paragraphs() { return Array.from(document.querySelectorAll("article.paragraph")); }

  function current() {
    var el = document.activeElement;
    return el && el.closest ? el.closest("article.paragraph") : null;
  }

  function move(step) {
    var list = paragraphs();
    if (!list.length) return;
    var index = list.indexOf(current());
    var next = list[Math.max(0, Math.min(list.length - 1, index + step))] || list[0];
    next.focus();
    next.scrollIntoView({ block: "nearest" });
  }

  // Character offset of (node, offset) within the paragraph text element.
  function offsetIn(container, node, offset) {
    var range = document.createRange();
    range.selectNodeContents(container);
    range.setEnd(node, offset);
    return range.toString().length;
  }

  function rememberSelection() {
    var selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return;
    var range = selection.getRangeAt(0);
    var text = range.commonAncestorContainer.nodeType === 1
      ? range.commonAncestorContainer.closest("[data-text]")
      : range.commonAncestorContainer.parentElement.closest("[data-text]");
    if (!text) return;
    var article = text.closest("article.paragraph");
    var form = article.querySelector("form.decide");
    var start = offsetIn(text, range.startContainer, range.startOffset);
    var end = offsetIn(text, range.endContainer, range.endOffset);
    if (end <= start) return;
    form.elements.start.value = start;
    form.elements.end.value = end;
    article.querySelector(".selection").textContent =
      "Selected \u201c" + range.toString().slice(0, 60) + "\u201d: choose an exemption, then Redact.";
  }

  document.addEventListener("mouseup", rememberSelection);
  document.addEventListener("keyup", function (event) {
    if (event.shiftKey) rememberSelection();
  });

  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select") return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "j") { move(1); event.preventDefault(); return; }
    if (event.key === "k") { move(-1); event.preventDefault(); return; }
    var article = current();
    if (!article) return;
    var button = article.querySelector('button[data-key="' + event.key + '"]');
    if (button) { button.click(); event.preventDefault(); }
  });

  // Keep the keyboard where it was after htmx swaps a decided paragraph in.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var article = event.detail.target && event.detail.target.id
      ? document.getElementById(event.detail.target.id) : null;
    if (article) article.focus();
  });
})();
