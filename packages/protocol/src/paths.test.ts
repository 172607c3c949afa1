import { describe, expect, it } from 'vitest';
import { MAX_PATH_BYTES, MAX_SEGMENT_BYTES, safeRelativePath } from './paths.js';

describe('safeRelativePath', () => {
  it('normalises a relative path to a/b/c, and the directory itself to ""', () => {
    expect(safeRelativePath('a/./b//c')).toEqual({ path: 'a/b/c' });
    expect(safeRelativePath('./')).toEqual({ path: '' });
    expect(safeRelativePath('plots/ünïcode name.png')).toEqual({ path: 'plots/ünïcode name.png' });
  });

  it.each([
    ['a/\0b', 'NUL byte'],
    ['a\\b', 'backslash'],
    ['/etc/passwd', 'absolute'],
    ['C:/x', 'drive letter'],
    ['a/../../b', '".." segment'],
    ['..', '".." segment'],
  ])('refuses %j (%s)', (name, why) => {
    const result = safeRelativePath(name);
    expect('reason' in result && result.reason).toContain(why);
  });

  it('refuses paths and segments longer than the file system takes, counted in UTF-8 bytes', () => {
    const segment = 'a'.repeat(MAX_SEGMENT_BYTES);
    expect(safeRelativePath(segment)).toEqual({ path: segment });
    expect(safeRelativePath(`${segment}a`)).toEqual({ reason: `a path segment is longer than 255 bytes` });
    // 128 two-byte characters: 128 characters but 256 bytes.
    expect('reason' in safeRelativePath('é'.repeat(128))).toBe(true);
    const long = Array.from({ length: MAX_PATH_BYTES / 8 }, () => 'abcdefg').join('/');
    expect(long.length).toBe(MAX_PATH_BYTES - 1);
    expect(safeRelativePath(long)).toEqual({ path: long });
    expect(safeRelativePath(`${long}/ab`)).toEqual({ reason: 'the path is longer than 4096 bytes' });
  });
});
