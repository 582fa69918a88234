import type { Command } from 'commander';
import { FileIntelClient } from '../../api/client/index.ts';
import { printFields, printJson } from '../output.ts';

export function registerHealthCommand(program: Command): void {
  program
    .command('health')
    .description('check that the API, its database and Temporal answer')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const health = await new FileIntelClient().health();
      if (options.json) return printJson(health);
      printFields({
        status: health.status,
        ...Object.fromEntries(
          Object.entries(health.checks).map(([name, check]) => [name, check.ok ? 'ok' : check.error]),
        ),
      });
    });
}
