// Runs one notebook in a live classic Jupyter Notebook 6 server through headless
// Chromium (playwright-core, the Debian chromium binary) and checks what the
// browser shows: every code cell ran, no error output, images decoded, and the
// chapter 5 decision-region cell drew a figure. Saves screenshots.
//
// scripts/browser-test.sh starts the server and calls this; by hand:
//
//   JUPYTER_URL=http://127.0.0.1:8888 JUPYTER_TOKEN=... node run-notebook.mjs
//
// Environment:
//   JUPYTER_URL      server base URL (required)
//   JUPYTER_TOKEN    server token (required)
//   NOTEBOOK         notebook path relative to the server's notebook dir
//                    (default 05_fully_connected_circles.ipynb)
//   OUT_DIR          where screenshots go (default out/browser)
//   SCREENSHOT       full-page screenshot file name (default notebook05.png)
//   FIGURE_CELL      regular expression matching the source of the cell whose
//                    output must hold an image (default ProbabilityRegion: the
//                    decision regions, thesis figures 5.8 and 5.9)
//   KERNEL_NAME      kernelspec the notebook must run on (default fer)
//   TIMEOUT_S        hard limit for the whole run (default 420)
//   CHROMIUM         browser binary (default /usr/bin/chromium)
//
// Exit status: 0 on success, 1 on a failed check, 2 on a timeout, 3 on a crash.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

const env = process.env;
const baseURL = (env.JUPYTER_URL || '').replace(/\/+$/, '');
const token = env.JUPYTER_TOKEN || '';
const notebook = env.NOTEBOOK || '05_fully_connected_circles.ipynb';
const outDir = env.OUT_DIR || 'out/browser';
const shotName = env.SCREENSHOT || 'notebook05.png';
const figureCell = new RegExp(env.FIGURE_CELL || 'ProbabilityRegion');
const kernelName = env.KERNEL_NAME || 'fer';
const timeoutS = Number(env.TIMEOUT_S || 420);
const executablePath = env.CHROMIUM || '/usr/bin/chromium';

if (!baseURL || !token) {
  console.error('run-notebook: set JUPYTER_URL and JUPYTER_TOKEN');
  process.exit(3);
}
fs.mkdirSync(outDir, { recursive: true });

const t0 = Date.now();
const deadline = t0 + timeoutS * 1000;
const secs = () => ((Date.now() - t0) / 1000).toFixed(1);
const log = (...a) => console.log(`[browser ${secs()}s]`, ...a);

let phase = 'starting Chromium';
let lastState = '';
let browser;
let page;

class Timeout extends Error {}
class CheckFailed extends Error {}

// Last resort: if the browser or a CDP call hangs past the deadline, the
// awaited promise never settles; this timer still fires.
const watchdog = setTimeout(() => {
  console.error(`run-notebook: TIMEOUT after ${timeoutS}s (watchdog) while ${phase}${lastState ? `; last state: ${lastState}` : ''}`);
  try { browser?.process()?.kill('SIGKILL'); } catch {}
  process.exit(2);
}, timeoutS * 1000 + 15000);
watchdog.unref();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// poll calls probe() until it returns a truthy value, logging progress now and
// then; throws Timeout at the deadline.
async function poll(what, probe, { every = 500, report = 15000, describe } = {}) {
  phase = `waiting for ${what}`;
  let lastReport = Date.now();
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (describe) lastState = await describe().catch((e) => `(state unavailable: ${e.message})`);
    if (Date.now() > deadline) throw new Timeout(`waiting for ${what}`);
    if (Date.now() - lastReport >= report) {
      log(`still waiting for ${what}${lastState ? `: ${lastState}` : ''}`);
      lastReport = Date.now();
    }
    await sleep(every);
  }
}

// What a visible modal dialog says (Notebook 6 asks e.g. "Kernel not found").
async function modalText() {
  return page.evaluate(() => {
    const m = [...document.querySelectorAll('.modal')].find((e) => e.offsetParent !== null || getComputedStyle(e).display === 'block');
    return m ? m.innerText.replace(/\s+/g, ' ').trim().slice(0, 300) : '';
  });
}

// Makes the notebook one tall page: Notebook 6 scrolls inside #site, which a
// full-page screenshot would otherwise cut to the window.
async function unclipPage() {
  await page.addStyleTag({
    content: `html, body { height: auto !important; overflow: visible !important; }
              #site { height: auto !important; overflow: visible !important; }`,
  });
}

