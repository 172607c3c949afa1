#!/usr/bin/env node
import { main } from '../main.js';

process.exitCode = await main('bottle-server', process.argv.slice(2));
