import { describe, expect, it } from 'vitest';
import { redactUrl } from './url.js';

describe('redactUrl', () => {
  it('hides the password and keeps what helps to tell one database or server from another', () => {
    expect(redactUrl('postgres://bob:secret@127.0.0.1:5432/db?schema=lab')).toBe(
      'postgres://bob:***@127.0.0.1:5432/db?schema=lab',
    );
    expect(redactUrl('http://127.0.0.1:1988/v1/tasks')).toBe('http://127.0.0.1:1988/v1/tasks');
    expect(redactUrl(new URL('https://user:pw@host/prefix#frag'))).toBe('https://user:***@host/prefix');
  });

  it('hides the values of query parameters that carry credentials', () => {
    expect(redactUrl('postgres://bob@db/q?password=hunter2&sslmode=require')).toBe(
      'postgres://bob@db/q?password=***&sslmode=require',
    );
    expect(redactUrl('http://h/x?access_token=abc&api_key=def')).toBe(
      'http://h/x?access_token=***&api_key=***',
    );
  });

  it('keeps only what follows the last @ of text that is not a URL', () => {
    expect(redactUrl('postgres://bob:p@ss:word@host:x/db')).toBe('postgres://***@host:x/db');
    expect(redactUrl('not a url')).toBe('not a url');
  });
});