async function main() {
  browser = await chromium.launch({
    executablePath,
    headless: true,
    timeout: 60000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'],
  });
  log(`Chromium ${browser.version()} (${executablePath})`);
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  page = await context.newPage();
  page.setDefaultTimeout(60000);
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(`console: ${m.text()}`); });

  phase = 'opening the notebook';
  const url = `${baseURL}/notebooks/${notebook.split('/').map(encodeURIComponent).join('/')}?token=${encodeURIComponent(token)}`;
  log(`opening ${url.replace(token, '<token>')}`);
  const resp = await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60000 });
  if (!resp || !resp.ok()) throw new CheckFailed(`GET notebook page: HTTP ${resp ? resp.status() : 'no response'}`);

  // 1. The notebook is loaded and its kernel is connected and idle.
  await poll('the notebook to load', () => page.evaluate(() =>
    !!(window.Jupyter && Jupyter.notebook && Jupyter.notebook._fully_loaded)),
  { describe: async () => (await modalText()) || 'Jupyter.notebook not loaded yet' });
  await poll(`kernel "${kernelName}" to connect and be idle`, () => page.evaluate(() => {
    const k = Jupyter.notebook.kernel;
    const icon = document.querySelector('#kernel_indicator_icon');
    return !!(k && k.is_connected() && icon && icon.classList.contains('kernel_idle_icon'));
  }), {
    describe: async () => {
      const s = await page.evaluate(() => {
        const k = Jupyter.notebook.kernel;
        const icon = document.querySelector('#kernel_indicator_icon');
        return `kernel ${k ? `${k.name} connected=${k.is_connected()}` : 'not started'}, indicator ${icon ? icon.className : 'missing'}`;
      });
      const m = await modalText();
      return m ? `${s}; dialog: ${m}` : s;
    },
  });
  const kernel = await page.evaluate(() => Jupyter.notebook.kernel.name);
  if (kernel !== kernelName) throw new CheckFailed(`notebook runs on kernel "${kernel}", want "${kernelName}"`);
  log(`kernel "${kernel}" idle`);

  // 2. Run all cells, recording every execute_reply (status, count) per cell.
  const nCode = await page.evaluate(() => {
    window.__fer = { replies: {} };
    const cells = Jupyter.notebook.get_cells();
    let n = 0;
    cells.forEach((c, i) => {
      if (c.cell_type !== 'code') return;
      if (c.get_text().trim() !== '') n++;
      const orig = c._handle_execute_reply;
      c._handle_execute_reply = function (msg) {
        const ct = msg.content || {};
        window.__fer.replies[i] = { status: ct.status, count: ct.execution_count, ename: ct.ename, evalue: ct.evalue };
        return orig.call(this, msg);
      };
    });
    Jupyter.notebook.execute_all_cells();
    return n;
  });
  const runStart = Date.now();
  log(`running all cells: ${nCode} code cells`);

  // 3. Wait until each code cell has its reply and the kernel is idle (stable
  //    for a second), or a cell failed and the kernel went idle (the rest are
  //    then aborted or never answered).
  const state = () => page.evaluate(() => {
    const cells = Jupyter.notebook.get_cells();
    const code = cells.map((c, i) => [c, i]).filter(([c]) => c.cell_type === 'code' && c.get_text().trim() !== '');
    const replies = window.__fer.replies;
    const running = code.filter(([c]) => c.input_prompt_number === '*').map(([, i]) => i);
    const icon = document.querySelector('#kernel_indicator_icon');
    return {
      total: code.length,
      replied: code.filter(([, i]) => replies[i]).length,
      failed: code.filter(([, i]) => replies[i] && replies[i].status !== 'ok').map(([, i]) => i),
      running,
      first: running.length ? running[0] : null,
      idle: !!(icon && icon.classList.contains('kernel_idle_icon')),
    };
  });
  let stableSince = 0;
  const final = await poll('every code cell to finish', async () => {
    const s = await state();
    const done = s.idle && ((s.replied === s.total && s.running.length === 0) || s.failed.length > 0);
    if (!done) { stableSince = 0; return null; }
    if (!stableSince) stableSince = Date.now();
    return Date.now() - stableSince >= (s.failed.length ? 3000 : 1000) ? s : null;
  }, {
    describe: async () => {
      const s = await state();
      return `${s.replied}/${s.total} cells answered, kernel ${s.idle ? 'idle' : 'busy'}` +
        (s.first !== null ? `, cell ${s.first} running (In [*])` : '') + (s.failed.length ? `, failed: ${s.failed}` : '');
    },
  });
  const runSeconds = (Date.now() - runStart) / 1000;
  log(`cells finished in ${runSeconds.toFixed(1)}s: ${final.replied}/${final.total} answered`);

  // 4. Checks.
  phase = 'checking the outputs';
  const failures = [];
  const report = await page.evaluate(async (figureSrc) => {
    const figure = new RegExp(figureSrc);
    const cells = Jupyter.notebook.get_cells();
    const out = { errors: [], stderr: [], notRun: [], images: [], figureCell: null, figureImages: [] };
    for (const img of document.querySelectorAll('.output_area img')) {
      try { await img.decode(); } catch {}
    }
    cells.forEach((c, i) => {
      if (c.cell_type !== 'code') return;
      const src = c.get_text();
      const r = window.__fer.replies[i];
      if (src.trim() !== '' && (!r || typeof c.input_prompt_number !== 'number')) {
        out.notRun.push(`cell ${i}: prompt ${JSON.stringify(c.input_prompt_number)}, reply ${r ? r.status : 'none'}`);
      }
      if (r && r.status !== 'ok') out.errors.push(`cell ${i}: execute_reply ${r.status}${r.ename ? ` ${r.ename}: ${r.evalue}` : ''}`);
      for (const o of c.output_area.outputs) {
        if (o.output_type === 'error') out.errors.push(`cell ${i}: ${o.ename}: ${o.evalue}`);
      }
      const el = c.element[0];
      for (const e of el.querySelectorAll('.output_error')) out.errors.push(`cell ${i}: ${e.innerText.trim().slice(0, 400)}`);
      for (const e of el.querySelectorAll('.output_stderr')) {
        const t = e.innerText.trim();
        if (/panic|error/i.test(t)) out.errors.push(`cell ${i} stderr: ${t.slice(0, 400)}`);
        else if (t) out.stderr.push(`cell ${i}: ${t.slice(0, 200)}`);
      }
      const imgs = [...el.querySelectorAll('.output_area img')].map((img) => ({
        cell: i, w: img.naturalWidth, h: img.naturalHeight, complete: img.complete,
      }));
      out.images.push(...imgs);
      if (out.figureCell === null && figure.test(src)) {
        out.figureCell = i;
        out.figureImages = imgs;
        el.setAttribute('data-fer-figure', '1');
      }
    });
    return out;
  }, figureCell.source);

  if (final.failed.length) failures.push(`cells failed: ${final.failed.join(', ')}`);
  failures.push(...report.errors.map((e) => `error output: ${e}`));
  failures.push(...report.notRun.map((e) => `not run: ${e}`));
  const good = report.images.filter((i) => i.w > 0 && i.h > 0);
  const bad = report.images.filter((i) => !(i.w > 0 && i.h > 0));
  if (good.length === 0) failures.push('no decoded image in any output area');
  for (const b of bad) failures.push(`image in cell ${b.cell} did not decode (${b.w}x${b.h})`);
  if (report.figureCell === null) {
    failures.push(`no code cell matches FIGURE_CELL /${figureCell.source}/`);
  } else if (!report.figureImages.some((i) => i.w > 0 && i.h > 0)) {
    failures.push(`decision-region cell ${report.figureCell} has no decoded image in its output`);
  }

  // Keep the executed notebook in the scratch folder for inspection.
  phase = 'saving the executed notebook';
  await Promise.race([page.evaluate(() => Jupyter.notebook.save_notebook()), sleep(15000)]).catch(() => {});

  // 5. Screenshots (also on failure: they show what went wrong).
  phase = 'taking screenshots';
  await unclipPage();
  const shot = path.join(outDir, shotName);
  await page.screenshot({ path: shot, fullPage: true, timeout: 60000 });
  let figShot = '';
  if (report.figureCell !== null) {
    const loc = page.locator('[data-fer-figure="1"] .output_area img').first();
    if (await loc.count()) {
      figShot = path.join(outDir, shotName.replace(/\.png$/, '') + '-decision-regions.png');
      await loc.screenshot({ path: figShot, timeout: 30000 });
    }
  }

  console.log('');
  console.log(`notebook:  ${notebook} on kernel "${kernel}"`);
  console.log(`cells:     ${final.replied}/${final.total} code cells run in ${runSeconds.toFixed(1)}s`);
  console.log(`images:    ${report.images.map((i) => `cell ${i.cell} ${i.w}x${i.h}`).join(', ') || 'none'}`);
  console.log(`figure:    decision regions in cell ${report.figureCell ?? '?'}: ${report.figureImages.map((i) => `${i.w}x${i.h}`).join(', ') || 'no image'}`);
  if (report.stderr.length) console.log(`stderr:    ${report.stderr.join(' | ')}`);
  if (pageErrors.length) console.log(`console:   ${pageErrors.length} browser console error(s), not checked (e.g. ${pageErrors[0].slice(0, 120)})`);
  console.log(`screenshot: ${shot}${figShot ? `, ${figShot}` : ''}`);
  console.log(`total:     ${secs()}s in the browser`);
  if (failures.length) throw new CheckFailed(failures.join('\n  '));
}

try {
  await main();
  await browser.close();
  console.log('run-notebook: PASS');
  process.exit(0);
} catch (e) {
  let code = 3;
  if (e instanceof Timeout) {
    code = 2;
    console.error(`run-notebook: TIMEOUT after ${secs()}s (limit ${timeoutS}s) ${e.message}${lastState ? `; last state: ${lastState}` : ''}`);
  } else if (e instanceof CheckFailed) {
    code = 1;
    console.error(`run-notebook: FAIL\n  ${e.message}`);
  } else {
    console.error(`run-notebook: ERROR while ${phase}: ${e.stack || e}`);
  }
  if (page && code !== 1) {
    // A picture of where it stopped.
    const f = path.join(outDir, shotName.replace(/\.png$/, '') + '-failure.png');
    await Promise.race([
      unclipPage().then(() => page.screenshot({ path: f, fullPage: true, timeout: 20000 })).then(() => console.error(`screenshot: ${f}`)),
      sleep(25000),
    ]).catch(() => {});
  }
  await Promise.race([browser?.close(), sleep(10000)]).catch(() => {});
  process.exit(code);
}
