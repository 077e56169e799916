// Open the test page in Debian's headless Chromium (software WebGL), wait for the tileset, report the
// requests as JSON on stdout and save screenshots with and without the tileset.
//   node cesium_3dtiles.mjs URL SHOT.png [BLANK.png]      (CHROMIUM=/usr/bin/chromium by default)
import { chromium } from "playwright-core";

const [url, shot, blank] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
         "--ignore-gpu-blocklist", "--disable-dev-shm-usage"],
});
const report = { requests: [], failedRequests: [], console: [], page: null };
try {
  const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
  page.on("request", (r) => report.requests.push(r.url()));
  page.on("requestfailed", (r) => report.failedRequests.push(`${r.url()}: ${r.failure()?.errorText}`));
  page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") report.console.push(m.text()); });
  page.on("pageerror", (e) => report.console.push(`pageerror: ${e.message}`));
  await page.goto(url);
  await page.waitForFunction(() => window.twin && window.twin.done, null, { timeout: 240000, polling: 250 });
  report.page = await page.evaluate(() => {
    const { hide, ...rest } = window.twin;
    return rest;
  });
  await page.screenshot({ path: shot });
  if (blank) {
    await page.evaluate(() => window.twin.hide());
    await page.waitForTimeout(1500);
    await page.screenshot({ path: blank });
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(report) + "\n");
