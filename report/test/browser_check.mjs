// Opens dmine reports in headless Chromium (Debian's, driven by playwright-core) and checks what a
// reader sees: no console errors, no network access, every section, every chart drawn, hover
// tooltips and zoom. Usage:
//   node browser_check.mjs --node-modules DIR --out DIR REPORT.html:EXPECT [...]
// EXPECT is a comma list: "complete" (every section has data) or "failed=SECTION" (that section is
// marked missing with an error), "explore" (the trends and breakdowns sections have their charts),
// "forecast" (the forecast section has its fan charts and key finding),
// "legacy" (a database without them: the sections are left out), "findings=N" (at least N key
// findings), "screenshot=FILE.png" (pictures for the docs).
// Prints one "ok"/"not ok" line per check and a closing "N passed, N failed" line.
import { createRequire } from "node:module";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const args = process.argv.slice(2);
let nodeModules = "", outDir = "";
const reports = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--node-modules") nodeModules = args[++i];
  else if (args[i] === "--out") outDir = args[++i];
  else reports.push(args[i]);
}
const require = createRequire(path.join(path.resolve(nodeModules), "noop.js"));
const { chromium } = require("playwright-core");
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";

let passed = 0, failed = 0;
function check(ok, what, detail = "") {
  if (ok) passed++; else failed++;
  console.log(`${ok ? "ok" : "not ok"} - ${what}${!ok && detail ? ` (${detail})` : ""}`);
}

const SECTIONS = ["summary", "profile", "clustering", "anomalies", "rfm", "appendix"];

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "dmine-report-chromium-"));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  viewport: { width: 1280, height: 900 },
  deviceScaleFactor: 1,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
