// What a browser test of the contact center needs around its scenario: arguments, free ports, a password hash, a
// `cimrt run` child with its log, headless Chromium, steps that name themselves, and the outcome (screenshots and the
// log tail on failure). A failure also names any JavaScript error the pages threw.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const PASSWORD = 'correct-horse';  // hash-password refuses fewer than 8 characters
const STARTUP_TIMEOUT_MS = 20_000;

export function createHarness(name, argv, overallTimeoutMs) {
  const usage = (problem) => {
    console.error(`${name}: ${problem}`);
    console.error(`usage: node ${name} --cimrt <cimrt binary> --plugins <plugin dir> --artifacts <dir>`);
    process.exit(2);
  };
  const args = {};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    if (!['--cimrt', '--plugins', '--artifacts'].includes(key)) usage(`unknown argument '${key}'`);
    if (i + 1 >= argv.length) usage(`${key} needs a value`);
    args[key.slice(2)] = path.resolve(argv[i + 1]);
  }
  for (const key of ['cimrt', 'plugins', 'artifacts']) if (!args[key]) usage(`--${key} is required`);
  mkdirSync(args.artifacts, { recursive: true });

  const h = { args, pages: new Map(), pageErrors: [], logLines: [], browser: null, runtime: null, workDir: null };
  let runtimeExited = null;
  let currentStep = 'setup';
  let finishing = false;
  const started = Date.now();
  const log = (text) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${text}`);

  h.step = async (stepName, body) => {
    currentStep = stepName;
    await body();
    log(`ok  ${stepName}`);
  };
  h.check = (condition, message) => { if (!condition) throw new Error(message); };

  h.freePorts = async (count) => {
    const servers = await Promise.all(Array.from({ length: count }, () => new Promise((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    })));
    const ports = servers.map((s) => s.address().port);
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    return ports;
  };

  h.hashPassword = (password) => {
    const result = spawnSync(args.cimrt, ['hash-password'], { input: password, encoding: 'utf8', timeout: 20_000 });
    if (result.error) throw new Error(`cannot run ${args.cimrt} hash-password: ${result.error.message}`);
    h.check(result.status === 0, `cimrt hash-password exited with ${result.status}: ${result.stderr.trim()}`);
    const lines = result.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
    h.check(lines.length === 1, `cimrt hash-password printed ${lines.length} lines, expected the hash alone`);
    return lines[0];
  };

  // Writes runtime.toml (the body given, after [runtime] and [store]) and starts `cimrt run`; resolves with the
  // chat and desk URLs read from the log, as a person would read them.
  h.startRuntime = (configBody) => {
    h.workDir = mkdtempSync(path.join(os.tmpdir(), 'cimrt-browser-'));
    const file = path.join(h.workDir, 'runtime.toml');
    writeFileSync(file, `[runtime]\nthreads = 2\nplugin_dir = ${JSON.stringify(args.plugins)}\n\n` +
      `[store]\nkind = "sqlite"\npath = "cimrt.db"\n\n${configBody}`);
    h.runtime = spawn(args.cimrt, ['run', file], { cwd: h.workDir, stdio: ['ignore', 'pipe', 'pipe'] });
    runtimeExited = new Promise((resolve) => h.runtime.once('exit', (code, signal) => resolve({ code, signal })));
    const listeners = new Set();
    for (const stream of [h.runtime.stdout, h.runtime.stderr]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop();
        for (const line of lines) {
          h.logLines.push(line);
          for (const listener of listeners) listener(line);
        }
      });
    }
    return new Promise((resolve, reject) => {
      const urls = {};
      const timer = setTimeout(() => reject(new Error('cimrt did not print \'cimrt: running\' in time')), STARTUP_TIMEOUT_MS);
      const seen = (line) => {
        const chat = /customer chat: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(line);
        if (chat) urls.chat = chat[1];
        const desk = /agent desk: (http:\/\/127\.0\.0\.1:\d+\/agent)\b/.exec(line);
        if (desk) urls.desk = desk[1];
        if (line.includes('cimrt: running')) {
          clearTimeout(timer);
          listeners.delete(seen);
          if (urls.chat && urls.desk) resolve(urls); else reject(new Error('cimrt is running but did not log both URLs'));
        }
      };
      listeners.add(seen);
      runtimeExited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`cimrt exited during startup (code ${code}, signal ${signal})`));
      });
    });
  };

  h.launch = async () => {
    h.browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  };

  h.openPage = async (url, who, viewport = { width: 1100, height: 720 }) => {
    const context = await h.browser.newContext({ viewport });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => h.pageErrors.push(`${who} page: ${error.message}`));
    await page.goto(url);
    h.pages.set(who, page);
    return page;
  };

  h.screenshots = async (shotName) => {
    for (const [who, page] of h.pages) await page.screenshot({ path: path.join(args.artifacts, `${shotName}-${who}.png`) });
  };

  const withTimeout = (promise, ms) =>
    Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), ms))]);

  async function stopRuntime() {
    if (!h.runtime || h.runtime.exitCode !== null || h.runtime.signalCode !== null) return;
    h.runtime.kill('SIGTERM');
    if (await Promise.race([runtimeExited, new Promise((r) => setTimeout(() => r('timeout'), 5_000))]) === 'timeout') {
      h.runtime.kill('SIGKILL');
      await runtimeExited;
    }
  }

  h.finish = async (error) => {
    if (finishing) return;
    finishing = true;
    if (!error && h.pageErrors.length) error = new Error(`JavaScript errors in the pages:\n  ${h.pageErrors.join('\n  ')}`);
    if (error) {
      console.error(`\nFAIL at step "${currentStep}": ${error.message}`);
      try { await withTimeout(h.screenshots('failure'), 5_000); } catch { /* nothing more to tell */ }
    }
    try { if (h.browser) await withTimeout(h.browser.close(), 5_000); } catch { /* the exit takes it down */ }
    await stopRuntime();
    if (error) {
      console.error(`\n--- last lines of the cimrt log (${h.workDir}) ---\n${h.logLines.slice(-60).join('\n')}`);
      process.exit(1);
    }
    if (h.workDir) rmSync(h.workDir, { recursive: true, force: true });
    log(`PASS (screenshots in ${args.artifacts})`);
    process.exit(0);
  };

  setTimeout(() => h.finish(new Error(`the whole test took longer than ${overallTimeoutMs / 1000} s`)), overallTimeoutMs);
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => h.finish(new Error(`interrupted by ${signal}`)));
  return h;
}
