import { escapeXml } from '../../domain/xml-text.js';
import type { ChangeSummary } from '../../services/history-service.js';

/**
 * Atom 1.0 (RFC 4287) written by hand: every text construct is `type="text"` and escaped, so a change
 * message is shown as the words the editor wrote, never interpreted as HTML by a feed reader (the
 * `feed` package emitted `type="html"` in CDATA, which also broke on `]]>`). Characters XML cannot
 * carry never reach here from a write (they are refused), and older text has them replaced.
 */
export interface AtomFeed {
  /** Absolute URL of the feed itself; also its id. */
  self: string;
  /** Absolute URL of the JSON change feed the entries come from. */
  alternate: string;
  title: string;
  /** The public base URL entries link under (no trailing slash). */
  base: string;
  entries: ChangeSummary[];
}

const text = (tag: string, value: string, indent = '  ') => `${indent}<${tag} type="text">${escapeXml(value)}</${tag}>`;

export function renderAtom(feed: AtomFeed): string {
  const updated = new Date(feed.entries[0]?.recordedAt ?? 0).toISOString();
  const lines = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    `  <id>${escapeXml(feed.self)}</id>`,
    text('title', feed.title),
    `  <updated>${updated}</updated>`,
    '  <generator>ai-optout-registry</generator>',
    `  <link rel="alternate" type="application/json" href="${escapeXml(feed.alternate)}"/>`,
    `  <link rel="self" type="application/atom+xml" href="${escapeXml(feed.self)}"/>`,
    text('rights', 'Data: CC BY 4.0, AI-training opt-out registry contributors'),
  ];
  for (const entry of feed.entries) {
    const url = `${feed.base}/v1/changes/${entry.version}`;
    lines.push(
      '  <entry>',
      `    <id>${escapeXml(url)}</id>`,
      text('title', `v${entry.version}: ${entry.message}`, '    '),
      `    <link rel="alternate" type="application/json" href="${escapeXml(url)}"/>`,
      `    <updated>${new Date(entry.recordedAt).toISOString()}</updated>`,
      `    <author><name>${escapeXml(entry.author)}</name></author>`,
      text(
        'summary',
        `Platforms changed: ${entry.platforms.join(', ') || 'none'}. The change set, with its RFC 6902 patch, is at ${url}.`,
        '    ',
      ),
      '  </entry>',
    );
  }
  lines.push('</feed>', '');
  return lines.join('\n');
}
