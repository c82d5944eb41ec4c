// Opens /status in headless Debian Chromium, makes a write through the API, and checks
// that the event appears in the page and that hit ratios are rendered; saves a screenshot.
// Usage: node status_page.mjs BASE_URL ADMIN_TOKEN SCREENSHOT_PATH
import { chromium } from "playwright-core";

const [baseUrl, token, screenshot] = process.argv.slice(2);
if (!baseUrl || !token || !screenshot) {
  console.error("usage: node status_page.mjs BASE_URL ADMIN_TOKEN SCREENSHOT_PATH");
  process.exit(2);
}

let passed = 0;
function check(condition, what) {
  if (!condition) {
    throw new Error(`FAIL ${what}`);
  }
  passed += 1;
  console.log(`ok   ${what}`);
}

async function api(method, path, body) {
  const response = await fetch(baseUrl + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json().catch(() => null) };
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
try {
  // Some cache traffic first, so every ratio has something to show.
  const seeded = await api("POST", "/api/products", {
    name: "Status page warm-up",
    description: "A product read twice before the page opens",
    price: 12.5,
    stock: 3,
    category: "status",
  });
  check(seeded.status === 201, "a product is created through the API");
  const seededId = seeded.json.data.id;
  for (let i = 0; i < 3; i++) {
    await fetch(`${baseUrl}/api/products/${seededId}`);
    await fetch(`${baseUrl}/api/products`);
  }

  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  // Whatever the content security policy blocks is reported both ways: as a console
  // message and as a securitypolicyviolation event in the page.
  const violations = [];
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      console.log(`Content Security Policy violation: ${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  const opened = await page.goto(`${baseUrl}/status`);
  const policy = opened.headers()["content-security-policy"] || "";
  check(
    /script-src 'sha256-/.test(policy) && /frame-ancestors 'none'/.test(policy)
      && opened.headers()["x-content-type-options"] === "nosniff",
    `the page is served with its content security policy: ${policy}`,
  );
  await page.waitForSelector("body[data-ready=true]", { timeout: 10000 });
  check(true, "the page loads and reads /api/status");

  const created = await api("POST", "/api/products", {
    name: "Seen on the status page",
    description: "Created while the status page is open",
    price: 42,
    stock: 1,
    category: "status",
  });
  check(created.status === 201, "a write is made through the API while the page is open");
  const id = created.json.data.id;
  const event = page.locator("#events li.event", { hasText: id });
  await event.first().waitFor({ timeout: 10000 });
  const text = await event.first().textContent();
  check(text.includes("product.created") && text.includes(id), `the event appears in the page: ${text.trim()}`);

  await page.waitForFunction(
    () => [...document.querySelectorAll("#layers td.ratio")].some((td) => /\d+\.\d %/.test(td.textContent)),
    null,
    { timeout: 10000 },
  );
  const ratios = await page.$$eval("#layers tr.layer", (rows) =>
    rows.map((row) => `${row.dataset.layer} ${row.querySelector("td.ratio").textContent}`),
  );
  check(ratios.length >= 4, `hit ratios are rendered per layer: ${ratios.join(", ")}`);
  const health = await page.textContent("#mongo");
  check(health === "up", "MongoDB health is shown");
  await page.waitForFunction(() => /^\d/.test(document.getElementById("rate").textContent), null, {
    timeout: 10000,
  });
  const rate = await page.textContent("#rate");
  check(/^\d+(\.\d)?$/.test(rate), `the request rate is shown: ${rate} req/s`);
  await page.screenshot({ path: screenshot, fullPage: true });
  check(errors.length === 0, `no script errors (${errors.join("; ") || "none"})`);

  // Swagger UI renders under its own policy.
  const docs = await page.goto(`${baseUrl}/api-docs/`);
  check(/script-src 'self'/.test(docs.headers()["content-security-policy"] || ""), "Swagger UI has its policy");
  await page.waitForSelector(".swagger-ui .info .title", { timeout: 15000 });
  await page.waitForSelector(".swagger-ui .opblock", { timeout: 15000 });
  check(true, "Swagger UI renders the API's operations");
  check(violations.length === 0, `no content security policy violation (${violations.join("; ") || "none"})`);
  console.log(`screenshot: ${screenshot}`);
} finally {
  await browser.close();
}
console.log(`${passed} passed, 0 failed`);
