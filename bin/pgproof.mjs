#!/usr/bin/env node
// The `pgproof` command: starts the CLI from its bundle (bin/bundles.mjs compiles it once, and again only after a
// source changed), so a start does not transpile every TypeScript module. The engines' bundles are made ready by
// the commands that run them, so `--help` stats only the CLI's own sources.
import { pathToFileURL } from 'node:url';
import { ensureBundles } from './bundles.mjs';

const { cli } = await ensureBundles(['cli']);
await import(pathToFileURL(cli).href);
