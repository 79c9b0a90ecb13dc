/**
 * Generates docs/cli.md from the commands' own --help, so the reference cannot drift from the code
 * (test/e2e/cli-docs.test.ts fails when it is stale):
 *   node --import tsx scripts/cli-docs.ts > docs/cli.md
 */
import { renderCliDocs } from '../src/cli/docs.js';

process.stdout.write(renderCliDocs());
