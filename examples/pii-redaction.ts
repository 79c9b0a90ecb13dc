/**
 * PII redaction before a log line is stored — a notebook-style script: train a token classifier on
 * a file of labelled character spans (the JSON lines annotation tools export), serve it over HTTP,
 * and redact a log line with the served model's entities.
 *
 *   node --import tsx examples/pii-redaction.ts [--lines 1200] [--epochs 8]
 *
 * The training data is generated here (a seeded mix of log templates with people's names, e-mail
 * addresses, phone numbers and IP addresses), so the script runs offline in about a minute on two
 * cores with the embedded model. In a real project the spans come from your annotation tool; the
 * file format is the same. Output goes to `out/examples/pii/` (git-ignored).
 * In your own project, import from 'bertft' instead of '../src/…'.
 */

// %% [1] Imports ---------------------------------------------------------------------------------
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TokenClassifier, type EntityGroup } from '../src/index.js';
import { createClassificationServer, servedModelFromTokenClassifier } from '../src/serve/index.js';

// %% [2] Settings ----------------------------------------------------------------------------------
const { values: args } = parseArgs({
  options: { lines: { type: 'string', default: '1200' }, epochs: { type: 'string', default: '8' } },
});
const OUT = resolve('out/examples/pii');
await mkdir(OUT, { recursive: true });

// %% [3] Labelled spans ----------------------------------------------------------------------------
// Each record is {"text", "entities": [{"start", "end", "label"}]}, end exclusive: what Label Studio,
// doccano or Prodigy exports look like after a rename of their fields.
const FIRST = ['Anna', 'John', 'Maria', 'David', 'Laura', 'Peter', 'Fatima', 'Wei', 'Olga', 'Carlos', 'Aisha', 'Tom'];
const LAST = ['Schmidt', 'Miller', 'Garcia', 'Brown', 'Rossi', 'Novak', 'Khan', 'Chen', 'Ivanova', 'Lopez', 'Okafor', 'Smith'];
const TEMPLATES = [
  'user {PERSON} logged in from {IP}',
  'password reset requested for {EMAIL} by {PERSON}',
  'sms code sent to {PHONE} for account {EMAIL}',
  'payment failed: card holder {PERSON}, contact {PHONE}',
  'blocked request from {IP} (user {EMAIL})',
  '{PERSON} changed the shipping address; confirmation sent to {EMAIL}',
];
let state = 7;
const rand = (n: number) => {
  state = (state * 1103515245 + 12345) >>> 0; // a fixed LCG: the same file every run
  return (state >>> 8) % n;
};
const digits = (n: number) => Array.from({ length: n }, () => String(rand(10))).join('');

function fill(kind: string): string {
  const first = FIRST[rand(FIRST.length)]!;
  const last = LAST[rand(LAST.length)]!;
  switch (kind) {
    case 'PERSON':
      return `${first} ${last}`;
    case 'EMAIL':
      return `${first.toLowerCase()}.${last.toLowerCase()}${rand(100)}@example.${['com', 'org', 'net'][rand(3)]}`;
    case 'PHONE':
      return `+${1 + rand(60)} ${digits(3)} ${digits(3)} ${digits(4)}`;
    default:
      return `${10 + rand(240)}.${rand(256)}.${rand(256)}.${rand(256)}`;
  }
}

function record(): { text: string; entities: { start: number; end: number; label: string }[] } {
  let text = '';
  const entities: { start: number; end: number; label: string }[] = [];
  const template = TEMPLATES[rand(TEMPLATES.length)]!;
  for (const part of template.split(/(\{[A-Z]+\})/)) {
    const m = /^\{([A-Z]+)\}$/.exec(part);
    if (!m) {
      text += part;
      continue;
    }
    const value = fill(m[1]!);
    entities.push({ start: text.length, end: text.length + value.length, label: m[1]! });
    text += value;
  }
  return { text, entities };
}

const lines = Number(args.lines);
const toJsonl = (n: number) => `${Array.from({ length: n }, () => JSON.stringify(record())).join('\n')}\n`;
await writeFile(join(OUT, 'train.jsonl'), toJsonl(lines));
await writeFile(join(OUT, 'dev.jsonl'), toJsonl(Math.round(lines / 5)));
console.log(`wrote ${lines} training and ${Math.round(lines / 5)} validation records to ${OUT}`);

// %% [4] Train ---------------------------------------------------------------------------------------
// JSON lines with "entities" are token-classification data: fit infers the task, splits the text into
// words, tags them (B-EMAIL, I-PERSON, …) and reports any span that cuts a word in half.
const model = join(OUT, 'model');
const tagger = await TokenClassifier.fit(
  { train: join(OUT, 'train.jsonl'), validation: join(OUT, 'dev.jsonl'), output: model, epochs: Number(args.epochs), maxLength: 64, seed: 0 },
  { onLog: (m) => console.log(m), onEvaluate: ({ entry }) => console.log(`epoch ${entry.epoch}: entity F1 ${entry.eval_metrics?.f1?.toFixed(4)}`) },
);

// %% [5] Serve and redact ----------------------------------------------------------------------------
// The service answers POST /classify with each text's entities and their character offsets; the
// caller replaces each span by its type before the line goes to the log store.
const served = createClassificationServer(servedModelFromTokenClassifier(tagger), { log: () => {} });
await new Promise<void>((ok) => served.server.listen(0, '127.0.0.1', ok));
const { port } = served.server.address() as { port: number };

async function redact(line: string): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/classify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: line }),
  });
  const { prediction } = (await response.json()) as { prediction: { entities: EntityGroup[] } };
  // Right to left, so earlier offsets stay valid while later spans are replaced.
  let out = line;
  for (const e of [...prediction.entities].sort((a, b) => b.start - a.start)) out = `${out.slice(0, e.start)}[${e.entity_group}]${out.slice(e.end)}`;
  return out;
}

for (const line of [
  'password reset requested for olga.khan42@example.org by Olga Khan',
  'user Wei Garcia logged in from 203.0.113.77',
  'sms code sent to +44 207 946 0958 for account tom.smith7@example.com',
]) {
  console.log(`\n  ${line}\n→ ${await redact(line)}`);
}
await served.close();
await tagger.dispose();
