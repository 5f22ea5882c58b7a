/*
 * Kilat sign-up box, served at /embed.js with its words and settings filled in. No framework, no cookies.
 *  - <div data-kilat-signup data-locale="id" data-topics="dunia" data-source="…"> gets an inline,
 *    accessible form that posts JSON (CORS) to /api/subscriptions;
 *  - <form data-kilat-challenge> (plain form or the /embed frame) solves the ALTCHA proof of work
 *    before it is sent, when SIGNUP_CHALLENGE=altcha;
 *  - inside the /embed frame, tells the parent page its height so it never needs a scrollbar.
 */
(function () {
  'use strict';
  var C = KILAT_CONFIG;
  var me = document.currentScript;
  var base = me ? new URL(me.src, location.href).origin : location.origin;
  var count = 0;

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text) e.textContent = text;
    return e;
  }
  function call(path, body) {
    var o = { credentials: 'omit' };
    if (body) {
      o.method = 'POST';
      o.headers = { 'content-type': 'application/json' };
      o.body = JSON.stringify(body);
    }
    return fetch(base + path, o);
  }

  // ALTCHA v1: find the number n (0..maxnumber) with SHA-256(salt + n) = challenge, 200 at a time.
  function solve() {
    return call('/api/signup-challenge')
      .then(function (r) {
        if (!r.ok) throw new Error('challenge');
        return r.json();
      })
      .then(function (c) {
        var enc = new TextEncoder();
        var i = 0;
        function hex(buf) {
          return Array.prototype.map.call(new Uint8Array(buf), function (b) { return (b < 16 ? '0' : '') + b.toString(16); }).join('');
        }
        function round() {
          var start = i;
          var batch = [];
          for (; i <= c.maxnumber && i < start + 200; i++) batch.push(crypto.subtle.digest('SHA-256', enc.encode(c.salt + i)));
          return Promise.all(batch).then(function (hashes) {
            for (var k = 0; k < hashes.length; k++) {
              if (hex(hashes[k]) === c.challenge) {
                return btoa(JSON.stringify({ algorithm: c.algorithm, challenge: c.challenge, number: start + k, salt: c.salt, signature: c.signature }));
              }
            }
            if (i > c.maxnumber) throw new Error('unsolved');
            return round();
          });
        }
        return round();
      });
  }

  function colour(v) {
    return /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.test(v || '') ? (v.charAt(0) === '#' ? v : '#' + v) : '';
  }
  function lum(c) {
    var h = c.length === 4 ? c.replace(/[0-9a-f]/gi, '$&$&') : c;
    var f = function (i) {
      var s = parseInt(h.substr(i, 2), 16) / 255;
      return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * f(1) + 0.7152 * f(3) + 0.0722 * f(5);
  }
  function ratio(a, b) {
    var x = lum(a) + 0.05, y = lum(b) + 0.05;
    return x > y ? x / y : y / x;
  }
  function readable(bg) {
    return ratio('#ffffff', bg) >= ratio('#1a1a1a', bg) ? '#ffffff' : '#1a1a1a';
  }

  var CSS =
    '.kilat-box{box-sizing:border-box;font:inherit;line-height:1.45;color:var(--kt);background:var(--kb);padding:1rem;border:1px solid #c8c8c8;border-radius:6px;max-width:40rem;overflow:hidden}' +
    '.kilat-box *{box-sizing:border-box}.kilat-box p{margin:0}' +
    '.kilat-box .kilat-title{font-weight:700;font-size:1.1em;margin:0 0 .5rem}' +
    '.kilat-box label{display:block;font-weight:600;margin:0 0 .3rem}' +
    '.kilat-row{display:flex;flex-wrap:wrap;gap:.5rem}' +
    '.kilat-box input{flex:1 1 8rem;min-width:0;font:inherit;padding:.5rem .6rem;border:2px solid #767676;border-radius:4px;background:#fff;color:#1a1a1a}' +
    '.kilat-box button{font:inherit;font-weight:700;padding:.5rem 1rem;border:0;border-radius:4px;background:var(--ka);color:var(--kc);cursor:pointer}' +
    '.kilat-box :focus-visible{outline:3px solid #1a5fb4;outline-offset:2px}' +
    '.kilat-box .kilat-msg{min-height:1.45em;margin:.35rem 0}.kilat-box .kilat-err{color:#8a0010;background:#fdecee;padding:0 .3rem}' +
    '.kilat-box .kilat-note{font-size:.85em}.kilat-hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}';

  function render(box) {
    var d = box.dataset;
    var sd = me ? me.dataset : {};
    var locale = C.strings[d.locale || sd.locale] ? d.locale || sd.locale : C.defaultLocale;
    var t = C.strings[locale];
    var id = 'kilat-email-' + ++count;
    var bg = colour(d.bg || sd.bg) || '#ffffff';
    var accent = colour(d.accent || sd.accent) || '#b00d27';
    var text = colour(d.text || sd.text) || '#1a1a1a';
    box.classList.add('kilat-box');
    box.style.setProperty('--kb', bg);
    box.style.setProperty('--kt', ratio(text, bg) >= 4.5 ? text : readable(bg));
    box.style.setProperty('--ka', accent);
    box.style.setProperty('--kc', readable(accent));
    box.lang = locale;

    var form = el('form', { novalidate: '' });
    var input = el('input', { id: id, type: 'email', name: 'email', autocomplete: 'email', required: '', 'aria-describedby': id + '-msg' });
    var trap = el('input', { type: 'text', name: 'website', tabindex: '-1', autocomplete: 'off', 'aria-label': 'Website' });
    var button = el('button', { type: 'submit' }, t.submit);
    var msg = el('p', { id: id + '-msg', class: 'kilat-msg', 'aria-live': 'assertive' });
    var hp = el('div', { class: 'kilat-hp', 'aria-hidden': 'true' });
    var row = el('div', { class: 'kilat-row' });
    hp.appendChild(trap);
    row.appendChild(input);
    row.appendChild(button);
    form.appendChild(el('p', { class: 'kilat-title' }, t.title));
    form.appendChild(el('label', { for: id }, t.email));
    form.appendChild(row);
    form.appendChild(hp);
    form.appendChild(msg);
    form.appendChild(el('p', { class: 'kilat-note' }, t.privacy));
    box.textContent = '';
    box.appendChild(form);

    var busy = false;
    function say(s, error) {
      msg.textContent = s;
      msg.className = 'kilat-msg' + (error ? ' kilat-err' : '');
      if (error) {
        input.setAttribute('aria-invalid', 'true');
        input.focus();
      } else input.removeAttribute('aria-invalid');
    }
    function fail(s) {
      busy = false;
      button.disabled = false;
      say(s, true);
    }
    function done() {
      var h = el('p', { class: 'kilat-title', tabindex: '-1' }, t.doneTitle);
      box.textContent = '';
      box.appendChild(h);
      box.appendChild(el('p', { role: 'status' }, t.done));
      h.focus();
    }
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      if (busy) return;
      var email = input.value.trim();
      if (!email) return fail(t.missing);
      busy = true;
      button.disabled = true;
      say(t.working, false);
      var body = { email: email, locale: locale, source: d.source || location.href.split('#')[0], website: trap.value };
      var topics = (d.topics || sd.topics || '').split(',').filter(Boolean);
      if (topics.length) body.topics = topics;
      (C.challenge ? solve() : Promise.resolve(''))
        .then(function (answer) {
          if (answer) body.altcha = answer;
          return call('/api/subscriptions', body);
        })
        .then(
          function (r) {
            if (r.status === 202) return done();
            if (r.status === 429) return fail(t.tooMany);
            return r.json().then(
              function (j) { fail((j && j.error && j.error.message) || t.failed); },
              function () { fail(t.failed); },
            );
          },
          function () { fail(t.failed); },
        );
    });
  }

  function challengeForm(f) {
    f.addEventListener('submit', function (ev) {
      if (!C.challenge || (f.elements.altcha && f.elements.altcha.value)) return;
      ev.preventDefault();
      solve().then(
        function (answer) {
          var field = f.elements.altcha || f.appendChild(el('input', { type: 'hidden', name: 'altcha' }));
          field.value = answer;
          f.submit();
        },
        function () { f.submit(); },
      );
    });
  }

  function start() {
    var boxes = document.querySelectorAll('[data-kilat-signup]:not(.kilat-box)');
    if (boxes.length && !document.getElementById('kilat-style')) {
      var style = el('style', { id: 'kilat-style' });
      style.textContent = CSS;
      document.head.appendChild(style);
    }
    Array.prototype.forEach.call(boxes, render);
    Array.prototype.forEach.call(document.querySelectorAll('form[data-kilat-challenge]'), challengeForm);
    if (document.documentElement.hasAttribute('data-kilat-frame') && window.parent !== window) {
      var post = function () {
        window.parent.postMessage({ kilat: 'height', height: Math.ceil(document.documentElement.getBoundingClientRect().height) }, '*');
      };
      post();
      if (window.ResizeObserver) new ResizeObserver(post).observe(document.documentElement);
    }
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
