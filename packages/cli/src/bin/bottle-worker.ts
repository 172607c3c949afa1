#!/usr/bin/env node
import { main } from '../main.js';

process.exitCode = await main('bottle-worker', process.argv.slice(2));
