// The seed story of the Agents page in a real browser (issue 13, "Tests in a
// real browser"; names from the contract's UI.md):
// owner signs in → invites two agents with roles → rows appear as Pending
// with delivery status → Re-send activation link from the kebab menu (the
// old link then shows "no longer valid") → the invitee opens the new link
// from the real email, activates, is signed in → the owner removes an agent
// that has conversations → Needs attention shows them with the caution
// badge → reassign clears it → re-invite asks for roles again.
// A second browser context sees the first one's changes live, without a
// reload, within 2 s. axe-core on every page; a keyboard-only pass through
// the kebab menu and the dialogs; the pages at 400 px wide.

import {
  BASE, SHOTS, launch, log, check, within, newPage, noProblems, axe, screenshot, api, nthLink, expireLink, refuseDeliveries, Failure, saveFailureScreenshots,
} from './lib.mjs';

const LIVE_MS = 2000; // UI.md: changes appear without a reload within 2 s
const PASSWORD = 'owner password 1234';
const OWNER = { name: 'Olga Owner', email: 'olga@acme.test' };
const ANA = 'ana@acme.test';
const BEN = 'ben@acme.test';
const liveTimes = [];

/**
 * A change made at since (just before the click that commits it) shows in
 * another page by since + LIVE_MS, without a reload; reports how long it took.
 */
async function live(what, since, fn) {
  await within(Math.max(0, since + LIVE_MS - Date.now()), `live: ${what} (${LIVE_MS} ms after the change)`, fn);
  const ms = Date.now() - since;
  liveTimes.push(ms);
  log(`live: ${what} ${ms} ms after the change`);
}

