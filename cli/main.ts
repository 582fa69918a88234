import { Command } from 'commander';
import { registerCollectionCommands } from './commands/collections.ts';
import { registerHealthCommand } from './commands/health.ts';
import { fail } from './output.ts';

const program = new Command('fileintel')
  .description('FileIntel: document intelligence on Temporal.\nAPI from FILEINTEL_API_URL (default http://localhost:8000/api/v2); X-API-Key from FILEINTEL_API_KEY.')
  .showHelpAfterError()
  .exitOverride((error) => {
    // commander's own usage errors: it has printed the reason already.
    process.exit(error.exitCode === 0 ? 0 : 2);
  });

registerHealthCommand(program);
registerCollectionCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  fail(error);
}
