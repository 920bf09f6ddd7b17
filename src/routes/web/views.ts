import { ACCOUNT_TYPES } from '../../domain/account-types.js';
import { todayUtc } from '../../domain/effective.js';
import { allCountryCodes, countryName, REGION_GROUPS } from '../../domain/regions.js';
import type { AccountType, DefaultState, Device, ExceptionAction, Mechanism } from '../../schemas/common.js';
import { Devices } from '../../schemas/common.js';
import type { PlatformService } from '../../services/platform-service.js';
import { Html, html, safeUrl } from './html.js';

export type Answer = Awaited<ReturnType<PlatformService['optOut']>>;
export type PlatformItem = Awaited<ReturnType<PlatformService['list']>>['data'][number];
export interface Picked {
  q?: string;
  region?: string;
  device?: Device;
  account?: AccountType;
}

export const DEVICE_LABELS: Record<Device, string> = {
  web: 'Web browser',
  ios: 'iPhone or iPad app',
  android: 'Android app',
  mobile_web: 'Mobile browser',
  desktop_app: 'Desktop app',
};
const DEFAULTS: Record<DefaultState, string> = {
  opted_in: 'On by default: your data is used unless you opt out.',
  opted_out: 'Off by default: your data is not used unless you opt in.',
  no_choice: 'Your data is used and the platform offers no setting to stop it.',
  not_applicable: 'The platform says it does not use this data for this purpose.',
};
const MECHANISMS: Record<Mechanism, string> = {
  toggle: 'a switch in your settings',
  form: 'a web form',
  email: 'an email to the platform',
  account_deletion: 'deleting your account',
  none: 'no way is offered',
};
const EXCEPTIONS: Record<ExceptionAction, string> = {
  rated_response: 'Rating a reply',
  sent_feedback: 'Sending feedback',
  shared_publicly: 'Sharing publicly',
  flagged_for_safety: 'Content flagged for safety review',
  collected_before_opt_out: 'Data from before you opted out',
  joined_programme: 'Joining a programme',
  other: 'Other',
};
const accountName = (code: string) => ACCOUNT_TYPES.find((t) => t.code === code)?.name.toLowerCase() ?? code;
const accountList = (codes: readonly string[]) => codes.map(accountName).join(', ');
const COUNTRIES = allCountryCodes()
  .map((code) => ({ code, name: countryName(code) ?? code }))
  .sort((a, b) => a.name.localeCompare(b.name, 'en'));

export const regionName = (code: string) => REGION_GROUPS.find((g) => g.code === code)?.name ?? countryName(code) ?? code;
const verdict = (v: boolean | null) => (v === true ? 'Yes' : v === false ? 'No' : 'Unknown');
const verdictClass = (v: boolean | null) => (v === true ? 'yes' : v === false ? 'no' : 'unknown');

/** A link to this page with the person's choices kept. */
export function pageUrl(params: Record<string, string | undefined>): string {
  const query = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => Boolean(e[1])));
  return query.size ? `/?${query}` : '/';
}

const CSS = `
*{box-sizing:border-box}body{font:1rem/1.5 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fafafa}
header,main,footer{max-width:60rem;margin:0 auto;padding:0 1rem}h1{font-size:1.6rem;margin:1.2rem 0 .3rem}
a{color:#0b4f9c}a:focus,input:focus,select:focus,button:focus{outline:3px solid #f5a623;outline-offset:2px}
form{display:flex;flex-wrap:wrap;gap:.8rem;align-items:end;background:#fff;border:1px solid #ccc;border-radius:6px;padding:1rem}
label{display:block;font-weight:600;font-size:.9rem}input,select,button{font:inherit;padding:.4rem;min-width:12rem;max-width:100%}form>div{max-width:100%;min-width:0}
button{background:#0b4f9c;color:#fff;border:0;border-radius:4px;min-width:6rem;cursor:pointer}
table{width:100%;border-collapse:collapse;background:#fff}th,td{text-align:left;padding:.4rem;border-bottom:1px solid #ddd}
.badge{display:inline-block;padding:.1rem .6rem;border-radius:1rem;font-weight:700;color:#fff}
.yes{background:#a4161a}.no{background:#1e6b34}.unknown{background:#555}.evidence-secondary{background:#7a4a00}.evidence-unconfirmed{background:#5b2a86}.verified{font-size:1.05rem}
.answer,.setting,.notice{background:#fff;border:1px solid #ccc;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}
.notice{border-color:#a4161a}.steps li{margin:.2rem 0}.muted{color:#555;font-size:.9rem}`;
/** Our own constant, so inserted as it is: escaping would break selectors such as `form>div` inside <style>. */
const STYLE = new Html(CSS);