async function signIn(page, email, password) {
  await page.goto(`${BASE}/app`);
  await page.getByRole('textbox', { name: 'Email' }).fill(email);
  await page.getByRole('textbox', { name: 'Password' }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

const rowOf = (page, email) => page.getByRole('row').filter({ hasText: email });
const tab = (page, label) => page.getByRole('tab', { name: new RegExp(`^${label} \\(\\d+\\)$`) });

async function tabCount(page, label) {
  const text = await tab(page, label).textContent();
  return Number(/\((\d+)\)/.exec(text)[1]);
}

async function menuItems(page) {
  return page.getByRole('menu').getByRole('menuitem').evaluateAll((items) => items.map((i) => ({
    name: i.getAttribute('aria-label') || i.textContent.trim(),
    disabled: i.getAttribute('aria-disabled') === 'true',
  })));
}

const ACTION_ITEMS = [
  ['resendActivationLink', 'Re-send activation link'],
  ['updateRoles', 'Edit roles'],
  ['reinvite', 'Re-invite agent'],
  ['remove', 'Remove agent'],
];

/** The kebab menu shows exactly the actions viewerCan allows. */
async function menuMatchesViewerCan(page, token, email) {
  const data = await api(`query($s: String) { agents(first: 5, filter: {search: $s, status: [PENDING, ACTIVE, REMOVED]}) {
    edges { node { email viewerCan { resendActivationLink remove updateRoles reinvite } } } } }`, { s: email }, token);
  const can = data.agents.edges.map((e) => e.node).find((a) => a.email === email).viewerCan;
  const want = ACTION_ITEMS.filter(([k]) => can[k]).map(([, label]) => label).sort();
  const got = (await menuItems(page)).map((i) => i.name).sort();
  check(JSON.stringify(got) === JSON.stringify(want), `menu of ${email}: ${JSON.stringify(got)}, viewerCan allows ${JSON.stringify(want)}`);
  return got;
}

async function main() {
  const browser = await launch();
  try {
    await story(browser);
  } catch (err) {
    await saveFailureScreenshots();
    throw err;
  } finally {
    await browser.close();
  }
}

async function story(browser) {
  // ---- a workspace to play the story in (sign-up has no page: it is the API's)
  const signup = await api(`mutation($i: CreateWorkspaceInput!) { createWorkspace(input: $i) { token } }`,
    { i: { workspaceName: 'Acme Support', ownerName: OWNER.name, ownerEmail: OWNER.email, password: PASSWORD } });
  const ownerToken = signup.createWorkspace.token;

  const ctxA = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const ctxB = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const ctxInvitee = await browser.newContext({ viewport: { width: 1024, height: 760 } });
  const a = await newPage(ctxA, 'owner');
  const b = await newPage(ctxB, 'second owner tab');
  const ana = await newPage(ctxInvitee, 'invitee');

  // ---- sign-in: a wrong password is an alert; the right one opens the Agents page
  await a.goto(`${BASE}/app`);
  await a.getByRole('heading', { name: 'Sign in' }).waitFor();
  await axe(a, 'sign-in');
  await signIn(a, OWNER.email, 'not the password');
  await a.getByRole('alert').filter({ hasText: /wrong email or password/i }).waitFor();
  await signIn(a, OWNER.email, PASSWORD);
  await a.getByRole('heading', { name: 'Agents' }).waitFor();
  check(a.url().endsWith('/app/agents'), `after sign-in the owner is at ${a.url()}`);
  await within(5000, 'tab counts', async () => (await tabCount(a, 'Active')) === 1 && (await tabCount(a, 'Pending')) === 0
    && (await tabCount(a, 'Removed')) === 0);
  await rowOf(a, OWNER.email).waitFor();
  await axe(a, 'Agents page');

  // The second context: the same owner in another browser, on the Pending tab.
  await signIn(b, OWNER.email, PASSWORD);
  await b.getByRole('heading', { name: 'Agents' }).waitFor();
  await tab(b, 'Pending').click();
  await within(5000, 'B on the Pending tab', async () => (await tab(b, 'Pending').getAttribute('aria-selected')) === 'true');
  await b.getByText('No pending invitations.').waitFor();

  // ---- invite two agents (and one bad address, listed as a failure) with a role
  await a.getByRole('button', { name: 'Invite agent' }).click();
  const invite = a.getByRole('dialog', { name: 'Invite agent' });
  await invite.waitFor();
  await invite.getByRole('textbox', { name: 'Emails' }).fill(`${ANA}, ${BEN}\nnot-an-address`);
  const roleNames = await invite.getByRole('checkbox').evaluateAll((boxes) => boxes.map((b) => b.labels[0].textContent));
  check(roleNames.includes('Agent') && roleNames.includes('Owner'), `an Owner may grant every role; offered ${roleNames}`);
  await invite.getByRole('checkbox', { name: 'Agent', exact: true }).check();
  await axe(a, 'invite dialog');
  const invited = Date.now();
  await invite.getByRole('button', { name: 'Send invitations' }).click();
  await invite.getByRole('alert').filter({ hasText: 'not-an-address' }).waitFor();
  await live('B sees the invited agents', invited, async () => (await rowOf(b, ANA).count()) === 1 && (await rowOf(b, BEN).count()) === 1);
  check(await invite.isVisible(), 'the dialog stays open to show the failed address');
  check((await invite.getByRole('textbox', { name: 'Emails' }).inputValue()) === 'not-an-address', 'the failed address is left to correct');
  await invite.getByRole('button', { name: 'Cancel' }).click();
  await invite.waitFor({ state: 'detached' });

  // ---- rows appear as Pending with delivery status, here and live in B
  await tab(a, 'Pending').click();
  for (const email of [ANA, BEN]) {
    const row = rowOf(a, email);
    await row.waitFor();
    const text = await row.textContent();
    check(/Invitation pending/.test(text) && /Pending/.test(text) && /Agent/.test(text) && /Link expires/.test(text)
      && /Email: (Queued|Sent)/.test(text), `pending row of ${email}: ${text}`);
  }
  check((await tabCount(b, 'Pending')) === 2, 'B counts 2 pending');
  // Delivery: the SMTP server receives the email and the row says Sent, in both.
  const firstLink = await nthLink(ANA, 1);
  check(firstLink.startsWith(`${BASE}/activate?token=`), `the email's link: ${firstLink}`);
  await within(15000, 'delivery status Sent (owner)', async () => /Email: Sent/.test(await rowOf(a, ANA).textContent()));
  await live('B sees the delivery status Sent', Date.now(), async () => /Email: Sent/.test(await rowOf(b, ANA).textContent()));

  // ---- re-send from the kebab menu: disabled during the cooldown, then sent
  const kebab = a.getByRole('button', { name: `More actions for ${ANA}` });
  check((await kebab.getAttribute('aria-haspopup')) === 'menu', 'the kebab is a menu button');
  // Wait for the cooldown (RESEND_COOLDOWN=4s) to end; the page turns the item on by itself.
  await within(10000, 'the re-send item becomes available', async () => {
    await kebab.click();
    const items = await menuItems(a);
    const resend = items.find((i) => i.name === 'Re-send activation link');
    if (resend?.disabled) {
      await a.keyboard.press('Escape');
      await new Promise((r) => setTimeout(r, 300));
      return false;
    }
    return resend;
  });
  check((await kebab.getAttribute('aria-expanded')) === 'true', 'aria-expanded on the open menu');
  await menuMatchesViewerCan(a, ownerToken, ANA);
  await axe(a, 'kebab menu open');
  const resent = Date.now();
  await a.getByRole('menuitem', { name: 'Re-send activation link' }).click();
  await a.getByText(`A new activation link is on its way to ${ANA}`).waitFor();
  await live('B sees the second send', resent, async () => /sent 2 times/.test(await rowOf(b, ANA).textContent()));
  // Straight after a re-send the item is disabled and says when it is available.
  await kebab.click();
  const during = (await menuItems(a)).find((i) => i.name === 'Re-send activation link');
  check(during?.disabled, `during the cooldown the re-send item is disabled: ${JSON.stringify(during)}`);
  const note = await a.getByRole('menuitem', { name: 'Re-send activation link' }).textContent();
  check(/Available at/.test(note), `the disabled item says when: ${note}`);
  await a.keyboard.press('Escape');
  await within(5000, 'the row counts two sends', async () => /sent 2 times/.test(await rowOf(a, ANA).textContent()));

  // ---- the old link is dead; the new one (from the real email) activates
  const secondLink = await nthLink(ANA, 2);
  check(secondLink !== firstLink, 'the re-sent email carries a new link');
  await ana.goto(firstLink);
  await ana.getByText('This link is no longer valid').first().waitFor();
  await ana.getByText(/ask an admin/i).waitFor();
  await axe(ana, 'activation: dead link');
  await ana.goto(secondLink);
  await ana.getByRole('heading', { name: 'Join Acme Support' }).waitFor();
  const preview = await ana.locator('main').textContent();
  check(preview.includes(ANA) && preview.includes(OWNER.name), `the preview names the email and the inviter: ${preview}`);
  await axe(ana, 'activation form');
  await ana.getByRole('textbox', { name: 'Name' }).fill('Ana Agent');
  await ana.getByLabel('Password').fill('ana password 1234');
  const activated = Date.now();
  await ana.getByRole('button', { name: 'Activate account' }).click();
  await ana.getByRole('heading', { name: 'Your account is active' }).waitFor();
  await axe(ana, 'activation done');
  await live('the owner sees the activation', activated, async () => (await tabCount(a, 'Active')) === 2 && (await tabCount(a, 'Pending')) === 1);
  await ana.getByRole('link', { name: 'Open agentdesk' }).click();
  // Ana holds the Agent role: no Agents page, her conversations instead; signed in.
  await ana.getByRole('heading', { name: 'Conversations' }).waitFor();
  await ana.getByRole('button', { name: 'Sign out' }).waitFor();
  check((await ana.getByRole('link', { name: 'Agents' }).count()) === 0, 'an Agent has no Agents page link');

  // ---- conversations assigned to Ana (contacts writing in: the API's), live on her page
  const ids = await api(`{ agents(first: 10, filter: {status: [ACTIVE]}) { edges { node { id email } } } }`, {}, ownerToken);
  const anaId = ids.agents.edges.find((e) => e.node.email === ANA).node.id;
  let assigned;
  for (const [subject, contact] of [['Refund for order 1042', 'Maria Garcia'], ['Cannot log in', 'Tom Baker'],
    ['Delivery address change', 'Lena Novak']]) {
    const made = await api(`mutation($i: CreateConversationInput!) { createConversation(input: $i) { conversation { id } } }`,
      { i: { channel: 'EMAIL', subject, contactName: contact, contactEmail: `${contact.split(' ')[0].toLowerCase()}@customer.test`, message: 'Hello, can you help?' } }, ownerToken);
    await api(`mutation($i: AssignConversationInput!) { assignConversation(input: $i) { conversation { id } } }`,
      { i: { conversationId: made.createConversation.conversation.id, agentId: anaId } }, ownerToken);
    assigned = Date.now();
  }
  await live('Ana sees her 3 conversations', assigned, async () => (await ana.getByRole('row').filter({ hasText: 'Ana Agent' }).count()) === 3);
  await axe(ana, 'conversations (agent)');

  // B watches the needs-attention list: empty now.
  await b.getByRole('link', { name: 'Conversations' }).click();
  await b.getByRole('heading', { name: 'Conversations' }).waitFor();
  await b.getByRole('button', { name: 'Needs attention' }).click();
  check((await b.getByRole('button', { name: 'Needs attention' }).getAttribute('aria-pressed')) === 'true', 'the toggle is pressed');
  await b.getByText(/Nothing needs attention/).waitFor();

  // ---- the owner removes Ana: the dialog states the consequences
  await tab(a, 'Active').click();
  await rowOf(a, ANA).waitFor();
  await a.getByRole('button', { name: `More actions for ${ANA}` }).click();
  await menuMatchesViewerCan(a, ownerToken, ANA);
  await a.getByRole('menuitem', { name: 'Remove agent' }).click();
  const remove = a.getByRole('dialog', { name: 'Remove agent?' });
  await remove.waitFor();
  await remove.getByText('They have 3 open conversations', { exact: false }).waitFor();
  const says = await remove.textContent();
  check(/loses access to the workspace at once/.test(says) && /caution badge/.test(says), `the remove dialog: ${says}`);
  await axe(a, 'remove dialog');
  const removed = Date.now();
  await remove.getByRole('button', { name: 'Remove', exact: true }).click();
  await a.getByText(/3 open conversations show a caution badge/).waitFor();
  await within(5000, 'Ana leaves the Active tab', async () => (await rowOf(a, ANA).count()) === 0 && (await tabCount(a, 'Removed')) === 1);
  // Ana's session ends: her page returns to sign-in without her doing anything.
  // (BEHAVIOUR.md §7: her socket closes within 1 s; the page then asks to sign in.)
  await live("Ana's page signs her out", removed, async () => ana.getByRole('heading', { name: 'Sign in' }).isVisible());
  // ---- Needs attention, live in B: three conversations with the badge naming Ana
  await live('B sees the cautioned conversations', removed, async () => (await b.getByRole('img', { name: 'Caution: assignee removed' }).count()) === 3);
  const badge = b.getByRole('img', { name: 'Caution: assignee removed' }).first();
  const named = `${await badge.getAttribute('title')} ${await badge.textContent()}`;
  check(named.includes('Ana Agent'), `the badge names the removed agent: ${named}`);
  await axe(b, 'needs attention');

  // ---- reassign clears the badge: one conversation, then all the others
  await a.getByRole('link', { name: 'Conversations' }).click();
  await a.getByRole('button', { name: 'Needs attention' }).click();
  await within(5000, 'owner sees 3 cautioned', async () => (await a.getByRole('img', { name: 'Caution: assignee removed' }).count()) === 3);
  await a.getByRole('row').filter({ hasText: 'Refund for order 1042' }).getByRole('button', { name: 'Reassign' }).click();
  const reassign = a.getByRole('dialog', { name: 'Reassign conversation' });
  await reassign.waitFor();
  await reassign.getByRole('combobox', { name: 'Assign to' }).selectOption({ label: `${OWNER.name} (${OWNER.email})` });
  await axe(a, 'reassign dialog');
  const reassigned = Date.now();
  await reassign.getByRole('button', { name: 'Reassign' }).click();
  await within(5000, 'one badge cleared', async () => (await a.getByRole('img', { name: 'Caution: assignee removed' }).count()) === 2);
  await live('B sees one badge cleared', reassigned, async () => (await b.getByRole('img', { name: 'Caution: assignee removed' }).count()) === 2);
  await a.getByRole('button', { name: 'Reassign' }).first().click();
  await reassign.waitFor();
  await reassign.getByRole('combobox', { name: 'Assign to' }).selectOption({ label: `${OWNER.name} (${OWNER.email})` });
  await reassign.getByRole('checkbox', { name: /Also move every other open conversation/ }).check();
  const reassignedAll = Date.now();
  await reassign.getByRole('button', { name: 'Reassign' }).click();
  await a.getByText(/Nothing needs attention/).waitFor();
  await live('B sees nothing needs attention', reassignedAll, async () => b.getByText(/Nothing needs attention/).isVisible());

  // ---- re-invite asks for the roles again
  // Re-invite waits out the cooldown of Ana's last link (RESEND_COOLDOWN=4s
  // here); on a fast machine the story gets here sooner. The page shows the
  // menu only once viewerCan allows it, so wait for the server to say so.
  await within(15000, 'the server allows re-inviting Ana', async () => {
    const data = await api(`query($s: String) { agents(first: 5, filter: {search: $s, status: [REMOVED]}) {
      edges { node { email viewerCan { reinvite } } } } }`, { s: ANA }, ownerToken);
    return data.agents.edges.some((e) => e.node.email === ANA && e.node.viewerCan.reinvite);
  });
  await a.getByRole('link', { name: 'Agents' }).click();
  await tab(a, 'Removed').click();
  await a.getByRole('button', { name: `More actions for ${ANA}` }).click();
  await menuMatchesViewerCan(a, ownerToken, ANA);
  await a.getByRole('menuitem', { name: 'Re-invite agent' }).click();
  const reinvite = a.getByRole('dialog', { name: 'Re-invite agent' });
  await reinvite.waitFor();
  const checked = await reinvite.getByRole('checkbox').evaluateAll((boxes) => boxes.filter((b) => b.checked).length);
  check(checked === 0, `re-invite starts with no role chosen (roles are not retained); ${checked} checked`);
  await reinvite.getByRole('button', { name: 'Send invitation' }).click();
  await reinvite.getByRole('alert').filter({ hasText: 'Choose at least one role' }).waitFor();
  await reinvite.getByRole('checkbox', { name: 'Supervisor', exact: true }).check();
  await reinvite.getByRole('button', { name: 'Send invitation' }).click();
  await reinvite.waitFor({ state: 'detached' });
  await within(5000, 'Ana is pending again', async () => (await tabCount(a, 'Pending')) === 2 && (await tabCount(a, 'Removed')) === 0);
  await tab(a, 'Pending').click();
  const roles = await rowOf(a, ANA).locator('.roles').textContent();
  check(roles === 'Supervisor', `re-invited with only the new roles: ${roles}`);

  // ---- Ana has an account already: the new link asks only for its password
  const thirdLink = await nthLink(ANA, 3);
  await ana.goto(thirdLink);
  await ana.getByRole('heading', { name: 'Join Acme Support' }).waitFor();
  check((await ana.getByRole('textbox', { name: 'Name' }).count()) === 0, 'an existing account is not asked for a name');
  await ana.getByText(/already have an agentdesk account: use that account/).waitFor();
  await ana.getByLabel('Password').fill('not her password');
  await ana.getByRole('button', { name: 'Activate account' }).click();
  await ana.getByRole('alert').waitFor();
  await ana.getByLabel('Password').fill('ana password 1234');
  const reactivated = Date.now();
  await ana.getByRole('button', { name: 'Activate account' }).click();
  await ana.getByRole('heading', { name: 'Your account is active' }).waitFor();
  await live('the owner sees Ana active again', reactivated, async () => (await tabCount(a, 'Active')) === 2);

  // ---- a delivery that fails for good shows Failed (live), and a re-send delivers
  await refuseDeliveries(2); // MAIL_MAX_ATTEMPTS=2
  await b.goto(`${BASE}/app/agents?status=PENDING`);
  await a.getByRole('button', { name: 'Invite agent' }).click();
  await invite.getByRole('textbox', { name: 'Emails' }).fill('dan@acme.test');
  await invite.getByRole('checkbox', { name: 'Agent', exact: true }).check();
  await invite.getByRole('button', { name: 'Send invitations' }).click();
  await invite.waitFor({ state: 'detached' });
  await within(20000, 'delivery status Failed (owner)', async () => /Email: Failed/.test(await rowOf(a, 'dan@acme.test').textContent()));
  await live('B sees the delivery status Failed', Date.now(), async () => /Email: Failed/.test(await rowOf(b, 'dan@acme.test').textContent()));
  const danKebab = a.getByRole('button', { name: 'More actions for dan@acme.test' });
  await within(10000, 'the re-send item becomes available for Dan', async () => {
    await danKebab.click();
    const item = (await menuItems(a)).find((i) => i.name === 'Re-send activation link');
    if (!item || item.disabled) {
      await a.keyboard.press('Escape');
      await new Promise((r) => setTimeout(r, 300));
      return false;
    }
    return true;
  });
  await a.getByRole('menuitem', { name: 'Re-send activation link' }).click();
  await within(15000, 'the re-sent email is delivered', async () => /Email: Sent/.test(await rowOf(a, 'dan@acme.test').textContent()));
  check((await nthLink('dan@acme.test', 1)).startsWith(`${BASE}/activate?token=`), 'the re-sent email arrived');

  // ---- an expired link: its own page (the clock moved past its expiry)
  const benLink = await nthLink(BEN, 1);
  await expireLink(benLink);
  await ana.goto(benLink);
  await ana.getByText('This link has expired').first().waitFor();
  await ana.getByText(/ask an admin/i).waitFor();
  check((await ana.getByRole('button', { name: 'Activate account' }).count()) === 0, 'an expired link offers no activation');
  await axe(ana, 'activation: expired link');

  await keyboardPass(a);
  await narrow(browser);
  if (SHOTS) await demoScreenshots(browser);
  noProblems(a, b, ana);
  await Promise.all([ctxA.close(), ctxB.close(), ctxInvitee.close()]);
  log(`live updates: ${liveTimes.length} checks, slowest ${Math.max(...liveTimes)} ms (bound ${LIVE_MS} ms)`);
}

/** Only the keyboard: tabs, the kebab menu (menu-button pattern), the dialogs. */
async function keyboardPass(page) {
  const focused = () => page.evaluate(() => {
    const el = document.activeElement;
    return { role: el.getAttribute('role') || el.tagName.toLowerCase(), name: el.getAttribute('aria-label') || el.textContent.trim(), id: el.id };
  });
  async function tabTo(want, limit = 60) {
    for (let i = 0; i < limit; i += 1) {
      await page.keyboard.press('Tab');
      const f = await focused();
      if (want(f)) return f;
    }
    throw new Failure(`keyboard: Tab never reached the element (${want})`);
  }
  await page.goto(`${BASE}/app/agents`);
  await page.getByRole('heading', { name: 'Agents' }).waitFor();
  await rowOf(page, 'olga@acme.test').waitFor();
  // Tabs: arrow keys move the selection.
  await tabTo((f) => f.role === 'tab');
  await page.keyboard.press('ArrowRight');
  await within(3000, 'ArrowRight selects Pending', async () => (await tab(page, 'Pending').getAttribute('aria-selected')) === 'true');
  await rowOf(page, BEN).waitFor();
  // The kebab: Enter opens on the first item, arrows move, Escape returns focus.
  await tabTo((f) => f.name === `More actions for ${BEN}`);
  await page.keyboard.press('Enter');
  let f = await focused();
  check(f.role === 'menuitem', `Enter on the kebab focuses the first item, not ${JSON.stringify(f)}`);
  await page.keyboard.press('ArrowDown');
  const second = await focused();
  check(second.role === 'menuitem' && second.name !== f.name, 'ArrowDown moves to the next item');
  await page.keyboard.press('Escape');
  f = await focused();
  check(!(await page.getByRole('menu').isVisible()), 'Escape closes the menu');
  check(f.name === `More actions for ${BEN}`, `Escape returns focus to the kebab: ${JSON.stringify(f)}`);
  // ArrowUp opens on the last item: Remove agent; Enter opens its dialog; Escape closes it.
  await page.keyboard.press('ArrowUp');
  f = await focused();
  check(f.name === 'Remove agent', `ArrowUp opens on the last item: ${JSON.stringify(f)}`);
  await page.keyboard.press('Enter');
  await page.getByRole('dialog', { name: 'Remove agent?' }).waitFor();
  f = await focused();
  check(f.name === 'Cancel', `the remove dialog starts on Cancel: ${JSON.stringify(f)}`);
  await page.keyboard.press('Escape');
  await page.getByRole('dialog', { name: 'Remove agent?' }).waitFor({ state: 'detached' });
  f = await focused();
  check(f.name === `More actions for ${BEN}`, `closing the dialog returns focus to the kebab: ${JSON.stringify(f)}`);
  // Edit roles by keyboard: Enter, End/Home, arrows to the item, Space on a box, Enter to save.
  await page.keyboard.press('Enter');
  for (let i = 0; i < 5 && (await focused()).name !== 'Edit roles'; i += 1) await page.keyboard.press('ArrowDown');
  check((await focused()).name === 'Edit roles', 'arrows reach Edit roles');
  await page.keyboard.press('Enter');
  const edit = page.getByRole('dialog', { name: 'Edit roles' });
  await edit.waitFor();
  f = await focused();
  check(f.role === 'input', `the edit dialog starts on its first checkbox: ${JSON.stringify(f)}`);
  for (let i = 0; i < 10; i += 1) {
    const label = await page.evaluate(() => document.activeElement.labels?.[0]?.textContent);
    if (label === 'Supervisor') break;
    await page.keyboard.press('Tab');
  }
  await page.keyboard.press('Space');
  await tabTo((x) => x.name === 'Save roles', 15);
  await page.keyboard.press('Enter');
  await edit.waitFor({ state: 'detached' });
  await within(5000, 'Ben holds Supervisor', async () => /Supervisor/.test(await rowOf(page, BEN).textContent()));
  // The invite dialog by keyboard, from its button.
  await page.getByRole('heading', { name: 'Agents' }).focus();
  await tabTo((x) => x.name === 'Invite agent');
  await page.keyboard.press('Enter');
  const invite = page.getByRole('dialog', { name: 'Invite agent' });
  await invite.waitFor();
  check((await focused()).id === 'invite-emails', 'the invite dialog starts on Emails');
  await page.keyboard.type('cleo@acme.test');
  for (let i = 0; i < 12; i += 1) {
    await page.keyboard.press('Tab');
    const label = await page.evaluate(() => document.activeElement.labels?.[0]?.textContent);
    if (label === 'Agent') break;
  }
  await page.keyboard.press('Space');
  await tabTo((x) => x.name === 'Send invitations', 15);
  await page.keyboard.press('Enter');
  await invite.waitFor({ state: 'detached' });
  f = await focused();
  check(f.name === 'Invite agent', `closing the invite dialog returns focus to its button: ${JSON.stringify(f)}`);
  await rowOf(page, 'cleo@acme.test').waitFor();
  log('keyboard-only pass: tabs, kebab menu, remove, edit-roles and invite dialogs');
}

/** 400 px wide: every action still reachable. */
async function narrow(browser) {
  const ctx = await browser.newContext({ viewport: { width: 400, height: 800 } });
  const page = await newPage(ctx, 'narrow');
  await signIn(page, OWNER.email, PASSWORD);
  await page.getByRole('heading', { name: 'Agents' }).waitFor();
  await tab(page, 'Pending').click();
  const kebab = page.getByRole('button', { name: `More actions for ${BEN}` });
  await kebab.waitFor();
  const inView = async (loc) => {
    const box = await loc.boundingBox();
    return box && box.x >= 0 && box.x + box.width <= 400;
  };
  check(await inView(kebab), 'the kebab fits 400 px');
  check(await inView(page.getByRole('button', { name: 'Invite agent' })), 'Invite agent fits 400 px');
  check(await inView(page.getByRole('button', { name: 'Sign out' })), 'Sign out fits 400 px');
  for (const name of ['Active', 'Pending', 'Removed']) check(await inView(tab(page, name)), `the ${name} tab fits 400 px`);
  const strip = await page.getByRole('tablist').evaluate((t) => [t.scrollWidth, t.clientWidth]);
  check(strip[0] <= strip[1], `the tabs fit without scrolling the strip at 400 px (${strip})`);
  await kebab.click();
  for (const item of await page.getByRole('menuitem').all()) check(await inView(item), 'menu items fit 400 px');
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  check(width <= 400, `no sideways scrolling at 400 px (${width} px)`);
  await screenshot(page, 'agents-narrow');
  await axe(page, 'Agents page at 400 px');
  await page.keyboard.press('Escape');
  await page.getByRole('link', { name: 'Conversations' }).click();
  await page.getByRole('heading', { name: 'Conversations' }).waitFor();
  await page.getByRole('row').nth(1).waitFor();
  check(await inView(page.getByRole('button', { name: 'Needs attention' })), 'Needs attention fits 400 px');
  const convWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  check(convWidth <= 400, `no sideways scrolling on Conversations at 400 px (${convWidth} px)`);
  await axe(page, 'Conversations at 400 px');
  // Sign out ends the session on the server, not only in the tab.
  const token = await page.evaluate(() => sessionStorage.getItem('agentdesk.session'));
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  const after = await fetch(`${BASE}/query`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: '{ viewer { id } }' }),
  }).then((r) => r.json());
  check(after.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED', `after Sign out the token answers ${JSON.stringify(after)}`);
  noProblems(page);
  await narrowActivation(page);
  await ctx.close();
}

