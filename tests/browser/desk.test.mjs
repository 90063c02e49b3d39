// The agent desk's defects of issue 16, in headless Chromium on a phone-width desk (390 px): no sideways scroll and
// one column with a back button; offers announced in an aria-live region and a notice when one is missed; customer
// and bot bubbles told apart; "Mine" as a listbox with a selected item; muted text at 4.5:1 at least; a wrap-up
// without a category shows only the error; Leave asks first, and leaving one of two chats shows the other. And the
// agent status: Away gets no offers, Ready again does; a reload keeps the session (a token in sessionStorage, never
// the password), the status and the open conversation, and badges what the customer wrote meanwhile.
//
// Each check is recorded, not thrown, where the scenario can go on without it, so one run names every defect still
// there. Usage: node desk.test.mjs --cimrt build/cimrt --plugins build/plugins --artifacts <dir>
import { createHarness, PASSWORD } from './harness.mjs';

const h = createHarness('desk.test.mjs', process.argv.slice(2), 120_000);
const failures = [];
function expect(condition, message) {
  if (!condition) failures.push(`${h.currentStepName}: ${message}`);
}
async function step(name, body) {
  h.currentStepName = name;
  await h.step(name, body);
}
const SOFT_WAIT_MS = 4_000;
async function appears(locator) {
  try { await locator.first().waitFor({ timeout: SOFT_WAIT_MS }); return true; } catch { return false; }
}

async function say(page, text) {
  await page.fill('#input', text);
  await page.click('#send');
}

async function noSidewaysScroll(page) {
  const { scroll, inner } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
  expect(scroll <= inner, `the desk scrolls sideways: scrollWidth ${scroll} > innerWidth ${inner}`);
}

