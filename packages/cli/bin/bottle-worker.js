#!/usr/bin/env node
import { main } from '../dist/index.js';

process.exitCode = await main('bottle-worker', process.argv.slice(2));
