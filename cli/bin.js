#!/usr/bin/env node
// The `fileintel` command: TypeScript sources run through tsx.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