// WCAG contrast of every visible element's own text against the first opaque background behind it.
async function lowContrast(page, selector) {
  return page.evaluate((sel) => {
    const rgb = (s) => (s.match(/[\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => {
      const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] > 0.9)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const bad = [];
    for (const el of document.querySelectorAll(sel)) {
      if (!el.offsetParent || !el.textContent.trim()) continue;
      const a = lum(rgb(getComputedStyle(el).color).slice(0, 3));
      const b = lum(background(el));
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      if (ratio < 4.5) bad.push(`${el.className || el.id || el.tagName} "${el.textContent.trim().slice(0, 20)}" ${ratio.toFixed(2)}:1`);
    }
    return bad;
  }, selector);
}

async function backToList(agent) {
  const back = agent.locator('#back');
  if (await back.count() && await back.isVisible()) await back.click();
}

async function run() {
  let urls;
  await step('start cimrt with a 3 s accept timeout', async () => {
    const [chatPort, deskPort] = await h.freePorts(2);
    urls = await h.startRuntime(`[plugins.channel]
listen = "127.0.0.1:${chatPort}"

[plugins.bot]

[plugins.agent]
listen = "127.0.0.1:${deskPort}"
accept_timeout = "3s"

[[plugins.agent.agents]]
id = "alice"
name = "Alice"
capacity = 3
password_hash = ${JSON.stringify(h.hashPassword(PASSWORD))}

[plugins.survey]
`);
    await h.launch();
  });

  let agent;
  await step('alice logs in on a 390 px wide desk', async () => {
    agent = await h.openPage(urls.desk, 'agent', { width: 390, height: 800 });
    await agent.fill('#agent-id', 'alice');
    await agent.fill('#password', PASSWORD);
    await agent.click('#login');
    await agent.locator('#connection[data-state="connected"]').waitFor();
    await noSidewaysScroll(agent);
  });

  const customers = [];
  async function customerAsksForAgent(n) {
    const page = await h.openPage(urls.chat, `customer${n}`);
    customers.push(page);
    await page.locator('#connection[data-state="connected"]').waitFor();
    await say(page, 'agent');
    await page.locator('.msg[data-from="CUSTOMER"]', { hasText: 'agent' }).waitFor();
    const offer = agent.locator('.offer[data-conversation-id]').last();
    await offer.waitFor();
    return offer.getAttribute('data-conversation-id');
  }

  await step('an offer is announced in an aria-live region', async () => {
    await customerAsksForAgent(1);
    const live = agent.locator('[aria-live]', { hasText: /offer/i });
    expect(await appears(live), 'no aria-live region announces the offer');
  });

  await step('a missed offer leaves a notice on the desk', async () => {
    await agent.locator('.offer').first().waitFor({ state: 'detached', timeout: 10_000 });
    expect(await appears(agent.locator('#notice', { hasText: /missed/i })), 'no notice of the missed offer');
    await h.screenshots('desk-01-missed-offer');
  });

  let second;
  await step('the accepted conversation fills the narrow desk, with a back button', async () => {
    second = await customerAsksForAgent(2);
    await agent.click(`.offer[data-conversation-id="${second}"] button.accept`);
    await agent.locator(`#conversation[data-conversation-id="${second}"]`).waitFor();
    await agent.locator('#conversation .entry[data-from="BOT"]').first().waitFor();
    await noSidewaysScroll(agent);
    expect(await agent.locator('#back').isVisible().catch(() => false), 'no back button at 390 px');
    expect(!(await agent.locator('aside').isVisible()), 'the list still takes room beside the open conversation');
    await h.screenshots('desk-02-narrow-conversation');
  });

  await step('customer and bot bubbles differ, muted text has 4.5:1 contrast', async () => {
    const colour = (sel) => agent.locator(sel).first().evaluate((el) => getComputedStyle(el).backgroundColor);
    const customer = await colour('#conversation .entry[data-from="CUSTOMER"] .bubble');
    const bot = await colour('#conversation .entry[data-from="BOT"] .bubble');
    const distance = (a, b) => {
      const x = a.match(/\d+/g).map(Number);
      const y = b.match(/\d+/g).map(Number);
      return Math.abs(x[0] - y[0]) + Math.abs(x[1] - y[1]) + Math.abs(x[2] - y[2]);
    };
    expect(distance(customer, bot) >= 40, `customer (${customer}) and bot (${bot}) bubbles are nearly the same colour`);
    const bad = await lowContrast(agent, '.who, .meta time, #connection, aside h2, .none, .last, .entry[data-kind="status"]');
    expect(bad.length === 0, `text below 4.5:1: ${bad.join('; ')}`);
  });

  await step('a wrap-up without a category shows only the error', async () => {
    await agent.click('#wrapup');
    await agent.waitForTimeout(1_000);  // the server's answer, if the page asked it
    const error = (await agent.locator('#error').textContent()).trim();
    const state = (await agent.locator('#wrapup-state').textContent()).trim();
    expect(/category/i.test(error), `no error for the missing category (error bar: "${error}")`);
    expect(state === '', `the wrap-up reads as sent beside the error: "${state}"`);
    await agent.click('#error-dismiss');
  });

  let third;
  await step('"Mine" is a listbox whose open item is selected', async () => {
    await backToList(agent);
    third = await customerAsksForAgent(3);
    await agent.click(`.offer[data-conversation-id="${third}"] button.accept`);
    await agent.locator(`#conversation[data-conversation-id="${third}"]`).waitFor();
    await backToList(agent);
    const items = await agent.locator('#mine > li').evaluateAll((lis) => lis.map((li) => ({
      id: li.dataset.conversationId, role: li.getAttribute('role'), selected: li.getAttribute('aria-selected') })));
    expect(items.length === 2, `Mine lists ${items.length} conversations, not 2`);
    expect(items.every((i) => i.role === 'option'), `Mine items without role "option": ${JSON.stringify(items)}`);
    expect(items.filter((i) => i.selected === 'true').map((i) => i.id).join() === third,
      `the open conversation is not the one selected: ${JSON.stringify(items)}`);
    expect(await agent.locator('#mine').getAttribute('role') === 'listbox', 'Mine is not a listbox');
    await noSidewaysScroll(agent);
  });

  await step('Leave asks first; leaving one of two chats shows the other', async () => {
    await agent.click(`.mine[data-conversation-id="${third}"]`);
    await agent.locator(`#conversation[data-conversation-id="${third}"]`).waitFor();
    const dialogs = [];
    agent.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      if (dialogs.length === 1) dialog.dismiss(); else dialog.accept();
    });
    await agent.click('#leave');
    await agent.waitForTimeout(500);
    expect(dialogs.length === 1, 'Leave did not ask for a confirmation');
    expect(dialogs.length === 0 || /wrap/i.test(dialogs[0]), `the confirmation does not mention the wrap-up: "${dialogs[0]}"`);
    if (dialogs.length === 1) {
      expect(await agent.locator(`.mine[data-conversation-id="${third}"]`).count() === 1, 'dismissing still left');
      await agent.click('#leave');
    }
    await agent.locator(`.mine[data-conversation-id="${third}"]`).waitFor({ state: 'detached' });
    expect(await appears(agent.locator(`#conversation[data-conversation-id="${second}"]:visible`)),
      `after leaving, the desk shows "${(await agent.locator('#placeholder').textContent()).trim()}", not the other chat`);
    await noSidewaysScroll(agent);
    await h.screenshots('desk-03-after-leave');
  });

  let fourth;
  await step('the agent chooses Away: no offer comes; Ready again brings it', async () => {
    await backToList(agent);
    await agent.selectOption('#status', 'AWAY');
    await agent.locator('#status[data-status="AWAY"]').waitFor();
    const page = await h.openPage(urls.chat, 'customer4');
    customers.push(page);
    await page.locator('#connection[data-state="connected"]').waitFor();
    await say(page, 'agent');
    await page.locator('.msg[data-from="CUSTOMER"]', { hasText: 'agent' }).waitFor();
    await agent.waitForTimeout(1_500);
    expect(await agent.locator('.offer').count() === 0, 'an agent who is Away was offered a conversation');
    await agent.selectOption('#status', 'READY');
    await agent.locator('#status[data-status="READY"]').waitFor();
    const offer = agent.locator('.offer[data-conversation-id]').last();
    expect(await appears(offer), 'choosing Ready again brought no offer');
    fourth = await offer.getAttribute('data-conversation-id');
    await agent.click(`.offer[data-conversation-id="${fourth}"] button.accept`);
    await agent.locator(`#conversation[data-conversation-id="${fourth}"]`).waitFor();
    await agent.selectOption('#status', 'BUSY');
    await agent.locator('#status[data-status="BUSY"]').waitFor();
    await h.screenshots('desk-04-status');
  });

  await step('a reload keeps the session (a token, never the password) and badges what came meanwhile', async () => {
    const stored = await agent.evaluate(() => JSON.stringify(Object.assign({}, window.sessionStorage)));
    expect(!stored.includes(PASSWORD), 'the password is kept in the page\'s storage');
    expect(/token/.test(stored), `no session token in sessionStorage: ${stored}`);
    // The desk is gone while the customer of the other conversation writes; then it comes back in the same tab.
    await agent.goto('about:blank');
    await say(customers[1], 'are you still there?');
    await customers[1].locator('.msg[data-from="CUSTOMER"]', { hasText: 'still there' }).waitFor();
    await agent.goto(urls.desk);
    await agent.locator('#connection[data-state="connected"]').waitFor();
    expect(await agent.locator('#login-screen').isHidden(), 'the reload asked for the password again');
    expect(await agent.locator('#status').inputValue() === 'BUSY', 'the status chosen before the reload is lost');
    expect(await appears(agent.locator(`#conversation[data-conversation-id="${fourth}"]`)),
      'the conversation open before the reload is not open again');
    await backToList(agent);
    const badge = agent.locator(`.mine[data-conversation-id="${second}"] .badge`);
    expect(await appears(agent.locator(`.mine[data-conversation-id="${second}"] .badge`, { hasText: /\d/ })),
      `no unread badge on the conversation written to during the reload ("${await badge.textContent().catch(() => '?')}")`);
    await h.screenshots('desk-05-after-reload');
  });

  await step('an unknown session falls back to the login form with a clear message', async () => {
    await agent.evaluate(() => window.sessionStorage.setItem('cimrt.desk.session',
      JSON.stringify({ token: '0123456789abcdef0123456789abcdef', expiresAt: 0 })));
    await agent.reload();
    await agent.locator('#login-screen:visible').waitFor();
    expect(await appears(agent.locator('#error', { hasText: /log in again/ })), 'no message says why the login form is back');
    await h.screenshots('desk-06-session-refused');
  });

  h.check(failures.length === 0, `${failures.length} check(s) failed:\n  ${failures.join('\n  ')}`);
}

run().then(() => h.finish(null), (error) => h.finish(error));
