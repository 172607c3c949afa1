/**
 * Command templates: `{lr}` is a parameter, `{outdir}`, `{key}`, `{params_json}`, `{root}`, `{attempt}`,
 * `{hash}` and `{task}` are the task's own; `{{` and `}}` are literal braces. A template is parsed once,
 * when the task file is loaded, so that a typo in it stops the worker at start rather than failing tasks.
 */
import { BottleError, canonicalJson, type JsonValue, type Params } from '@bottle/protocol';

/** A parsed template: literal text and placeholders, in order. */
export type Template = Array<{ text: string } | { name: string }>;

/** Names a template may use besides the parameters; they win over a parameter of the same name. */
export const builtinNames = ['outdir', 'key', 'params_json', 'root', 'attempt', 'hash', 'task'] as const;
export type Builtins = Record<(typeof builtinNames)[number], string>;

/** Parses `text`; `where` names it in errors (`bottle.yaml: tasks.train.command[3]`). */
export function parseTemplate(text: string, where: string): Template {
  const parts: Template = [];
  let literal = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if ((c === '{' || c === '}') && text[i + 1] === c) {
      literal += c;
      i++;
    } else if (c === '{') {
      const close = text.indexOf('}', i + 1);
      const name = close < 0 ? '' : text.slice(i + 1, close).trim();
      if (close < 0 || name === '' || name.includes('{')) {
        throw new BottleError(
          'ERR_BAD_TASK_FILE',
          `${where}: "${text}" has an unclosed or empty {; write {name} for a parameter and {{ for a literal brace`,
        );
      }
      if (literal !== '') parts.push({ text: literal });
      literal = '';
      parts.push({ name });
      i = close;
    } else if (c === '}') {
      throw new BottleError(
        'ERR_BAD_TASK_FILE',
        `${where}: "${text}" has a lone }; write }} for a literal brace`,
      );
    } else literal += c;
  }
  if (literal !== '' || parts.length === 0) parts.push({ text: literal });
  return parts;
}

/** The text of one parameter value: strings as they are, anything else as its JSON. */
export function valueText(value: JsonValue): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return canonicalJson(value);
}

/** A value as one POSIX shell word, whatever it holds. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * Fills a template. Each placeholder becomes the value's text (shell-quoted with `quote`); a name that is
 * neither a builtin nor a parameter fails the task, saying which parameters there are.
 */
export function fillTemplate(
  template: Template,
  params: Params,
  builtins: Builtins,
  quote: (text: string) => string = (text) => text,
): string {
  let out = '';
  for (const part of template) {
    if ('text' in part) {
      out += part.text;
      continue;
    }
    const builtin = (builtins as Record<string, string>)[part.name];
    if (builtin !== undefined) out += quote(builtin);
    else if (Object.hasOwn(params, part.name)) out += quote(valueText(params[part.name] as JsonValue));
    else {
      const names = Object.keys(params);
      throw new BottleError(
        'ERR_BAD_PARAMS',
        `the command uses {${part.name}}, but the task's parameters have no "${part.name}" ` +
          `(they have: ${names.length ? names.join(', ') : 'none'}; built in: ${builtinNames.join(', ')})`,
      );
    }
  }
  return out;
}

/** `BOTTLE_PARAM_<NAME>` for each parameter: the name upper-cased, anything but A-Z, 0-9 and _ made _. */
export function paramEnvName(name: string): string {
  return `BOTTLE_PARAM_${name.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`;
}
