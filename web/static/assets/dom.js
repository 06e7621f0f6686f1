// Small DOM helpers. Every text from the API (names people typed, emails)
// goes in through textContent or an attribute, never as HTML.

/**
 * h('button', {class: 'x', onclick: fn, 'aria-label': 'y'}, child, 'text', [more])
 * Attributes whose value is false, null or undefined are left out; true
 * sets an empty attribute; on* keys add event listeners.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces el's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let uid = 0;
/** A document-unique id for aria-labelledby and friends. */
export function nextId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

/** "27 Nov 2026, 14:20" in the reader's locale and time zone. */
export function formatDateTime(iso) {
  return iso ? dateTime.format(new Date(iso)) : '';
}

/** "14:20:05" */
export function formatTime(iso) {
  return iso ? timeOnly.format(new Date(iso)) : '';
}

/** Calls fn once things have been quiet for ms. */
export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** Shows a short message in the page's polite live region. */
export function announce(message) {
  const toast = document.getElementById('toast');
  if (!toast) return;
  toast.textContent = '';
  // A fresh text node, so screen readers announce a repeated message too.
  setTimeout(() => { toast.textContent = message; }, 30);
  clearTimeout(announce.timer);
  announce.timer = setTimeout(() => { toast.textContent = ''; }, 8000);
}