/**
 * The activation page at 400 px for a workspace whose name is one long word
 * (a name anyone may choose at sign-up): the heading wraps, nothing scrolls
 * sideways, and the name is shown as text, never as markup.
 */
async function narrowActivation(page) {
  const name = `Acme<b>Wide</b>${'x'.repeat(60)}`;
  const owner = await api(`mutation($i: CreateWorkspaceInput!) { createWorkspace(input: $i) { token } }`,
    { i: { workspaceName: name, ownerName: 'Wide Owner', ownerEmail: 'wide-owner@acme.test', password: PASSWORD } });
  const token = owner.createWorkspace.token;
  const roles = await api('{ roles { id name } }', {}, token);
  const agentRole = roles.roles.find((r) => r.name === 'Agent');
  await api(`mutation($i: InviteAgentsInput!) { inviteAgents(input: $i) { failures { email } } }`,
    { i: { emails: ['wide@acme.test'], roleIds: [agentRole.id] } }, token);
  await page.goto(await nthLink('wide@acme.test', 1));
  const heading = page.getByRole('heading', { level: 1 });
  await heading.waitFor();
  check((await heading.textContent()) === `Join ${name}`, `the workspace name is text: ${await heading.textContent()}`);
  check((await page.locator('main b').count()) === 0, 'no markup from the workspace name');
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  check(width <= 400, `no sideways scrolling on the activation page at 400 px (${width} px)`);
  noProblems(page);
}

