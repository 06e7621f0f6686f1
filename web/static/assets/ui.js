// Widgets: the WAI-ARIA menu button (a row's kebab menu), modal dialogs on
// <dialog>, and tabs. Keyboard: see each function.

import { h, nextId, fill } from './dom.js';
import { explain } from './api.js';

let openMenu = null;

/** Is a menu or a modal dialog open (a live refresh waits for it)? */
export function busy() {
  return openMenu !== null || document.querySelector('dialog[open]') !== null;
}

const idleWaiters = [];
/** fn runs now, or once the open menu or dialog is closed. */
export function whenIdle(fn) {
  if (!busy()) fn();
  else if (!idleWaiters.includes(fn)) idleWaiters.push(fn);
}
function maybeIdle() {
  setTimeout(() => {
    if (busy()) return;
    const waiting = idleWaiters.splice(0);
    for (const fn of waiting) fn();
  }, 0);
}

/**
 * A menu button (https://www.w3.org/WAI/ARIA/apg/patterns/menu-button/):
 * Enter, Space or ArrowDown open the menu on its first item, ArrowUp on its
 * last; in the menu ArrowDown/ArrowUp move (wrapping), Home/End jump,
 * Enter/Space choose, Escape closes and returns focus to the button, Tab
 * closes. items: [{label, note, disabled, onSelect}]. A disabled item stays
 * focusable (so its note is read) but does nothing.
 */
export function menuButton({ label, text = '⋮', items, key }) {
  const menuId = nextId('menu');
  const button = h('button', {
    type: 'button', class: 'kebab', 'aria-label': label, 'aria-haspopup': 'menu',
    'aria-expanded': 'false', 'aria-controls': menuId, dataset: { focusKey: key },
  }, h('span', { 'aria-hidden': 'true' }, text));
  const menu = h('ul', { id: menuId, role: 'menu', 'aria-label': label, class: 'menu', hidden: true });
  const entries = items.map((item) => {
    const noteId = item.note ? nextId('note') : null;
    const li = h('li', {
      role: 'menuitem', tabindex: '-1', 'aria-disabled': item.disabled ? 'true' : null,
      'aria-label': item.note ? item.label : null, 'aria-describedby': noteId,
    }, h('span', {}, item.label), item.note ? h('span', { id: noteId, class: 'note' }, item.note) : null);
    li.addEventListener('click', () => choose(item));
    return li;
  });
  menu.append(...entries);
  const wrap = h('div', { class: 'menu-wrap' }, button, menu);

  function isOpen() { return !menu.hidden; }
  function open(focusLast) {
    if (openMenu && openMenu !== api) openMenu.close(false);
    menu.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    openMenu = api;
    // Open upwards when there is no room below (the last rows of a page).
    menu.classList.toggle('up', button.getBoundingClientRect().bottom + menu.offsetHeight + 8 > window.innerHeight
      && button.getBoundingClientRect().top > menu.offsetHeight + 8);
    (focusLast ? entries[entries.length - 1] : entries[0])?.focus();
  }
  function close(focusButton = true) {
    if (!isOpen()) return;
    menu.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    if (openMenu === api) openMenu = null;
    if (focusButton) button.focus();
    maybeIdle();
  }
  function choose(item) {
    if (item.disabled) return;
    close(true);
    item.onSelect(button);
  }
  function move(delta) {
    const i = entries.indexOf(document.activeElement);
    entries[(i + delta + entries.length) % entries.length].focus();
  }
  button.addEventListener('click', () => (isOpen() ? close(true) : open(false)));
  button.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      open(false);
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      open(true);
    }
  });
  menu.addEventListener('keydown', (e) => {
    const actions = {
      ArrowDown: () => move(1),
      ArrowUp: () => move(-1),
      Home: () => entries[0].focus(),
      End: () => entries[entries.length - 1].focus(),
      Escape: () => close(true),
      Enter: () => choose(items[entries.indexOf(document.activeElement)]),
      ' ': () => choose(items[entries.indexOf(document.activeElement)]),
    };
    if (e.key === 'Tab') {
      close(false);
      return;
    }
    if (actions[e.key]) {
      e.preventDefault();
      actions[e.key]();
    }
  });
  const api = { close, element: wrap, button };
  return api;
}

