import type { Command } from 'commander';
import { augmentExamples, AUGMENT_DEFAULTS, formatAugmentSpec, parseAugmentSpec } from '../../augment/index.js';
import { writeFileAtomic } from '../../checkpoint/atomic.js';
import { readExamples } from '../../data/index.js';
import { DEVICE_CHOICES } from '../../engine/types.js';
import { BertftError } from '../../errors.js';
import { ENGINES, type EngineChoice } from '../../engine/select.js';
import { TRAIN_DEFAULTS } from '../../training/defaults.js';
import { addDataOptions, readOptionsFrom } from '../data-options.js';
import { parseChoice, parseDevice, parseNumber, parsePositiveInt } from '../parse.js';
import { createProgress } from '../progress.js';
import { action } from '../run-command.js';

interface AugmentFlags extends Record<string, string | boolean | undefined> {
  method: string;
  model: string;
  seed: string;
  maxLength?: string;
  engine: string;
  output?: string;
}

export function registerAugment(program: Command): void {
  const d = TRAIN_DEFAULTS;
  const cmd = program
    .command('augment')
    .description('write a data file with augmented copies of each example (what bertft train --augment adds), to inspect them')
    .argument('<file>', 'data file in any format bertft train reads (CSV/TSV/JSONL/lines, see docs/data-formats.md)')
    .option(
      '--method <spec>',
      `eda[:alpha,copies] (EDA: WordNet synonyms, insertion, swap, deletion) or mlm[:rate,copies] (the model's masked-LM head); defaults eda:${AUGMENT_DEFAULTS.eda.rate},${AUGMENT_DEFAULTS.eda.copies}, mlm:${AUGMENT_DEFAULTS.mlm.rate},${AUGMENT_DEFAULTS.mlm.copies}`,
      'eda',
    )
    .option('-o, --output <file>', 'write JSON lines here (default: stdout)')
    .option('-m, --model <dir|hub-id>', 'mlm: the model whose masked-LM head fills the masks', d.model)
    .option('--seed <n>', 'random seed (same seed → same copies, as in bertft train --augment)', String(d.seed))
    .option('--max-length <n>', `mlm: only words within this many tokens are replaced (default ${d.maxLength}, capped by the model)`)
    .option('--engine <name>', `mlm: ${ENGINES.join(', ')}`, d.engine)
    .option('--device <d>', `mlm: ${DEVICE_CHOICES.join(', ')} (auto: webgpu when an adapter is found, else cpu)`, d.device)
    .option('--offline', 'use only the local Hub cache (same as HF_HUB_OFFLINE=1)')
    .option('-q, --quiet', 'no progress output');
  addDataOptions(cmd).addHelpText(
    'after',
    `
Output: one JSON object per row, each example followed by its copies:
  {"text": ..., "label": ..., "augmentation": "original" | "eda:sr" | "eda:ri" | "eda:rs" | "eda:rd" | "mlm", "source": "FILE:LINE"}
(plus "text_pair" for pairs, copied unchanged). bertft train reads the file back (--text-column text --label-column label).

Examples:
  $ bertft augment train.tsv --method eda:0.1,4 -o train-eda.jsonl
  $ bertft augment train.tsv --method mlm:0.15,2 --seed 1 -o train-mlm.jsonl
`,
  );
  cmd.action(
    action(async (file: string, flags: AugmentFlags) => {
      const spec = parseAugmentSpec(flags.method, '--method');
      const seed = parseNumber('--seed', flags.seed, { min: 0 });
      const maxLength = flags.maxLength === undefined ? undefined : parsePositiveInt('--max-length', flags.maxLength);
      const engine = parseChoice('--engine', flags.engine, ENGINES) as EngineChoice;
      const device = parseDevice(flags.device);
      const read = readExamples(file, readOptionsFrom(flags as never));
      if (read.examples.length === 0) throw new BertftError(`${file}: no examples to augment`);
      const progress = createProgress({ quiet: Boolean(flags.quiet) });
      progress.start(read.examples.length, `augment ${formatAugmentSpec(spec)}`);
      const rows = await augmentExamples(read.examples, spec, {
        seed,
        model: flags.model,
        maxLength,
        engine,
        device,
        offline: Boolean(flags.offline),
        onProgress: (done) => progress.update(done),
      });
      progress.stop();
      const lines = rows.map((r) =>
        JSON.stringify({
          text: r.text,
          ...(r.textPair !== undefined ? { text_pair: r.textPair } : {}),
          label: r.label,
          augmentation: r.augmentation,
          source: `${r.file}:${r.line}`,
        }),
      );
      const body = `${lines.join('\n')}\n`;
      if (flags.output === undefined) {
        process.stdout.write(body);
      } else {
        await writeFileAtomic(flags.output, body);
        if (!flags.quiet)
          process.stderr.write(
            `${flags.output}: ${read.examples.length} examples and ${rows.length - read.examples.length} augmented copies (${formatAugmentSpec(spec)}, seed ${seed})\n`,
          );
      }
    }),
  );
}
