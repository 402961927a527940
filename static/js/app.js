// Small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");

  // Live preview of the full SIP domain while the prefix is typed.
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.matches("[data-domain-prefix]")) return;
    var output = input.form && input.form.querySelector("[data-domain-preview]");
    if (!output) return;
    var prefix = input.value.trim().toLowerCase();
    output.textContent = (prefix || "your-prefix") + output.getAttribute("data-suffix");
  });

  // "Generate a strong password" hides the typed-password field; without JavaScript both show.
  function syncPasswordChoice(root) {
    var forms = root.matches && root.matches("form") ? [root] : root.querySelectorAll("form");
    Array.prototype.forEach.call(forms, function (form) {
      var typed = form.querySelector("[data-typed-password]");
      var checked = form.querySelector("input[name=password_choice]:checked");
      if (typed && checked) {
        typed.hidden = checked.value !== "type" && !typed.querySelector(".errors");
      }
    });
  }
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input instanceof HTMLInputElement && input.name === "password_choice") {
      syncPasswordChoice(input.form || document);
    }
  });
  document.addEventListener("DOMContentLoaded", function () { syncPasswordChoice(document); });
  document.addEventListener("htmx:load", function (event) { syncPasswordChoice(event.detail.elt); });

  // Copy buttons.
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "offscreen";
      document.body.appendChild(area);
      area.select();
      var ok = document.execCommand("copy");
      document.body.removeChild(area);
      if (ok) { resolve(); } else { reject(new Error("copy failed")); }
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element && event.target.closest("[data-copy]");
    if (!button) return;
    var label = button.textContent;
    copyText(button.getAttribute("data-copy")).then(
      function () { button.textContent = "Copied"; },
      function () { button.textContent = "Copy failed: select the text"; }
    ).finally(function () {
      window.setTimeout(function () { button.textContent = label; }, 2000);
    });
  });

  // "Select all on this page" for the rotation of many SIP users (a plain checkbox per row
  // without JavaScript).
  function initSelectAll(root) {
    root.querySelectorAll("[data-select-all]").forEach(function (all) { all.hidden = false; });
  }
  document.addEventListener("DOMContentLoaded", function () { initSelectAll(document); });
  document.addEventListener("htmx:load", function (event) { initSelectAll(event.detail.elt); });
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement)) return;
    var table = input.closest("table");
    if (!table) return;
    var boxes = table.querySelectorAll("tbody input[type=checkbox]");
    if (input.matches("[data-select-all]")) {
      boxes.forEach(function (box) { box.checked = input.checked; });
    } else if (input.form && input.form.id === "rotate-selected") {
      var all = table.querySelector("[data-select-all]");
      var checked = table.querySelectorAll("tbody input[type=checkbox]:checked").length;
      if (all) {
        all.checked = checked === boxes.length;
        all.indeterminate = checked > 0 && checked < boxes.length;
      }
    }
  });

  // Bulk work answers with a download (the new passwords, once). With JavaScript the form is
  // sent in the background, so the page stays and shows the work's progress meanwhile (asked
  // of the server every 700 ms), then what was done; the file is handed to the browser as a
  // download. An answer that is a page (nothing was done, and why) takes the tab's place.
  // Without JavaScript the browser sends the form itself and saves the download.
  function startProgress(form) {
    var box = document.getElementById(form.getAttribute("data-progress"));
    if (!box) return;
    box.hidden = false;
    box.setAttribute("hx-get", form.getAttribute("data-progress-url"));
    box.setAttribute("hx-trigger", "every 700ms");
    box.setAttribute("hx-swap", "outerHTML");
    htmx.process(box);
  }

  function saveDownload(blob, disposition) {
    var match = /filename="([^"]+)"/.exec(disposition);
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = match ? match[1] : "download.csv";
    document.body.appendChild(link);
    link.click();
    link.remove();
    window.setTimeout(function () { URL.revokeObjectURL(link.href); }, 10000);
  }

  function showPage(html) {
    var page = new DOMParser().parseFromString(html, "text/html");
    var fresh = page.getElementById("tab-area");
    var area = document.getElementById("tab-area");
    if (!fresh || !area) return;
    area.innerHTML = fresh.innerHTML;
    htmx.process(area);
    syncPasswordChoice(area);
    initSelectAll(area);
    var alert = area.querySelector("[role=alert]");
    if (alert) alert.scrollIntoView({ block: "center" });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-progress") || !window.htmx || !window.fetch) return;
    event.preventDefault();
    var button = event.submitter || form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    startProgress(form);
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (response) {
        var disposition = response.headers.get("Content-Disposition") || "";
        if (response.ok && disposition.indexOf("attachment") === 0) {
          return response.blob().then(function (blob) { saveDownload(blob, disposition); });
        }
        if (!response.ok) {
          if (button) button.disabled = false;
          showToast(messageFor(response.status));
          return null;
        }
        return response.text().then(showPage);
      })
      .catch(function () {
        if (button) button.disabled = false;
        showToast("Could not reach the server. Check your connection and try again.");
      });
  });

  // A failed HTMX request is shown to the user, never swallowed.
  var toastTimer = null;
  function showToast(message) {
    var toast = document.getElementById("toast");
    if (!toast) return;
    toast.textContent = message;
    toast.hidden = false;
    window.clearTimeout(toastTimer);
    toastTimer = window.setTimeout(function () { toast.hidden = true; }, 8000);
  }

  function messageFor(status) {
    if (status === 403) return "You don’t have permission to do that. Support staff can view but not change the SIP setup.";
    if (status === 404) return "That no longer exists, or it belongs to another organization. Reload the page.";
    if (status === 405) return "That action is not allowed here.";
    if (status >= 500) return "Something went wrong on our side (error " + status + "). Nothing you typed was lost: please try again.";
    return "The request failed (error " + status + ").";
  }

  // A message belongs to the response that caused it: a failed request clears the last one.
  function clearMessages() {
    var messages = document.getElementById("messages");
    if (messages) messages.textContent = "";
  }

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    clearMessages();
    // A limit (429) says in words how long to wait: show the server's sentence.
    var plain = (xhr.getResponseHeader("Content-Type") || "").indexOf("text/plain") === 0;
    showToast(xhr.status === 429 && plain && xhr.responseText ? xhr.responseText : messageFor(xhr.status));
  });
  document.addEventListener("htmx:sendError", function () {
    showToast("Could not reach the server. Check your connection and try again.");
  });
  document.addEventListener("htmx:timeout", function () {
    showToast("The server took too long to answer. Please try again.");
  });

  // Tabs are an ARIA tablist: one tab stop, arrow keys, Home and End move between tabs, Enter or
  // Space opens one. Without JavaScript they stay plain links, each reachable with Tab.
  // On a narrow screen the tab strip scrolls sideways: bring the active tab into view.
  function initTablists(root) {
    root.querySelectorAll("[role=tablist]").forEach(function (list) {
      list.querySelectorAll("[role=tab]").forEach(function (tab) {
        var selected = tab.getAttribute("aria-selected") === "true";
        tab.setAttribute("tabindex", selected ? "0" : "-1");
        if (selected && list.scrollWidth > list.clientWidth) {
          list.scrollLeft = tab.offsetLeft - (list.clientWidth - tab.offsetWidth) / 2;
        }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { initTablists(document); });
  document.addEventListener("htmx:load", function (event) { initTablists(event.detail.elt); });

  document.addEventListener("keydown", function (event) {
    var tab = event.target instanceof Element && event.target.closest("[role=tab]");
    if (!tab) return;
    var tabs = Array.prototype.slice.call(tab.closest("[role=tablist]").querySelectorAll("[role=tab]"));
    var index = tabs.indexOf(tab);
    var next = {
      ArrowRight: tabs[(index + 1) % tabs.length],
      ArrowLeft: tabs[(index - 1 + tabs.length) % tabs.length],
      Home: tabs[0],
      End: tabs[tabs.length - 1]
    }[event.key];
    if (event.key === " ") {
      event.preventDefault();
      tab.click();
    } else if (next) {
      event.preventDefault();
      tabs.forEach(function (t) { t.setAttribute("tabindex", t === next ? "0" : "-1"); });
      next.focus();
    }
  });

  // Put focus where the person needs it: the first field with an error, the first field of a
  // newly opened form, or the tab just opened. The same rule holds whether the form arrived by
  // an HTMX swap or as a whole page (JavaScript still loading, or a plain link), so what has
  // focus never depends on which of the two won a race.
  var FIELDS = "input:not([type=hidden]), select, textarea";
  function placeFocus(area, trigger, buttons) {
    var invalid = area.querySelector(".field-invalid input, .field-invalid select, .field-invalid textarea");
    var slot = area.id === "panel-slot" ? area : area.querySelector("#panel-slot");
    if (invalid) {
      invalid.focus();
    } else if (slot && slot.querySelector("form")) {
      var field = slot.querySelector(FIELDS) || (buttons && slot.querySelector("form button"));
      if (field) field.focus();
    } else if (area.id === "tab-area" && trigger && trigger.getAttribute && trigger.getAttribute("role") === "tab") {
      var selected = area.querySelector("[role=tab][aria-selected=true]");
      if (selected) selected.focus();
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var main = document.getElementById("main");
    if (main) placeFocus(main, null, false);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!(target instanceof Element)) return;
    var trigger = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (target.id === "panel-slot" || target.id === "tab-area" || target.querySelector(".field-invalid")) {
      placeFocus(target, trigger, true);
    }
  });

  // Asking again before a sensitive action (accounts.decorators.recent_auth): the prompt comes
  // into #reauth instead of the answer; once it is answered ("reauthenticated"), the request
  // that asked is sent again from its own element, with what was typed there.
  var waiting = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt instanceof Element && !elt.closest("#reauth")) {
      waiting = { elt: elt, verb: event.detail.requestConfig.verb, path: event.detail.requestConfig.path };
    }
  });
  document.addEventListener("reauthenticated", function () {
    var again = waiting;
    waiting = null;
    if (again && document.body.contains(again.elt)) {
      htmx.ajax(again.verb, again.path, { source: again.elt });
    }
  });
  document.addEventListener("click", function (event) {
    var cancel = event.target instanceof Element && event.target.closest("[data-reauth-cancel]");
    if (!cancel) return;
    var slot = document.getElementById("reauth");
    if (slot) slot.innerHTML = "";
    waiting = null;
  });
})();
