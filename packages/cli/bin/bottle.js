#!/usr/bin/env node
import { main } from '../dist/index.js';

process.exitCode = await main('bottle', process.argv.slice(2));
