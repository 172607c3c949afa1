// CommonJS: require() of each @bottle package the project depends on (require(esm), Node 20.19+).
const { dependencies } = require('./package.json');
const names = Object.keys(dependencies).filter((name) => name.startsWith('@bottle/'));
// biome-ignore lint/suspicious/noConsole: the test reads what this script prints
console.log(
  JSON.stringify(Object.fromEntries(names.map((name) => [name, Object.keys(require(name)).length]))),
);
