import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The English BERT that ships inside the package (models/bert-tiny-en, pre-trained with
 * `bertft pretrain`; see its README.md). It is the default `--model`, so `bertft train` needs no
 * flags and no network. Its name resolves to the folder unless a local folder of that name exists.
 */
export const EMBEDDED_MODEL = 'bert-tiny-en';

/** models/<name> of the package: this file is src/hub/embedded.ts or dist/hub/embedded.js. */
export function embeddedModelDir(name: string = EMBEDDED_MODEL): string | undefined {
  if (name !== EMBEDDED_MODEL) return undefined;
  const dir = fileURLToPath(new URL(`../../models/${name}`, import.meta.url));
  return existsSync(dir) ? dir : undefined;
}
