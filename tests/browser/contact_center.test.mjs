// End to end through real browsers: a customer chats on the channel plugin's page, asks for an agent, the agent
// accepts on the desk, they talk, the agent wraps up and leaves, the customer answers the survey. On the way, the
// customer's connection drops while the agent speaks, and the replay after the reconnect must show what was missed.
//
// Usage: node contact_center.test.mjs --cimrt build/cimrt --plugins build/plugins --artifacts <dir>
// Exits 0 on success; otherwise 1 with the failed step, the runtime's log tail and screenshots in <dir> (2 for bad
// arguments). Needs /usr/bin/chromium and `npm ci` in this folder (playwright-core drives the installed Chromium).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const OVERALL_TIMEOUT_MS = 90_000;
const STARTUP_TIMEOUT_MS = 20_000;
const STEP_TIMEOUT_MS = 15_000;
const PASSWORD = 'correct-horse';  // hash-password refuses fewer than 8 characters

function usage(problem) {
  console.error(`contact_center.test.mjs: ${problem}`);
  console.error('usage: node contact_center.test.mjs --cimrt <cimrt binary> --plugins <plugin dir> --artifacts <dir>');
  process.exit(2);
}

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    if (!['--cimrt', '--plugins', '--artifacts'].includes(key)) usage(`unknown argument '${key}'`);
    if (i + 1 >= argv.length) usage(`${key} needs a value`);
    args[key.slice(2)] = path.resolve(argv[i + 1]);
  }
  for (const key of ['cimrt', 'plugins', 'artifacts']) if (!args[key]) usage(`--${key} is required`);
  return args;
}

const args = parseArgs(process.argv.slice(2));
mkdirSync(args.artifacts, { recursive: true });

// ---- what cleanup needs, whatever stage a failure happens in -----------------------------------------------------

let runtime = null;          // the cimrt child process
let runtimeExited = null;    // resolves with the exit code/signal
const logLines = [];         // the runtime's stdout and stderr, interleaved as they arrive
let browser = null;
let customer = null;         // the customer's page
let agent = null;            // the agent's page
const pageErrors = [];
let workDir = null;
let currentStep = 'setup';
let finishing = false;