export function layout(title: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title><meta name="description" content="Does a platform train AI on your data, and how do you opt out?">
<style>${STYLE}</style></head>
<body><header><h1>Is my data used to train AI?</h1>
<p>Pick a platform, your country and your device: see whether your data is used for AI training by default, and exactly how to opt out. Every fact cites its sources.</p></header>
<main id="main">${body}</main>
<footer><p class="muted">Data: CC BY 4.0 · <a href="/docs">API reference</a> · <a href="/v1/registry">registry version</a></p></footer>
</body></html>`;
}

export function searchForm(picked: Picked): Html {
  const option = (value: string, label: string, selected: boolean) =>
    html`<option value="${value}"${selected ? ' selected' : ''}>${label}</option>`;
  return html`<form method="get" action="/" role="search" aria-label="Find a platform">
<div><label for="q">Platform</label><input id="q" name="q" type="search" maxlength="100" placeholder="e.g. LinkedIn" value="${picked.q ?? ''}"></div>
<div><label for="region">Your country or region</label><select id="region" name="region">${option('', 'Not chosen (no regional rule)', !picked.region)}
<optgroup label="Region groups">${REGION_GROUPS.map((g) => option(g.code, `${g.name} (${g.code})`, picked.region === g.code))}</optgroup>
<optgroup label="Countries">${COUNTRIES.map((c) => option(c.code, c.name, picked.region === c.code))}</optgroup></select></div>
<div><label for="device">Your device</label><select id="device" name="device">${option('', 'Any device', !picked.device)}${Devices.map((d) => option(d, DEVICE_LABELS[d], picked.device === d))}</select></div>
<div><label for="account">Your kind of account</label><select id="account" name="account">${ACCOUNT_TYPES.map((t) => option(t.code, t.name, (picked.account ?? 'personal') === t.code))}</select></div>
<button type="submit">Search</button></form>`;
}

export function platformTable(items: PlatformItem[], picked: Picked, more: boolean): Html {
  if (items.length === 0)
    return html`<p class="notice" role="status">No platform matches “${picked.q}”. Try another name, or clear the search to see them all.</p>`;
  const where = picked.region ? `in ${regionName(picked.region)}` : 'with no country chosen';
  const account = `${accountName(picked.account ?? 'personal')} account`;
  return html`<table><caption class="muted">${items.length} platform${items.length === 1 ? '' : 's'}; training by default for a ${account} ${where}, today</caption>
<thead><tr><th scope="col">Platform</th><th scope="col">Trains AI on your data by default?</th><th scope="col">Category</th><th scope="col">Last verified</th></tr></thead>
<tbody>${items.map(
    (
      p,
    ) => html`<tr><th scope="row"><a href="${pageUrl({ platform: p.slug, region: picked.region, device: picked.device, account: picked.account })}">${p.name}</a></th>
<td><span class="badge ${verdictClass(p.trainingByDefault)}">${verdict(p.trainingByDefault)}</span> ${evidenceMarker(p.evidence)}${p.accountTypes.length ? html` <span class="muted">(differs for ${accountList(p.accountTypes)} accounts)</span>` : ''}</td><td>${p.category}</td><td>${p.lastVerified}${daysSince(p.lastVerified, todayUtc()) > STALE_AFTER_DAYS ? html` <span class="badge evidence-unconfirmed">may be out of date</span>` : ''}</td></tr>`,
  )}</tbody></table>${more ? html`<p class="muted">More platforms match; narrow the search to see them.</p>` : ''}`;
}

function settingSection(s: Answer['settings'][number], device: Device | undefined): Html {
  const state = s.excluded
    ? 'People in your region are left out of this use.'
    : s.defaultState
      ? DEFAULTS[s.defaultState]
      : 'The default is not known.';
  return html`<section class="setting" aria-labelledby="setting-${s.id}"><h3 id="setting-${s.id}">${s.name}</h3>
${s.label ? html`<p>The control reads: “${s.label}”.</p>` : ''}<p><strong>${state}</strong> ${evidenceMarker(s.evidence)}</p>
${s.countsTowardAnswer ? '' : html`<p class="muted">Not about the platform training AI on your data itself (it covers sharing, licensing, crawlers or a third party you choose), so it does not decide the answer above.</p>`}
${s.accountTypes ? html`<p class="muted">Applies to ${accountList(s.accountTypes)} accounts only.</p>` : ''}${s.controlledBy === 'admin' ? html`<p><strong>Only your organisation’s administrator can change this setting for your account.</strong></p>` : ''}
<p>How to opt out: ${MECHANISMS[s.mechanism]}.${s.optOutUrl ? html` <a href="${safeUrl(s.optOutUrl)}">Opt-out link</a>` : ''}</p>
${s.paths.map(
  (
    p,
  ) => html`<h4>Steps on ${DEVICE_LABELS[p.device]} ${evidenceMarker(p.evidence ?? null)}</h4><ol class="steps" data-setting="${s.id}" data-device="${p.device}">${p.steps.map((step) => html`<li>${step}</li>`)}</ol>
${p.deepLink ? html`<p><a href="${safeUrl(p.deepLink)}">Go straight to the setting</a></p>` : ''}${p.notes ? html`<p class="muted">${p.notes}</p>` : ''}`,
)}
${device && s.paths.length === 0 ? html`<p>No steps recorded for ${DEVICE_LABELS[device]}${s.availableDevices.length ? html`; steps exist for ${s.availableDevices.map((d) => DEVICE_LABELS[d]).join(', ')}` : ''}.</p>` : ''}
${exceptionList(s.exceptions)}
<p class="muted">Sources: ${s.sources.map((id, i) => html`${i ? ', ' : ''}<a href="#source-${id}">${id}</a>`)}</p></section>`;
}

/** What still counts for training after an opt-out: shown to people who opted out, so they know. */
function exceptionList(exceptions: Answer['settings'][number]['exceptions']): Html | '' {
  if (exceptions.length === 0) return '';
  return html`<div class="notice"><h4>Still used after you opt out</h4><ul>${exceptions.map(
    (x) =>
      html`<li data-exception="${x.id}"><strong>${EXCEPTIONS[x.action]}:</strong> ${x.description} ${evidenceMarker(x.evidence)}${x.effectiveFrom ? html` <span class="muted">(since ${x.effectiveFrom})</span>` : ''} <span class="muted">Sources: ${x.sources.map((id, i) => html`${i ? ', ' : ''}<a href="#source-${id}">${id}</a>`)}</span></li>`,
  )}</ul></div>`;
}

/** A visible marker for answers not backed by a platform, regulator, court or archived document. */
function evidenceMarker(evidence: Answer['evidence']): Html | '' {
  if (evidence === 'secondary') {
    return html`<span class="badge evidence-secondary" title="No platform, regulator or court source backs this; only press reports do.">Press reports only</span>`;
  }
  if (evidence === 'unconfirmed') {
    return html`<span class="badge evidence-unconfirmed" title="An editor could not confirm this against its sources.">Unconfirmed</span>`;
  }
  return '';
}

const STALE_AFTER_DAYS = 180;

/** Whole days from `from` to `to` (YYYY-MM-DD). */
function daysSince(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** The record's last-verified date, prominent, with a warning once it is older than STALE_AFTER_DAYS. */
function verifiedNotice(lastVerified: string, today: string): Html {
  const age = daysSince(lastVerified, today);
  return age > STALE_AFTER_DAYS
    ? html`<p class="notice verified" role="note"><strong>Last checked against its sources on ${lastVerified}</strong>, ${age} days ago. Platforms change these settings often: this answer may be out of date.</p>`
    : html`<p class="verified"><strong>Last checked against its sources on ${lastVerified}.</strong></p>`;
}

export function answerView(a: Answer, picked: Picked): Html {
  const where = a.region ? `in ${regionName(a.region)}` : 'with no country chosen';
  const on = a.device ? `, on ${DEVICE_LABELS[a.device]}` : '';
  const account = a.accountType === 'personal' ? '' : `, ${accountName(a.accountType)} account`;
  const settings = [...a.settings].sort((x, y) => Number(y.countsTowardAnswer) - Number(x.countsTowardAnswer));
  const sentence =
    a.trainingByDefault === true
      ? `${a.platform.name} uses your data to train AI by default.`
      : a.trainingByDefault === false
        ? `${a.platform.name} does not use your data to train generative AI by default.`
        : `The registry does not know whether ${a.platform.name} uses your data to train AI by default.`;
  return html`<section aria-labelledby="answer"><h2 id="answer">${a.platform.name} ${where}${on}${account}</h2>
<div class="answer" role="status"><p><span class="badge ${verdictClass(a.trainingByDefault)}">${verdict(a.trainingByDefault)}</span> ${evidenceMarker(a.evidence)} ${sentence}</p>
${verifiedNotice(a.platform.lastVerified, todayUtc())}
${a.decidedBy ? html`<p class="muted">${a.decidedBy.explanation}</p>` : ''}${a.rule?.notes ? html`<p class="muted">${a.rule.notes}</p>` : ''}
<p class="muted">As of ${a.at} · registry version ${a.asOf.version}${a.platform.status === 'retired' ? ' · this platform is retired' : ''}</p></div>
${picked.region ? '' : html`<p>Choose your country above: many platforms treat some regions differently.</p>`}
<h2>Settings and how to opt out</h2>${settings.map((s) => settingSection(s, a.device ?? undefined))}
<h2 id="sources">Sources</h2><ul>${a.sources.map(
    (s) =>
      html`<li id="source-${s.id}"><a href="${safeUrl(s.url)}">${s.title}</a>, ${s.publisher}${s.publishedDate ? `, published ${s.publishedDate}` : ''} (read ${s.retrievedDate})</li>`,
  )}</ul></section>`;
}

export function problemView(status: number, message: string, hints: string[]): Html {
  return html`<div class="notice" role="alert"><h2>${status === 404 ? 'Not found' : 'Please check your choices'}</h2><p>${message}</p>
${hints.length ? html`<ul>${hints.map((h) => html`<li>${h}</li>`)}</ul>` : ''}<p><a href="/">Start again</a></p></div>`;
}