try {
  for (const spec of reports) {
    const [file, expectText = "complete"] = spec.split(/:(?=[^:]*$)/);
    const expect = Object.fromEntries(expectText.split(",").filter(Boolean).map((e) => {
      const [k, v = true] = e.split("=");
      return [k, v];
    }));
    const name = path.basename(file, ".html");
    const page = await context.newPage();
    const errors = [], network = [];
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    page.on("pageerror", (e) => errors.push(String(e)));
    // The report must open offline: anything but the file itself (and data: URLs) is refused.
    await page.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith("file:") || url.startsWith("data:")) return route.continue();
      network.push(url);
      return route.abort();
    });
    await page.goto("file://" + path.resolve(file), { waitUntil: "load" });

    // Every chart reports "finished" once drawn.
    const chartCount = await page.locator("[data-chart]").count();
    try {
      await page.waitForFunction(() => [...document.querySelectorAll("[data-chart]")]
        .every((el) => el.getAttribute("data-drawn") === "1"), null, { timeout: 15000 });
    } catch { /* reported below */ }

    check(errors.length === 0, `${name}: no console errors`, errors.join(" | "));
    check(network.length === 0, `${name}: opens offline (no network request)`, network.join(" "));
    check((await page.title()).includes("dmine mining report"), `${name}: title`);

    for (const id of SECTIONS) {
      const s = page.locator(`section#${id}`);
      const present = (await s.count()) === 1 && (await s.locator("h2").count()) === 1 && (await s.isVisible());
      check(present, `${name}: section ${id} present`);
    }
    const states = await page.evaluate(() => Object.fromEntries(
      [...document.querySelectorAll("section[data-state]")].map((s) => [s.id, s.getAttribute("data-state")])));
    if (expect.complete) {
      for (const id of ["profile", "clustering", "anomalies", "rfm"])
        check(states[id] === "ok", `${name}: section ${id} has its results`, `state ${states[id]}`);
    }
    if (expect.failed) {
      const id = expect.failed;
      const alert = page.locator(`[data-missing="${id}"]`);
      const text = (await alert.count()) ? await alert.innerText() : "";
      check(states[id] === "failed" && /failed|not reached/.test(text) && (await alert.locator("pre").count()) > 0,
            `${name}: section ${id} marked missing with the error shown`, `state ${states[id]}: ${text}`);
    }

    // Key findings: each links to an element of the report that is shown.
    const findings = await page.evaluate(() => [...document.querySelectorAll("[data-findings] li a")].map((a) => {
      const id = decodeURIComponent(a.getAttribute("href") || "").replace(/^#/, "");
      const target = id ? document.getElementById(id) : null;
      return { id, ok: !!target && target.getClientRects().length > 0, text: a.innerText };
    }));
    if (expect.findings) {
      check(findings.length >= Number(expect.findings), `${name}: ${findings.length} key findings (at least ${expect.findings})`);
      const broken = findings.filter((f) => !f.ok);
      check(findings.length > 0 && broken.length === 0, `${name}: every key finding links to its section`,
            broken.map((f) => `#${f.id}`).join(" "));
      check(findings.every((f) => !/undefined|NaN|null|(^|[\s(])–([\s).,;]|$)/.test(f.text)), `${name}: the key findings have no gaps`,
            findings.map((f) => f.text).join(" | "));
    }
    if (expect.explore) {
      for (const id of ["trends", "breakdowns"])
        check(states[id] === "ok", `${name}: section ${id} present with its results`, `state ${states[id]}`);
      for (const id of ["chart-trend", "chart-season-month", "chart-season-weekday", "chart-heatmap", "chart-breakdown-0", "chart-pareto"])
        check((await page.locator(`[data-chart='${id}'][data-drawn='1']`).count()) === 1, `${name}: chart ${id} drawn`);
      const week = page.locator("button[data-variant='Week']");
      if (await week.count()) {
        await week.click();
        await page.waitForTimeout(300);
        const n = await page.evaluate(() => window.echarts.getInstanceByDom(document.querySelector("[data-chart='chart-trend']"))
          .getOption().series[0].data.length);
        check(n > 30, `${name}: the trend switches to weeks`, `${n} points`);
        await page.locator("button[data-variant='Month']").click();
      }
    }
    if (expect.forecast) {
      // Fan charts: history, forecast and both bands drawn, a switch between the series of a
      // dimension, and the forecast among the key findings.
      check(states.forecast === "ok", `${name}: section forecast present with its results`, `state ${states.forecast}`);
      const fans = await page.locator("section#forecast figure[data-fan] [data-chart][data-drawn='1']").count();
      check(fans >= 2, `${name}: fan charts drawn (the total and per dimension)`, `${fans} drawn`);
      const fan = await page.evaluate(() => {
        const o = window.echarts.getInstanceByDom(document.querySelector("[data-chart='chart-forecast-total']")).getOption();
        const names = o.series.map((s) => s.name);
        const last = (name) => o.series.find((s) => s.name === name).data.filter((v) => v !== null).length;
        return { names, history: last("revenue"), forecast: last("forecast"), band: last("95 % interval") };
      });
      check(["revenue", "forecast", "80 % interval", "95 % interval"].every((n) => fan.names.includes(n))
            && fan.history >= 3 && fan.forecast >= 2 && fan.band === fan.forecast - 1,
            `${name}: the total's fan chart has the history, the forecast and the 80/95 % bands`, JSON.stringify(fan));
      const variants = await page.locator("section#forecast button[data-variant]").count();
      check(variants >= 2, `${name}: a switch between the series of a dimension`, `${variants} buttons`);
      check((await page.locator("[data-findings] li[data-topic='forecast']").count()) === 1,
            `${name}: the revenue forecast is a key finding`);
    }
    if (expect.legacy)
      check((await page.locator("section#trends, section#breakdowns").count()) === 0,
            `${name}: no trends or breakdowns section without their tables`);
    // Profile: no chart for identifiers, and the table fits the page at 1280 px.
    if (await page.locator("[data-profile-table]").count()) {
      const prof = await page.evaluate(() => {
        const t = document.querySelector("[data-profile-table]");
        const ids = [...t.querySelectorAll("tr[data-role='identifier']")].map((r) => r.getAttribute("data-column"));
        const charted = [...document.querySelectorAll("section#profile figure[data-column]")].map((f) => f.getAttribute("data-column"));
        return { ids, charted: charted.filter((c) => ids.includes(c)), table: t.scrollWidth, box: t.parentElement.clientWidth,
                 page: document.documentElement.scrollWidth };
      });
      check(prof.charted.length === 0, `${name}: no distribution chart for identifier columns (${prof.ids.join(", ")})`, prof.charted.join(", "));
      check(prof.table <= prof.box + 1 && prof.page <= 1280, `${name}: the profile table fits 1280 px`,
            `table ${prof.table} px in ${prof.box} px, page ${prof.page} px`);
    }
    const lastSection = await page.evaluate(() => [...document.querySelectorAll("main > section")].pop()?.id);
    check(lastSection === "appendix", `${name}: the appendix comes last`, lastSection);

    // Every chart is drawn: a canvas with visible pixels.
    const specCount = await page.evaluate(() => Object.keys(JSON.parse(document.getElementById("dmine-charts").textContent)).length);
    check(chartCount > 0 && chartCount === specCount, `${name}: ${chartCount} charts placed for ${specCount} chart options`);
    const blank = await page.evaluate(() => [...document.querySelectorAll("[data-chart]")].filter((el) => {
      const canvases = [...el.querySelectorAll("canvas")];
      const svgs = [...el.querySelectorAll("svg path, svg rect, svg text")];
      if (svgs.length > 0) return false;
      return !canvases.some((c) => {
        if (!c.width || !c.height) return false;
        const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        let inked = 0;
        for (let i = 3; i < data.length; i += 4 * 7) if (data[i] > 0) inked++;
        return inked > 50;
      });
    }).map((el) => el.getAttribute("data-chart")));
    check(blank.length === 0, `${name}: every chart drawn (non-empty canvas)`, `blank: ${blank.join(", ")}`);

    // Hover shows values; the wheel zooms.
    const hoverTarget = page.locator("[data-chart='chart-kscores'], [data-chart='chart-steps']").first();
    if (await hoverTarget.count()) {
      await hoverTarget.scrollIntoViewIfNeeded();
      const box = await hoverTarget.boundingBox();
      let tip = "";
      for (const fx of [0.5, 0.35, 0.65]) {
        await page.mouse.move(box.x + box.width * fx, box.y + box.height * 0.5);
        await page.waitForTimeout(300);
        tip = await hoverTarget.evaluate((el) => [...el.querySelectorAll("div")]
          .filter((d) => d.style.position === "absolute" && getComputedStyle(d).display !== "none" &&
                         getComputedStyle(d).opacity !== "0" && d.innerText.trim()).map((d) => d.innerText).join(" "));
        if (tip) break;
      }
      check(tip.length > 0, `${name}: hovering a chart shows a tooltip`, "no tooltip");
    }
    const zoomTarget = page.locator("[data-chart='chart-cluster-scatter'], [data-chart='chart-anomaly-scores']").first();
    if (await zoomTarget.count()) {
      await zoomTarget.scrollIntoViewIfNeeded();
      const box = await zoomTarget.boundingBox();
      await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
      for (let i = 0; i < 3; i++) { await page.mouse.wheel(0, -300); await page.waitForTimeout(150); }
      const zoom = await zoomTarget.evaluate((el) => {
        const z = window.echarts.getInstanceByDom(el).getOption().dataZoom || [];
        return z.map((d) => [d.start, d.end]);
      });
      check(zoom.some(([s, e]) => s > 0 || e < 100), `${name}: the mouse wheel zooms a chart`, JSON.stringify(zoom));
    }

    // Numbers for people.
    const summary = await page.locator("section#summary").innerText();
    check(/\d{1,3}(,\d{3})+/.test(summary), `${name}: thousands separators in the summary`);
    const body = await page.locator("main").innerText();
    check(/\d+(\.\d+)? %/.test(body), `${name}: percentages`);

    fs.mkdirSync(outDir, { recursive: true });
    // Pictures of the report as it opens: zoom reset, no tooltip, at the top.
    await page.mouse.move(0, 0);
    await page.evaluate(() => {
      for (const c of window.dmineCharts || []) { c.dispatchAction({ type: "restore" }); c.dispatchAction({ type: "hideTip" }); }
      window.scrollTo(0, 0);
    });
    await page.waitForTimeout(600);
    const shot = path.join(outDir, `${name}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`# screenshot ${shot}`);
    if (expect.screenshot) {
      // The top of the report: header, key findings and the start of the sales over time.
      await page.screenshot({ path: expect.screenshot, clip: { x: 0, y: 0, width: 1280, height: 1180 }, fullPage: true });
      console.log(`# screenshot ${expect.screenshot}`);
      // And whole sections, charts and all (the sticky navigation out of the way).
      await page.addStyleTag({ content: "nav { position: static !important; }" });
      for (const id of ["clustering", "trends", "breakdowns", "profile"]) {
        const s = page.locator(`section#${id}`);
        if (!(await s.count())) continue;
        const file = expect.screenshot.replace(/\.png$/, "") + `-${id === "clustering" ? "clusters" : id}.png`;
        await s.screenshot({ path: file });
        console.log(`# screenshot ${file}`);
      }
    }
    await page.close();
  }
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
