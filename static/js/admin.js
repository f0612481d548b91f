/* The admin's accessibility repairs (templates/admin/base_site.html):
   - every field the admin draws without a label gets a name: the combobox that the
     autocomplete fields (select2) draw takes the label of their <select>; the inputs of
     list_editable columns and tabular inlines take their column's header and their row's
     object;
   - device codes (FIL-…) in the page's text are kept on one line.
   Run once the page is built (select2 draws its boxes on jQuery's ready), and again on each
   inline row added. */
(function () {
  "use strict";

  const CODE = /FIL-[A-Z0-9]{4,}/g;

  function text(node) {
    return node ? node.textContent.replace(/\s+/g, " ").replace(/[\s:*]+$/, "").trim() : "";
  }

  function named(field) {
    return (
      (field.labels && field.labels.length) ||
      field.getAttribute("aria-label") ||
      field.getAttribute("aria-labelledby") ||
      field.getAttribute("title")
    );
  }

  function labelOf(field) {
    if (field.labels && field.labels.length) return text(field.labels[0]);
    const header = columnHeader(field);
    return header || field.name || "";
  }

  function columnHeader(field) {
    const cell = field.closest("td, th");
    const table = field.closest("table");
    if (!cell || !table || !table.tHead) return "";
    const row = cell.parentElement;
    let column = 0;
    for (const sibling of row.cells) {
      if (sibling === cell) break;
      column += sibling.colSpan || 1;
    }
    const headerRow = table.tHead.rows[table.tHead.rows.length - 1];
    let position = 0;
    for (const th of headerRow.cells) {
      if (position <= column && column < position + (th.colSpan || 1)) return text(th);
      position += th.colSpan || 1;
    }
    return "";
  }

  function rowName(field) {
    const row = field.closest("tr");
    if (!row) return "";
    const first = row.querySelector("th") || row.querySelector("td.original p");
    const name = text(first);
    return name && !first.contains(field) ? name : "";
  }

  function nameTableFields(root) {
    for (const field of root.querySelectorAll("table input, table select, table textarea")) {
      if (field.type === "hidden" || named(field)) continue;
      const column = columnHeader(field) || field.name;
      const row = rowName(field);
      if (column) field.setAttribute("aria-label", row ? `${column} – ${row}` : column);
    }
  }

  function nameAutocompletes(root) {
    for (const select of root.querySelectorAll("select.admin-autocomplete")) {
      const box = select.nextElementSibling;
      if (!box || !box.classList.contains("select2")) continue;
      const name = labelOf(select);
      // The combobox and, inside it, the text box that shows the choice (role="textbox").
      for (const part of box.querySelectorAll("[role='combobox'], [role='textbox']")) {
        if (name && !part.getAttribute("aria-label")) part.setAttribute("aria-label", name);
      }
    }
  }

  function keepCodesWhole(root) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
      acceptNode(node) {
        const parent = node.parentElement;
        if (!parent || parent.closest("script, style, textarea, option, .filiere-code")) {
          return NodeFilter.FILTER_REJECT;
        }
        CODE.lastIndex = 0;
        return CODE.test(node.data) ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_SKIP;
      },
    });
    const nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    for (const node of nodes) {
      const fragment = document.createDocumentFragment();
      let last = 0;
      CODE.lastIndex = 0;
      for (const match of node.data.matchAll(CODE)) {
        fragment.append(node.data.slice(last, match.index));
        const span = document.createElement("span");
        span.className = "filiere-code";
        span.textContent = match[0];
        fragment.append(span);
        last = match.index + match[0].length;
      }
      fragment.append(node.data.slice(last));
      node.replaceWith(fragment);
    }
  }

  function repair(root) {
    nameAutocompletes(root);
    nameTableFields(root);
  }

  document.addEventListener("DOMContentLoaded", () => {
    keepCodesWhole(document.body);
    repair(document);
    // select2 draws its boxes on jQuery's ready, which may run after this handler.
    window.setTimeout(() => repair(document), 0);
  });
  window.addEventListener("load", () => repair(document));
  document.addEventListener("formset:added", (event) => {
    const row = event.target;
    window.setTimeout(() => repair(row.closest("table") || row), 0);
  });
})();
