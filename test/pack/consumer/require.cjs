// CommonJS consumers: `exports` has a `default` condition, so require() finds each package.
const names = ['@bottle/protocol', '@bottle/server', '@bottle/worker', '@bottle/cli'];
// biome-ignore lint/suspicious/noConsole: the test reads what this script prints
console.log(JSON.stringify(names.map((name) => [name, Object.keys(require(name)).length > 0])));