const started = Date.now();
function log(text) {
  console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${text}`);
}

async function step(name, body) {
  currentStep = name;
  await body();
  log(`ok  ${name}`);
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

// ---- the runtime --------------------------------------------------------------------------------------------------

// Ports the OS just handed out and took back: free now, and very likely still free a moment later when cimrt binds.
async function freePorts(count) {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  })));
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

function hashPassword(password) {
  const result = spawnSync(args.cimrt, ['hash-password'], { input: password, encoding: 'utf8', timeout: 20_000 });
  if (result.error) throw new Error(`cannot run ${args.cimrt} hash-password: ${result.error.message}`);
  check(result.status === 0, `cimrt hash-password exited with ${result.status}: ${result.stderr.trim()}`);
  const lines = result.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  check(lines.length === 1, `cimrt hash-password printed ${lines.length} lines, expected the hash alone`);
  return lines[0];
}

// JSON's string syntax is a subset of TOML's basic strings for everything a path or a hash holds.
const tomlString = (s) => JSON.stringify(s);

function writeConfig(dir, chatPort, deskPort, hash) {
  const file = path.join(dir, 'runtime.toml');
  writeFileSync(file, `[runtime]
threads = 2
plugin_dir = ${tomlString(args.plugins)}

[store]
kind = "sqlite"
path = "cimrt.db"

[plugins.channel]
listen = "127.0.0.1:${chatPort}"

[plugins.bot]

[plugins.agent]
listen = "127.0.0.1:${deskPort}"
accept_timeout = "60s"

[[plugins.agent.agents]]
id = "alice"
name = "Alice"
capacity = 2
password_hash = ${tomlString(hash)}

[plugins.survey]
`);
  return file;
}

function startRuntime(config, cwd) {
  runtime = spawn(args.cimrt, ['run', config], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  runtimeExited = new Promise((resolve) => runtime.once('exit', (code, signal) => resolve({ code, signal })));
  const listeners = new Set();
  for (const stream of [runtime.stdout, runtime.stderr]) {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop();
      for (const line of lines) {
        logLines.push(line);
        for (const listener of listeners) listener(line);
      }
    });
  }
  // The URLs come from the log, as a person would read them, so a change in what the plugins print is noticed here.
  return new Promise((resolve, reject) => {
    const urls = {};
    const timer = setTimeout(() => reject(new Error(`cimrt did not print 'cimrt: running' within ${STARTUP_TIMEOUT_MS / 1000} s`)),
      STARTUP_TIMEOUT_MS);
    const seen = (line) => {
      const chat = /customer chat: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(line);
      if (chat) urls.chat = chat[1];
      const desk = /agent desk: (http:\/\/127\.0\.0\.1:\d+\/agent)\b/.exec(line);
      if (desk) urls.desk = desk[1];
      if (line.includes('cimrt: running')) urls.running = true;
      if (urls.running && urls.chat && urls.desk) {
        clearTimeout(timer);
        listeners.delete(seen);
        resolve(urls);
      } else if (urls.running) {
        clearTimeout(timer);
        reject(new Error(`cimrt is running but did not log ${urls.chat ? '' : "'customer chat: <url>' "}${urls.desk ? '' : "'agent desk: <url>'"}`));
      }
    };
    for (const line of logLines) seen(line);
    listeners.add(seen);
    runtimeExited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`cimrt exited during startup (code ${code}, signal ${signal})`));
    });
  });
}

async function stopRuntime() {
  if (!runtime || runtime.exitCode !== null || runtime.signalCode !== null) return;
  runtime.kill('SIGTERM');
  const timeout = new Promise((resolve) => setTimeout(() => resolve('timeout'), 5_000));
  if (await Promise.race([runtimeExited, timeout]) === 'timeout') {
    log('cimrt did not stop within 5 s of SIGTERM; sending SIGKILL');
    runtime.kill('SIGKILL');
    await runtimeExited;
  }
}

// ---- the browsers -------------------------------------------------------------------------------------------------

async function openPage(url, who) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  page.on('pageerror', (error) => pageErrors.push(`${who} page: ${error.message}`));
  await page.goto(url);
  return page;
}

async function screenshots(name) {
  for (const [who, page] of [['customer', customer], ['agent', agent]]) {
    if (page) await page.screenshot({ path: path.join(args.artifacts, `${name}-${who}.png`) });
  }
}

// ---- the scenario -------------------------------------------------------------------------------------------------

async function run() {
  workDir = mkdtempSync(path.join(os.tmpdir(), 'cimrt-browser-'));
  let urls;
  await step('start cimrt with the channel, bot, agent and survey plugins', async () => {
    const hash = hashPassword(PASSWORD);
    const [chatPort, deskPort] = await freePorts(2);
    const config = writeConfig(workDir, chatPort, deskPort, hash);
    urls = await startRuntime(config, workDir);
  });

  await step('launch chromium', async () => {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  await step('the agent logs in', async () => {
    agent = await openPage(urls.desk, 'agent');
    await agent.fill('#agent-id', 'alice');
    await agent.fill('#password', PASSWORD);
    await agent.click('#login');
    await agent.locator('#agent-name', { hasText: 'Alice' }).waitFor();
    await agent.locator('#connection[data-state="connected"]').waitFor();
  });

  await step('the customer says hello and the bot answers', async () => {
    customer = await openPage(urls.chat, 'customer');
    await customer.locator('#connection[data-state="connected"]').waitFor();
    await say(customer, 'hello');
    await customer.locator('.msg[data-from="CUSTOMER"]', { hasText: 'hello' }).waitFor();
    await customer.locator('.msg[data-from="BOT"]').first().waitFor();
    await screenshots('01-first-bot-reply');
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
    await screenshots('02-agent-joined');
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
    await screenshots('03-final');
  });

  check(pageErrors.length === 0, `JavaScript errors in the pages:\n  ${pageErrors.join('\n  ')}`);
}

async function say(page, text) {
  await page.fill('#input', text);
  await page.click('#send');
}

async function noErrorOnDesk() {
  const text = (await agent.locator('#error').textContent()).trim();
  check(text === '', `the agent desk shows an error: ${text}`);
}

// ---- outcome ------------------------------------------------------------------------------------------------------

async function finish(error) {
  if (finishing) return;
  finishing = true;
  if (error) {
    console.error(`\nFAIL at step "${currentStep}": ${error.message}`);
    if (pageErrors.length) console.error(`JavaScript errors in the pages:\n  ${pageErrors.join('\n  ')}`);
    if (customer || agent) {
      try {
        await withTimeout(screenshots('failure'), 5_000);
        console.error(`screenshots: ${args.artifacts}/failure-*.png`);
      } catch { /* a page that cannot be photographed has nothing more to tell */ }
    }
  }
  try { if (browser) await withTimeout(browser.close(), 5_000); } catch { /* the process exit takes it down */ }
  await stopRuntime();
  if (error) {
    console.error(`\n--- last lines of the cimrt log (${workDir}) ---`);
    console.error(logLines.slice(-80).join('\n') || '(nothing logged)');
    process.exit(1);
  }
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  log(`PASS (screenshots in ${args.artifacts})`);
  process.exit(0);
}

function withTimeout(promise, ms) {
  return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), ms))]);
}

setTimeout(() => finish(new Error(`the whole test took longer than ${OVERALL_TIMEOUT_MS / 1000} s`)),
  OVERALL_TIMEOUT_MS);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => finish(new Error(`interrupted by ${signal}`)));

run().then(() => finish(null), (error) => finish(error));
