/**
 * Viewer end-to-end helpers: `axon sim ... --view` in a child process (as a user starts it) and
 * headless Chromium (Debian's /usr/bin/chromium through playwright-core) on the URL it prints.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

declare const window: any;

export const CHROMIUM = process.env.AXON_CHROMIUM ?? '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
}

export interface SimProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** stdout and stderr so far. */
  output(): string;
  /** Sends SIGINT (the run stops and prints its summary) and resolves with the exit code and output. */
  stop(): Promise<{ code: number | null; output: string }>;
}

/** Starts `axon sim ARGS --view --view-port 0` and resolves once it printed the viewer URL. */
export function startSim(args: string[]): Promise<SimProcess> {
  return startAxon(['sim', ...args, '--view', '--view-port', '0']);
}

/** Starts `axon ARGS` (which must serve the viewer) and resolves once it printed the viewer URL. */
export async function startAxon(args: string[]): Promise<SimProcess> {
  const child = spawn(process.execPath, ['bin/axon.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      const m = /axon (?:viewer|replay): (http:\/\/\S+)/.exec(out);
      if (m) {
        clearInterval(timer);
        resolve(m[1]);
      } else if (Date.now() - started > 60_000) {
        clearInterval(timer);
        child.kill('SIGKILL'); // no orphan left behind
        reject(new Error(`axon ${args[0]} printed no viewer URL in 60 s:\n${out}`));
      }
    }, 50);
    void exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`axon ${args[0]} exited (${code}) before printing the viewer URL:\n${out}`));
    });
  });
  return {
    child,
    url,
    output: () => out,
    async stop() {
      if (child.exitCode === null) child.kill('SIGINT');
      const code = await exited;
      return { code, output: out };
    },
  };
}

/** Opens the page and waits for its hello and a few state frames. */
export async function openPage(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(url);
  await page.waitForFunction(() => window.__axon?.hello !== null && window.__axon?.frames > 2, null, { timeout: 30_000 });
  return page;
}

/** A screenshot into tests/.output; AXON_UPDATE_DOCS=1 also copies it to docs/ (docs/viewer.md's pictures). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync('tests/.output', { recursive: true });
  await page.screenshot({ path: `tests/.output/${name}` });
  if (process.env.AXON_UPDATE_DOCS === '1') {
    mkdirSync('docs', { recursive: true });
    copyFileSync(`tests/.output/${name}`, `docs/${name}`);
  }
}
