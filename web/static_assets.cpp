#include "web/static_assets.h"

namespace ppe::web {

std::string_view StyleSheet() {
  return R"css(
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif;
       margin: 0; color: #1d2329; background: #f5f6f8; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 1em; padding: .6em 1.2em; background: #8b1a1a; color: #fff; }
header a { color: #fff; text-decoration: none; padding: .2em .5em; border-radius: 3px; }
header a.current, header a:hover { background: rgba(255,255,255,.2); }
header .app { font-weight: bold; font-size: 1.1em; }
header nav { display: flex; gap: .3em; flex: 1; }
header .side { font-size: .9em; }
main { padding: 1em 1.5em; max-width: 1400px; }
h1 { font-size: 1.5em; margin: .3em 0 .6em; }
h2 { font-size: 1.15em; margin: 1.2em 0 .5em; }
section { background: #fff; border-radius: 6px; padding: .4em 1em 1em; margin-bottom: 1em; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
.side-by-side { display: grid; grid-template-columns: 2fr 1fr; gap: 1.5em; }
table { border-collapse: collapse; width: 100%; font-size: .92em; }
th, td { border-bottom: 1px solid #e3e6ea; padding: .35em .5em; text-align: left; vertical-align: top; }
th { background: #f0f2f5; font-weight: 600; }
td small { color: #59636e; }
.caption, .asof { color: #59636e; font-size: .88em; }
.empty { color: #59636e; font-style: italic; }
.notice { background: #fff3cd; border: 1px solid #e0c36a; padding: .6em 1em; border-radius: 4px; }
.cover { font-weight: 600; padding: 0 .3em; border-radius: 3px; }
.cover.band-critical { background: #c62828; color: #fff; }
.cover.band-low { background: #ef6c00; color: #fff; }
.cover.band-watch { background: #f9d71c; }
.cover.band-ok { background: #43a047; color: #fff; }
.online { color: #2e7d32; }
.offline { color: #c62828; font-weight: 600; }
.map { width: 100%; max-width: 680px; height: auto; background: #eef3f7; border-radius: 4px; }
.map polygon { stroke: #fff; stroke-width: 2; }
.map a:hover polygon { stroke: #1d2329; }
.map text { font-size: 13px; text-anchor: middle; fill: #1d2329; paint-order: stroke; stroke: rgba(255,255,255,.8); stroke-width: 3px; }
.map text.figure { font-weight: bold; }
.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 1em; font-size: .9em; }
.legend .band-critical .swatch { background: #c62828; } .legend .band-low .swatch { background: #ef6c00; }
.legend .band-watch .swatch { background: #f9d71c; } .legend .band-ok .swatch { background: #43a047; }
.legend .band-none .swatch { background: #c9ccd1; }
.legend .swatch { display: inline-block; width: 1em; height: 1em; margin-right: .3em; vertical-align: middle; border-radius: 2px; }
.alerts { padding-left: 1.2em; }
.alerts .detail { color: #59636e; font-size: .9em; }
.chart { width: 100%; max-width: 720px; height: auto; background: #fff; }
.chart .grid { stroke: #e3e6ea; }
.chart .target { stroke: #43a047; stroke-dasharray: 6 4; }
.chart .tick { font-size: 11px; fill: #59636e; }
form.filter { display: flex; flex-wrap: wrap; gap: .6em; align-items: center; margin-bottom: 1em; }
form.login { display: grid; gap: .6em; max-width: 320px; }
small.ok { color: #2e7d32; } small.bad { color: #c62828; }
.forms { display: grid; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr)); gap: 1em; align-items: start; }
.forms section { margin-bottom: 0; }
form.entry .field { display: grid; grid-template-columns: 8em 1fr; gap: .15em .6em; align-items: center; margin: .45em 0; }
form.entry .field > label { font-weight: 600; }
form.entry .field input, form.entry .field select { font: inherit; padding: .3em .4em; border: 1px solid #b8bfc7; border-radius: 3px; min-width: 0; }
form.entry .field .hint, form.entry .field .field-error { grid-column: 2; }
form.entry .field .hint { color: #59636e; }
.field-error { color: #b71c1c; font-weight: 600; }
input.wrong { border-color: #c62828 !important; background: #fdecea; }
.form-error { color: #b71c1c; font-weight: 600; }
.confirm-ask { background: #fff3cd; border: 1px solid #e0c36a; padding: .5em .8em; border-radius: 4px; }
label.confirm { display: block; margin: .5em 0; font-weight: 600; }
button { font: inherit; padding: .35em 1.1em; border: 1px solid #8b1a1a; background: #8b1a1a; color: #fff; border-radius: 3px; cursor: pointer; }
button:hover { background: #a52a2a; }
.success { background: #e8f5e9; border: 1px solid #81c784; padding: .6em 1em; border-radius: 4px; font-weight: 600; }
section.link ul { list-style: none; padding: 0; margin: .3em 0; display: flex; flex-wrap: wrap; gap: .4em 1.6em; }
section.refused { border-left: 4px solid #c62828; }
section.refused ul { color: #b71c1c; }
pre.example { background: #f0f2f5; padding: .6em; border-radius: 4px; font-size: .88em; overflow-x: auto; }
form.step { display: inline-flex; gap: .3em; align-items: center; margin: .15em .4em .15em 0; }
form.step input { font: inherit; padding: .2em .3em; border: 1px solid #b8bfc7; border-radius: 3px; }
table.orders th, table.orders td:nth-child(-n+5) { white-space: nowrap; }
ul.pick { margin: 0; padding-left: 1.1em; }
small.pending { color: #ef6c00; }
@media (max-width: 800px) { .side-by-side { grid-template-columns: 1fr; } }
)css";
}

std::string_view LiveScript() {
  return R"js(// Keeps an open page current: asks /api/version every 1.5 s; when the city changed, fetches
// this page again and puts its new <main> in place (no reload: scroll and what is typed in a form stay).
(function () {
  'use strict';
  var main = document.getElementById('live');
  if (!main || !window.fetch || !window.DOMParser) return;
  var version = main.getAttribute('data-version');
  function later() { window.setTimeout(tick, 1500); }
  // What the user has typed or chosen in a form of the page and not yet submitted (the log's
  // filters), and where the cursor is: a fresh <main> gets them back.
  function edits() {
    var kept = [];
    Array.prototype.forEach.call(main.querySelectorAll('form [name]'), function (el) {
      var changed = el.tagName === 'SELECT'
        ? Array.prototype.some.call(el.options, function (o) { return o.selected !== o.defaultSelected; })
        : el.value !== el.defaultValue;
      var focused = el === document.activeElement;
      if (changed || focused) {
        kept.push({ name: el.name, value: el.value, focused: focused,
                    start: focused && el.selectionStart !== undefined ? el.selectionStart : null,
                    end: focused && el.selectionEnd !== undefined ? el.selectionEnd : null });
      }
    });
    return kept;
  }
  function restore(kept) {
    kept.forEach(function (k) {
      var el = main.querySelector('form [name="' + k.name + '"]');
      if (!el) return;
      el.value = k.value;
      if (!k.focused) return;
      el.focus();
      if (k.start !== null && el.setSelectionRange) {
        try { el.setSelectionRange(k.start, k.end); } catch (e) {}
      }
    });
  }
  function tick() {
    fetch('/api/version', { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (v) {
        if (!v || String(v.version) === version) return null;
        return fetch(window.location.href, { credentials: 'same-origin', cache: 'no-store' })
          .then(function (r) { return r.ok ? r.text() : null; })
          .then(function (html) {
            if (!html) return;
            var fresh = new DOMParser().parseFromString(html, 'text/html').getElementById('live');
            if (!fresh) return;
            var kept = edits();
            main.innerHTML = fresh.innerHTML;
            restore(kept);
            version = fresh.getAttribute('data-version');
            main.setAttribute('data-version', version);
            document.body.setAttribute('data-refreshed', String(Date.now()));
          });
      })
      .catch(function () {})
      .then(later, later);
  }
  later();
})();
)js";
}

std::string_view OrdersWatchScript() {
  return R"js(// The county page's orders: asks /api/orders every 3 s; when an order came (a higher id) or
// changed (more deliveries held), shows the page's own notice, a link to reload. It never reloads
// by itself; what was typed in the forms is kept for the reload the operator asks for.
(function () {
  'use strict';
  var watch = document.getElementById('orders-watch');
  if (!watch || !window.fetch || !window.sessionStorage) return;
  var held = Number(watch.getAttribute('data-held'));
  var newest = Number(watch.getAttribute('data-newest'));
  var arrived = document.getElementById('orders-arrived');
  var changed = document.getElementById('orders-changed');
  var key = 'ppe-orders-typed';
  var kept = JSON.parse(window.sessionStorage.getItem(key) || '{}');
  window.sessionStorage.removeItem(key);
  Object.keys(kept).forEach(function (id) {
    var field = document.getElementById(id);
    if (field) field.value = kept[id];
  });
  function keep() {
    var typed = {};
    document.querySelectorAll('form.step input[id]').forEach(function (field) {
      if (field.value !== field.defaultValue) typed[field.id] = field.value;
    });
    window.sessionStorage.setItem(key, JSON.stringify(typed));
  }
  arrived.addEventListener('click', keep);
  changed.addEventListener('click', keep);
  function later() { window.setTimeout(tick, 3000); }
  function tick() {
    fetch('/api/orders', { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (v) {
        if (!v) return;
        if (v.newest > newest) {
          arrived.hidden = false;
          changed.hidden = true;
        } else if (v.held > held && arrived.hidden) {
          changed.hidden = false;
        }
        watch.hidden = arrived.hidden && changed.hidden;
      })
      .catch(function () {})
      .then(later, later);
  }
  later();
})();
)js";
}

}  // namespace ppe::web
