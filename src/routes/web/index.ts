import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { z } from 'zod';
import { ACCOUNT_TYPES } from '../../domain/account-types.js';
import { contentLanguage, preferredLanguages } from '../../domain/languages.js';
import { isRegionCode, REGION_GROUPS } from '../../domain/regions.js';
import { ProblemError } from '../../errors.js';
import { AccountTypes, Devices, Slug } from '../../schemas/common.js';
import { LangParam } from '../../schemas/queries.js';
import { type Html, html } from './html.js';
import { answerView, DEVICE_LABELS, layout, type Picked, platformTable, problemView, searchForm } from './views.js';

/** Takes the first of repeated parameters and treats blank ones as absent, so odd links still work. */
const lenient = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => {
    const first = Array.isArray(value) ? value[0] : value;
    return typeof first === 'string' && first.trim() === '' ? undefined : first;
  }, schema.optional());

/** The page's querystring: lenient (unknown parameters are ignored), every field optional. */
export const PageQuery = z.object({
  q: lenient(z.string().trim().max(100, 'The platform search is longer than 100 characters.')),
  region: lenient(z.string().trim().toUpperCase().refine(isRegionCode, 'We do not know that country or region.')),
  device: lenient(z.enum(Devices, 'We do not know that device.')),
  account: lenient(z.enum(AccountTypes, 'We do not know that kind of account.')),
  lang: lenient(LangParam.unwrap()),
  platform: lenient(Slug),
});

const HINTS: Record<string, string> = {
  region: `Pick your country from the list, or give its two-letter ISO 3166-1 code (such as GB, DE or US), or a region group: ${REGION_GROUPS.map((g) => `${g.code} (${g.name})`).join(', ')}.`,
  device: `Pick a device from the list: ${Devices.map((d) => `${d} (${DEVICE_LABELS[d]})`).join(', ')}.`,
  lang: 'Give a language as a BCP 47 tag such as de, fr, es, it or pt-BR.',
  account: `Pick the kind of account you use: ${ACCOUNT_TYPES.map((t) => `${t.code} (${t.name})`).join(', ')}.`,
  platform: 'Search by name and follow a link from the results.',
  q: 'Search with a shorter part of the platform’s name.',
};

const CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

function send(reply: FastifyReply, status: number, title: string, body: Html) {
  return reply.code(status).header('content-security-policy', CSP).type('text/html; charset=utf-8').send(layout(title, body).toString());
}

/**
 * `/`: a server-rendered page for people, answered by the same service layer as the API. Bad input
 * gets a 400 page saying what to pick, never a 5xx.
 */
export const webRoutes: FastifyPluginAsync = async (app) => {
  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    const parsed = PageQuery.safeParse(request.query);
    if (!parsed.success) {
      const fields = [...new Set(parsed.error.issues.map((i) => String(i.path[0])))];
      const message = fields.map((f) => parsed.error.issues.find((i) => i.path[0] === f)?.message ?? `Check “${f}”.`).join(' ');
      const body = html`${searchForm({})}${problemView(
        400,
        message,
        fields.map((f) => HINTS[f] ?? ''),
      )}`;
      return send(reply, 400, 'Please check your choices · AI-training opt-out registry', body);
    }
    const { q, region, device, account, platform, lang } = parsed.data;
    const picked: Picked = { q, region, device, account, lang };
    const languages = preferredLanguages(request.headers['accept-language'], lang);
    try {
      const list = await app.services.platforms.list({ q, region, accountType: account, limit: 100 });
      const slug = platform ?? (q && list.data.length === 1 ? list.data[0]?.slug : undefined);
      const answer = slug ? await app.services.platforms.optOut(slug, { region, device, accountType: account, languages }) : undefined;
      if (answer) reply.header('content-language', contentLanguage(answer.lang)).header('vary', 'Accept-Language');
      const form = searchForm({ ...picked, q: q ?? answer?.platform.name });
      const body = answer
        ? html`${form}${answerView(answer, picked)}${q && list.data.length > 1 ? platformTable(list.data, picked, list.nextCursor !== null) : ''}`
        : html`${form}<h2>Platforms</h2>${platformTable(list.data, picked, list.nextCursor !== null)}`;
      const title = answer ? `${answer.platform.name}: AI training and how to opt out` : 'Is my data used to train AI?';
      return send(reply, 200, `${title} · AI-training opt-out registry`, body);
    } catch (error) {
      if (!(error instanceof ProblemError) || error.status >= 500) throw error;
      const hint = error.status === 404 ? ['Search by name and follow a link from the results.'] : [];
      return send(
        reply,
        error.status,
        'Not found · AI-training opt-out registry',
        html`${searchForm(picked)}${problemView(error.status, error.message, hint)}`,
      );
    }
  });
};
