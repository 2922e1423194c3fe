#!/usr/bin/env node
// A well-behaved Ottimate integration in Node.js (20 or newer), with no dependencies: built-in fetch.
//
// It syncs an ERP's vendors and dimensions (examples/erp by default) into Ottimate, several requests at
// a time, and reads the five variables the README documents (OTTIMATE_API_URL, OTTIMATE_AUTH_URL,
// OTTIMATE_API_KEY, OTTIMATE_CLIENT_ID, OTTIMATE_CLIENT_SECRET), so it runs unchanged against the real
// sandbox or under `ottimate-validate integration -- node examples/integrations/node/sync.mjs`.
//
// Concurrency done right:
// - one access token for every worker: a single request for it at a time (later callers await the same
//   promise), reused until 5 minutes before it expires, renewed once after a 401;
// - one gate for the API key: after a 429 no worker sends anything before the Retry-After has passed;
// - 5xx and lost answers retried at most 4 attempts in all, with full-jitter exponential backoff;
// - every write has its own Idempotency-Key, reused by its retries;
// - lists: the first page gives the count, the other pages are fetched side by side, each exactly once.
// New vendors are created one by one (POST /vendors, four at a time), changed ones upserted in bulk.
// It keeps (per API URL, in --state FILE) when it last synced and what it pushed, so the next run reads
// only what changed (the date filters) and writes only what changed. It never prints a credential.

import { randomUUID, createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const MAX_ATTEMPTS = 4;
const BASE_DELAY = 0.4;
const MAX_DELAY = 8;
const RENEW_BEFORE = 300;
const PAGE_SIZE = 25;
const WORKERS = 4;
const VENDOR_FIELDS = ["erp_vendor_name", "email", "phone", "net_terms", "payment_method",
  "address_line_1", "address_line_2", "city", "state", "zipcode"];
const DIMENSION_FIELDS = ["name", "erp_type", "ottimate_type", "code", "reference_id"];

class SyncFailed extends Error {}

const sleep = (seconds) => new Promise((done) => setTimeout(done, seconds * 1000));

function env(name) {
  const value = process.env[name];
  if (!value) throw new SyncFailed(`${name} is not set`);
  return value;
}

class Api {
  constructor() {
    this.apiUrl = env("OTTIMATE_API_URL").replace(/\/$/, "");
    this.authUrl = (process.env.OTTIMATE_AUTH_URL || this.apiUrl.replace(/\/v1$/, "")).replace(/\/$/, "");
    this.apiKey = env("OTTIMATE_API_KEY");
    this.clientId = env("OTTIMATE_CLIENT_ID");
    this.clientSecret = env("OTTIMATE_CLIENT_SECRET");
    this.token = null; // { value, expires }
    this.fetching = null; // the one token request in flight, shared by every worker
    this.notBefore = 0; // after a 429: nothing is sent before this moment (ms)
  }

  async gate() {
    for (;;) {
      const wait = this.notBefore - Date.now();
      if (wait <= 0) return;
      await sleep(wait / 1000);
    }
  }

  throttled(response) {
    const raw = response.headers.get("retry-after") || "1";
    const seconds = /^\d+$/.test(raw.trim()) ? Number(raw) : 1;
    this.notBefore = Math.max(this.notBefore, Date.now() + seconds * 1000);
  }

  backoff(attempt) {
    const cap = Math.min(MAX_DELAY, BASE_DELAY * 2 ** (attempt - 1));
    return sleep(Math.random() * cap); // full jitter
  }

  async send(url, init) {
    await this.gate();
    try {
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(35_000) });
      return { response, body: await response.text() };
    } catch {
      return { response: null, body: "" }; // a dropped connection, a timeout: no answer
    }
  }

  async bearer() {
    if (this.token && Date.now() < this.token.expires - RENEW_BEFORE * 1000) return this.token.value;
    if (!this.fetching) {
      this.fetching = this.fetchToken().finally(() => { this.fetching = null; });
    }
    return this.fetching;
  }

  async fetchToken() {
    const form = new URLSearchParams({
      grant_type: "client_credentials", client_id: this.clientId, client_secret: this.clientSecret,
    });
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const { response, body } = await this.send(`${this.authUrl}/oauth/token`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Api-Key": this.apiKey },
        body: form,
      });
      if (response && response.status === 200) {
        const data = JSON.parse(body);
        this.token = { value: data.access_token, expires: Date.now() + (data.expires_in ?? 3600) * 1000 };
        return this.token.value;
      }
      if (response && response.status === 429) { this.throttled(response); attempt--; continue; }
      if (!response || response.status >= 500) { await this.backoff(attempt); continue; }
      throw new SyncFailed(`the auth server refused the credentials (HTTP ${response.status})`);
    }
    throw new SyncFailed("no access token after several attempts");
  }

  async call(method, path, { params, body } = {}) {
    const url = `${this.apiUrl}${path}${params ? "?" + new URLSearchParams(params) : ""}`;
    const headers = { "X-Api-Key": this.apiKey, Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method === "POST") headers["Idempotency-Key"] = randomUUID(); // reused by every retry below
    let renewed = false;
    let throttled = 0;
    let attempt = 0;
    for (;;) {
      const token = await this.bearer();
      const { response, body: text } = await this.send(url, {
        method, headers: { ...headers, Authorization: `Bearer ${token}` },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (response && response.ok) return text ? JSON.parse(text) : null;
      if (response && response.status === 401 && !renewed) {
        renewed = true;
        if (this.token && this.token.value === token) this.token = null;
        continue;
      }
      if (response && response.status === 429 && throttled < 5) { throttled++; this.throttled(response); continue; }
      if (!response || response.status >= 500) {
        attempt++;
        if (attempt < MAX_ATTEMPTS) { await this.backoff(attempt); continue; }
      }
      throw new SyncFailed(`${method} ${path} failed: ${response ? response.status : "no answer"} ${text.slice(0, 200)}`);
    }
  }

  async walk(path, key, params) {
    const first = await this.call("GET", path, { params: { ...params, page: 1, limit: PAGE_SIZE } });
    const pages = Math.ceil((first.count || 0) / PAGE_SIZE);
    const rest = await pool(range(2, pages), (page) =>
      this.call("GET", path, { params: { ...params, page, limit: PAGE_SIZE } }));
    return [first, ...rest].flatMap((body) => body[key] || []);
  }
}

function range(from, to) {
  const out = [];
  for (let n = from; n <= to; n++) out.push(n);
  return out;
}

// Runs `task` over `items`, at most WORKERS at a time; the results in the items' order.
async function pool(items, task) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(WORKERS, items.length) }, worker));
  return results;
}