// A click anywhere else closes the open menu (focus stays where it went).
document.addEventListener('click', (e) => {
  if (openMenu && !openMenu.element.contains(e.target)) openMenu.close(false);
});

/**
 * A modal dialog (<dialog>, showModal: focus is kept inside, Escape closes).
 * content(dialogApi) returns the body; returnFocus is the element focus goes
 * back to on close (a function, as a live refresh may have replaced it).
 */
export function openDialog({ title, content, returnFocus, className }) {
  const titleId = nextId('dialog-title');
  const dialog = h('dialog', { 'aria-labelledby': titleId, class: className || null });
  const api = {
    dialog,
    close() { dialog.close(); },
  };
  const body = content(api);
  dialog.append(h('h2', { id: titleId }, title), body);
  document.body.append(dialog);
  dialog.addEventListener('close', () => {
    dialog.remove();
    const target = typeof returnFocus === 'function' ? returnFocus() : returnFocus;
    if (target && target.isConnected) target.focus();
    maybeIdle();
  });
  dialog.showModal();
  const first = dialog.querySelector('[autofocus], input:not([disabled]), textarea, select, button:not([disabled])');
  first?.focus();
  return api;
}

/**
 * Tabs (https://www.w3.org/WAI/ARIA/apg/patterns/tabs/), activation follows
 * focus: ArrowLeft/ArrowRight (wrapping), Home/End.
 * tabs: [{key, label}]; onSelect(key).
 */
export function tabList({ label, tabs, selected, panelId, onSelect }) {
  const list = h('div', { role: 'tablist', 'aria-label': label, class: 'tabs' });
  const buttons = tabs.map((tab) => h('button', {
    type: 'button', role: 'tab', id: `tab-${tab.key}`, 'aria-controls': panelId,
    'aria-selected': tab.key === selected ? 'true' : 'false', tabindex: tab.key === selected ? '0' : '-1',
    onclick: () => onSelect(tab.key),
  }, tab.label));
  list.append(...buttons);
  list.addEventListener('keydown', (e) => {
    const i = buttons.indexOf(document.activeElement);
    if (i < 0) return;
    let next = null;
    if (e.key === 'ArrowRight') next = (i + 1) % buttons.length;
    else if (e.key === 'ArrowLeft') next = (i - 1 + buttons.length) % buttons.length;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = buttons.length - 1;
    if (next === null) return;
    e.preventDefault();
    onSelect(tabs[next].key, true);
  });
  return list;
}

/** Checkboxes for roles, in a fieldset whose legend is legend. */
export function roleChoices({ legend, roles, checked = [], hint }) {
  const boxes = roles.map((role) => {
    const id = nextId('role');
    const descId = role.description ? nextId('role-desc') : null;
    return h('div', { class: 'choice' },
      h('input', { type: 'checkbox', id, value: role.id, checked: checked.includes(role.id), 'aria-describedby': descId }),
      h('label', { for: id }, role.name),
      role.description ? h('span', { id: descId, class: 'hint' }, role.description) : null);
  });
  const fieldset = h('fieldset', { class: 'roles' }, h('legend', {}, legend), hint ? h('p', { class: 'hint' }, hint) : null, boxes);
  fieldset.selected = () => [...fieldset.querySelectorAll('input:checked')].map((i) => i.value);
  return fieldset;
}

/** A line that says what went wrong, read out at once. */
export function alertBox(message) {
  return h('p', { role: 'alert', class: 'error' }, message);
}

/**
 * Runs send when form is submitted, with button disabled meanwhile; what
 * goes wrong is shown in errors. send may return early after filling errors
 * itself (a check of the input before anything is sent).
 */
export function onSubmit(form, button, errors, send) {
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    button.disabled = true;
    try {
      await send();
    } catch (err) {
      fill(errors, alertBox(explain(err)));
    } finally {
      button.disabled = false;
    }
  });
}
