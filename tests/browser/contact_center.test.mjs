// End to end through real browsers: a customer chats on the channel plugin's page, asks for an agent, the agent
// accepts on the desk, they talk, the agent wraps up and leaves, the customer answers the survey. On the way, the
// customer's connection drops while the agent speaks, and the replay after the reconnect must show what was missed.
//
// Usage: node contact_center.test.mjs --cimrt build/cimrt --plugins build/plugins --artifacts <dir>
// Exits 0 on success; otherwise 1 with the failed step, the runtime's log tail and screenshots in <dir> (2 for bad
// arguments). Needs /usr/bin/chromium and `npm ci` in this folder (playwright-core drives the installed Chromium).
// The runtime, the browser and the outcome are harness.mjs's.
import { createHarness, PASSWORD } from './harness.mjs';

const h = createHarness('contact_center.test.mjs', process.argv.slice(2), 90_000);
const { step, check } = h;
let customer = null;  // the customer's page
let agent = null;     // the agent's page

// ---- the scenario -------------------------------------------------------------------------------------------------

async function run() {
  let urls;
  await step('start cimrt with the channel, bot, agent and survey plugins', async () => {
    const [chatPort, deskPort] = await h.freePorts(2);
    urls = await h.startRuntime(`[plugins.channel]
listen = "127.0.0.1:${chatPort}"

[plugins.bot]

[plugins.agent]
listen = "127.0.0.1:${deskPort}"
accept_timeout = "60s"

[[plugins.agent.agents]]
id = "alice"
name = "Alice"
capacity = 2
password_hash = ${JSON.stringify(h.hashPassword(PASSWORD))}

[plugins.survey]
`);
  });

  await step('launch chromium', () => h.launch());

  await step('the agent logs in', async () => {
    agent = await h.openPage(urls.desk, 'agent');
    await agent.fill('#agent-id', 'alice');
    await agent.fill('#password', PASSWORD);
    await agent.click('#login');
    await agent.locator('#agent-name', { hasText: 'Alice' }).waitFor();
    await agent.locator('#connection[data-state="connected"]').waitFor();
  });

  await step('the customer says hello and the bot answers', async () => {
    customer = await h.openPage(urls.chat, 'customer');
    await customer.locator('#connection[data-state="connected"]').waitFor();
    await say(customer, 'hello');
    await customer.locator('.msg[data-from="CUSTOMER"]', { hasText: 'hello' }).waitFor();
    await customer.locator('.msg[data-from="BOT"]').first().waitFor();
    await h.screenshots('01-first-bot-reply');
  });

  let conversationId;
  await step('asking for an agent offers the conversation to alice', async () => {
    await say(customer, 'agent');
    const offer = agent.locator('.offer[data-conversation-id]').first();
    await offer.waitFor();
    conversationId = await offer.getAttribute('data-conversation-id');
    check(conversationId, 'the offer has an empty data-conversation-id');
    await offer.locator('.preview', { hasText: 'agent' }).waitFor();  // the transcript came with the offer
  });

  await step("the customer's connection drops", async () => {
    await customer.evaluate(() => window.cimrtChat.dropConnection({ hold: true }));
    await customer.locator('#connection[data-state="reconnecting"]').waitFor();
  });

  const greeting = 'Hi, I am Alice';
  await step('alice accepts and speaks while the customer is away', async () => {
    await agent.click(`.offer[data-conversation-id="${conversationId}"] button.accept`);
    await agent.locator(`.mine[data-conversation-id="${conversationId}"]`).waitFor();
    await agent.locator(`#conversation[data-conversation-id="${conversationId}"]`).waitFor();
    await agent.locator('#conversation .entry[data-kind="message"][data-from="CUSTOMER"]', { hasText: 'hello' }).waitFor();
    check(await agent.locator('.offer').count() === 0, 'the accepted offer is still listed under Offered');
    await say(agent, greeting);
    await agent.locator('#conversation .entry[data-kind="message"][data-from="AGENT"]', { hasText: greeting }).waitFor();
    check(await customer.locator('.msg[data-from="AGENT"]').count() === 0,
      'the customer page showed the agent message while it was supposed to be disconnected');
  });

  await step('after reconnecting, the customer sees what was missed, once', async () => {
    await customer.evaluate(() => window.cimrtChat.reconnect());
    await customer.locator('#connection[data-state="connected"]').waitFor();
    await customer.locator('.msg[data-from="AGENT"]', { hasText: greeting }).waitFor();
    await customer.locator('.status', { hasText: 'joined' }).waitFor();
    const hellos = await customer.locator('.msg[data-from="CUSTOMER"] .text').evaluateAll(
      (nodes) => nodes.filter((n) => n.textContent.trim() === 'hello').length);
    check(hellos === 1, `the replay duplicated messages: "hello" is shown ${hellos} times`);
    await h.screenshots('02-agent-joined');
  });

  await step('the customer answers and alice sees it', async () => {
    await say(customer, 'thanks');
    await agent.locator('#conversation .entry[data-kind="message"][data-from="CUSTOMER"]', { hasText: 'thanks' }).waitFor();
  });

  await step('read receipts reach both sides', async () => {
    // The customer page reports the agent's message read; the desk reports the customer's.
    await agent.locator('#conversation .entry[data-kind="message"][data-from="AGENT"] .receipt[data-status="READ"]').waitFor();
    await customer.locator('.msg[data-from="CUSTOMER"]', { hasText: 'thanks' })
      .locator('.receipt[data-status="READ"]').waitFor();
  });

  await step('alice wraps up and leaves', async () => {
    await agent.locator('#wrapup-categories input[type="checkbox"]').first().check();
    await agent.click('#wrapup');
    await agent.locator('#conversation .entry[data-kind="status"]', { hasText: /wrap/i }).waitFor();
    await noErrorOnDesk();
    agent.once('dialog', (dialog) => dialog.accept());  // Leave asks first
    await agent.click('#leave');
    await agent.locator(`.mine[data-conversation-id="${conversationId}"]`).waitFor({ state: 'detached' });
  });

  await step('the customer answers the survey', async () => {
    const survey = customer.locator('.msg[data-from="APP"]').filter({ has: customer.locator('button') }).last();
    await survey.waitFor();
    const five = survey.getByRole('button', { name: '5', exact: true });
    await five.click();
    await survey.locator('button:not([disabled])').waitFor({ state: 'detached' });
    // An error is an answer too: give the server a moment to send one before concluding there is none.
    await customer.waitForTimeout(1_500);
    const errors = await customer.locator('.error').allTextContents();
    check(errors.length === 0, `the customer page shows errors: ${JSON.stringify(errors)}`);
    await noErrorOnDesk();
    await h.screenshots('03-final');
  });
}

async function say(page, text) {
  await page.fill('#input', text);
  await page.click('#send');
}

async function noErrorOnDesk() {
  const text = (await agent.locator('#error').textContent()).trim();
  check(text === '', `the agent desk shows an error: ${text}`);
}

run().then(() => h.finish(null), (error) => h.finish(error));