/**
 * The README's screenshots, of the demo workspace (`agentdesk demo`, loaded
 * by the Go test before the server started): what a newcomer sees after
 * "try it in one minute".
 */
async function demoScreenshots(browser) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await newPage(ctx, 'demo');
  await signIn(page, 'olivia.owner@demo.agentdesk.test', 'demo-password-123');
  await page.getByRole('heading', { name: 'Agents' }).waitFor();
  await page.getByRole('row').nth(6).waitFor();
  await page.mouse.move(0, 0);
  await screenshot(page, 'agents');
  await axe(page, 'demo: Agents page');
  await tab(page, 'Pending').click();
  await within(5000, 'demo: pending rows', async () => (await page.getByRole('row').count()) >= 3);
  const kebab = page.getByRole('button', { name: /^More actions for / }).first();
  await kebab.click();
  await page.getByRole('menu').waitFor();
  await screenshot(page, 'kebab-menu');
  await page.keyboard.press('Escape');
  await tab(page, 'Active').click();
  await within(5000, 'demo: active rows', async () => (await page.getByRole('row').count()) >= 4);
  // An agent with conversations: the remove dialog counts them (cancelled here).
  const withWork = page.getByRole('button', { name: /^More actions for / }).nth(2);
  await withWork.click();
  await page.getByRole('menuitem', { name: 'Remove agent' }).click();
  const dialog = page.getByRole('dialog', { name: 'Remove agent?' });
  await dialog.getByText(/open conversation|no open conversations/).waitFor();
  await screenshot(page, 'remove-dialog');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('link', { name: 'Conversations' }).click();
  await page.getByRole('button', { name: 'Needs attention' }).click();
  await within(5000, 'demo: cautioned conversations', async () => (await page.getByRole('img', { name: 'Caution: assignee removed' }).count()) > 0);
  await page.mouse.move(0, 0);
  await screenshot(page, 'needs-attention');
  await axe(page, 'demo: needs attention');
  noProblems(page);
  await ctx.close();
}

main().then(() => log('story: passed'), (err) => {
  console.error(err instanceof Failure ? `FAIL: ${err.message}` : err);
  process.exit(1);
});
