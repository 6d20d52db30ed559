#!/usr/bin/env -S node --
// "--" stops Node 20 from taking our --env-file flag as its own (nodejs/node#50993).
import { main } from '../dist/commands/index.js';

const code = await main();
// Let open handles (servers, pools) close on their own; only force the code.
process.exitCode = code;
