import { Command } from 'commander';
import { API_V3_PREFIX } from '../api/prefixes.ts';
import { registerAnalysisCommands } from './commands/analysis.ts';
import { registerBatchCommands } from './commands/batches.ts';
import { registerCollectionCommands } from './commands/collections.ts';
import { registerDocumentCommands } from './commands/documents-upload.ts';
import { registerHealthCommand } from './commands/health.ts';
import { registerQueryCommands } from './commands/query.ts';
import { registerSearchCommand } from './commands/search.ts';
import { registerTaskCommands } from './commands/tasks.ts';
import { EXIT, endQuietlyOnClosedPipe, fail } from './output.ts';

endQuietlyOnClosedPipe();

const program = new Command('fileintel')
  .description(
    `FileIntel: document intelligence on Temporal.\nAPI from FILEINTEL_API_URL (default http://localhost:8000${API_V3_PREFIX}, the native API); X-API-Key from FILEINTEL_API_KEY.`,
  )
  .showHelpAfterError()
  .exitOverride((error) => {
    // commander's own usage errors: it has printed the reason already.
    process.exit(error.exitCode === 0 ? EXIT.ok : EXIT.usage);
  });

registerHealthCommand(program);
const collections = registerCollectionCommands(program);
registerBatchCommands(program, collections);
registerTaskCommands(program);
const documents = registerDocumentCommands(program);
registerAnalysisCommands(collections, documents);
registerSearchCommand(program);
registerQueryCommands(program, collections);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  fail(error);
}