function readErp(folder) {
  const [header, ...rows] = readFileSync(join(folder, "vendors.csv"), "utf8").replace(/^\uFEFF/, "")
    .split(/\r?\n/).filter((line) => line.trim());
  const names = header.split(",");
  const vendors = rows.map((line) => {
    const cells = line.split(","); // the example file has no quoted commas
    return Object.fromEntries(names.map((n, i) => [n, (cells[i] || "").trim()]).filter(([, v]) => v));
  });
  const dimensions = JSON.parse(readFileSync(join(folder, "dimensions.json"), "utf8"));
  return { vendors, dimensions };
}

const fingerprint = (record) =>
  createHash("sha256").update(JSON.stringify(record, Object.keys(record).sort())).digest("hex").slice(0, 16);

function differs(remote, record, fields) {
  if (!remote) return true;
  return fields.some((f) => (remote[f] || null) !== (record[f] || null));
}

async function sync(api, erpFolder, stateFile) {
  const stateAll = existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, "utf8")) : {};
  const state = stateAll[api.apiUrl] || {};
  const started = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const pushed = { ...(state.pushed || {}) };
  const { vendors, dimensions } = readErp(erpFolder);

  const account = (await api.call("GET", "/accounts")).results[0];
  const company = (await api.call("GET", `/accounts/${account.id}/companies`)).results[0].id;

  const filters = { ottimate_company_id: company };
  if (state.watermark) filters.last_modified_date_from_utc = state.watermark;
  const remote = new Map((await api.walk("/vendors", "vendors", filters)).map((v) => [v.erp_vendor_id, v]));
  const changed = vendors.filter((v) => pushed[v.erp_vendor_id] !== fingerprint(v)
    || (remote.has(v.erp_vendor_id) && differs(remote.get(v.erp_vendor_id), v, VENDOR_FIELDS)));
  // New ones one by one, side by side; known ones (they exist: a create would be refused) in one upsert.
  const known = state.watermark ? changed.filter((v) => pushed[v.erp_vendor_id] || remote.has(v.erp_vendor_id)) : [];
  const fresh = changed.filter((v) => !known.includes(v));
  await pool(fresh, (v) => api.call("POST", "/vendors", { body: { ottimate_company_id: company, ...v } }));
  if (known.length) {
    const result = await api.call("POST", "/vendors/bulk", { body: { ottimate_company_id: company, vendors: known } });
    if (result.error_count) throw new SyncFailed(`${result.error_count} vendor(s) refused`);
  }
  for (const v of changed) pushed[v.erp_vendor_id] = fingerprint(v);

  let changedDims = dimensions.filter((d) => pushed["dim:" + d.erp_dimension_id] !== fingerprint(d));
  if (changedDims.length) {
    const existing = new Map((await api.walk("/dimensions", "dimensions", { ottimate_company_id: company }))
      .map((d) => [d.reference_id, d]));
    changedDims = changedDims.filter((d) => differs(existing.get(d.reference_id), d, DIMENSION_FIELDS));
    if (changedDims.length) {
      const result = await api.call("POST", "/dimensions/bulk",
        { body: { ottimate_company_id: company, dimensions: changedDims } });
      if (result.error_count) throw new SyncFailed(`${result.error_count} dimension(s) refused`);
    }
    for (const d of dimensions) pushed["dim:" + d.erp_dimension_id] = fingerprint(d);
  }

  stateAll[api.apiUrl] = { watermark: started, pushed };
  writeFileSync(stateFile, JSON.stringify(stateAll, null, 2));
  return `${changed.length} vendor(s) and ${changedDims.length} dimension(s) pushed; ${remote.size} vendor(s) read`;
}

function option(name, fallback) {
  const index = process.argv.indexOf(name);
  return index >= 0 && process.argv[index + 1] ? process.argv[index + 1] : fallback;
}

try {
  const summary = await sync(
    new Api(),
    resolve(option("--erp", join(HERE, "..", "..", "erp"))),
    resolve(option("--state", ".ottimate-sync-state.json")),
  );
  console.log(`sync: ${summary}`);
} catch (problem) {
  console.error(`sync failed: ${problem instanceof SyncFailed ? problem.message : problem}`);
  process.exitCode = 1;
}
